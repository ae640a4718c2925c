"""A request holds a bounded number of PostgreSQL locks (issue 13, point 9).

PostgreSQL keeps every lock in one shared table of max_locks_per_transaction ×
max_connections entries (6,400 by default). One advisory lock per identity key let
a 500-action request with a few keys each take thousands, and a few such requests
at once fill the table: every transaction on the server then fails with "out of
shared memory". Keys are now hashed into CRMDP_LOCK_SLOTS locks per org.
"""

from __future__ import annotations

from django.db import connection, transaction

import crmdp.listeners.batch as batch
from crmdp.customers.locking import lock_id, lock_identities

KEYS = [f"c|email:user{n}@example.com" for n in range(5000)]


def _advisory_locks_held() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def test_a_request_with_thousands_of_keys_holds_at_most_the_slots(db, settings):
    settings.CRMDP_LOCK_SLOTS = 256
    with transaction.atomic():
        taken = lock_identities(7, KEYS)
        if connection.vendor == "postgresql":
            assert _advisory_locks_held() == taken
    if connection.vendor == "postgresql":
        assert taken == 256  # 5,000 keys spread over every slot
    else:
        assert taken == 0  # SQLite's one write lock serialises writers already


def test_lock_ids_are_a_fixed_set_per_org_and_orgs_never_share_one(settings):
    settings.CRMDP_LOCK_SLOTS = 256
    ours = {lock_id(7, key) for key in KEYS}
    theirs = {lock_id(8, key) for key in KEYS}
    assert len(ours) == len(theirs) == 256
    assert not ours & theirs
    # The same key is always the same lock, so two requests sharing it still queue.
    assert lock_id(7, KEYS[0]) == lock_id(7, KEYS[0])
    # Ids stay within PostgreSQL's bigint for any org id a bigint can hold in practice.
    assert lock_id(2**40, KEYS[0]) < 2**63


def test_a_large_request_takes_no_more_locks_than_the_slots(post, settings, monkeypatch):
    settings.CRMDP_LOCK_SLOTS = 16
    taken: list[int] = []
    original = lock_identities

    def counting(org_id, keys):
        taken.append(original(org_id, keys))
        return taken[-1]

    monkeypatch.setattr(batch, "lock_identities", counting)
    results = post.actions(
        *[
            ("add-contact", {"name": f"N{n}", "emails": [{"value": f"n{n}@x.example"}]})
            for n in range(200)
        ]
    )
    assert {result["status"] for result in results} == {"created"}
    if connection.vendor == "postgresql":
        assert taken == [16]
