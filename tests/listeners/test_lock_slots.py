"""A request holds a bounded number of PostgreSQL locks (issue 13, point 9), and two
requests of one org wait for each other only when they share a key, or when one of
them carries more keys than it may lock (issue 19).

PostgreSQL keeps every lock in one shared table of max_locks_per_transaction ×
max_connections entries (6,400 by default). One advisory lock per identity key let
a 500-action request with a few keys each take thousands, and a few such requests
at once fill the table: every transaction on the server then fails with "out of
shared memory". A request now locks its keys and its org's lock (shared) when
that is at most CRMDP_LOCK_SLOTS locks, and otherwise its org's lock alone,
exclusively.
"""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction

import crmdp.listeners.batch as batch
from crmdp.customers.locking import lock_id, lock_identities, org_lock_id

KEYS = [f"c|email:user{n}@example.com" for n in range(5000)]


def _advisory_locks_held() -> dict[str, int]:
    """{mode: how many} of this connection's advisory locks."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mode, count(*) FROM pg_locks "
            "WHERE locktype = 'advisory' AND pid = pg_backend_pid() GROUP BY mode"
        )
        return dict(cursor.fetchall())


def test_a_request_with_thousands_of_keys_holds_one_lock_of_its_org(db, settings):
    settings.CRMDP_LOCK_SLOTS = 256
    with transaction.atomic():
        taken = lock_identities(7, KEYS)
        held = _advisory_locks_held() if connection.vendor == "postgresql" else {}
    if connection.vendor == "postgresql":
        assert taken == 1
        assert held == {"ExclusiveLock": 1}  # the org's own lock, alone
    else:
        assert taken == 0  # SQLite's one write lock serialises writers already


def test_a_request_within_the_limit_locks_each_key_and_its_org_shared(db, settings):
    settings.CRMDP_LOCK_SLOTS = 256
    with transaction.atomic():
        taken = lock_identities(7, KEYS[:255])
        held = _advisory_locks_held() if connection.vendor == "postgresql" else {}
    if connection.vendor == "postgresql":
        assert taken == 256  # the limit, counting the org's lock
        assert held == {"ExclusiveLock": 255, "ShareLock": 1}
    else:
        assert taken == 0


@pytest.mark.parametrize("slots", [0, -5])
def test_a_limit_of_zero_or_less_means_the_orgs_lock_alone_never_no_lock(db, settings, slots):
    # Fail closed: a limit that allows nothing serialises the org's writers rather
    # than letting a request with keys take no lock at all.
    settings.CRMDP_LOCK_SLOTS = slots
    with transaction.atomic():
        taken = lock_identities(7, KEYS[:1])
        held = _advisory_locks_held() if connection.vendor == "postgresql" else {}
    if connection.vendor == "postgresql":
        assert taken == 1
        assert held == {"ExclusiveLock": 1}
    else:
        assert taken == 0


def test_lock_ids_are_distinct_per_key_and_orgs_never_share_one():
    ours = {lock_id(7, key) for key in KEYS}
    theirs = {lock_id(8, key) for key in KEYS}
    # 5,000 keys in 2**20 - 1 slots: a few may share one, almost all do not.
    assert len(ours) > 4_950 and len(theirs) > 4_950
    assert not (ours | {org_lock_id(7)}) & (theirs | {org_lock_id(8)})
    assert org_lock_id(7) not in ours
    # The same key is always the same lock, so two requests sharing it still queue.
    assert lock_id(7, KEYS[0]) == lock_id(7, KEYS[0])
    # Ids stay within PostgreSQL's bigint for any org id a bigint can hold in practice.
    assert lock_id(2**40, KEYS[0]) < 2**63


def test_a_large_request_takes_no_more_locks_than_the_limit(post, settings, monkeypatch):
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
        assert taken == [1]


def _locks_while_another_holds(first: list[str], second: list[str], second_org: int = 7) -> bool:
    """Whether a transaction can take `second`'s locks for `second_org` (waiting at
    most 0.3 s) while another, on its own connection, holds `first`'s for org 7. On
    SQLite: whether a second write transaction can begin at all meanwhile (its one
    write lock is the lock)."""
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                lock_identities(7, first)
                if connection.vendor == "sqlite":
                    connection.cursor().execute("DELETE FROM orgs_org WHERE id = -1")
                holding.set()
                done.wait(10)
        finally:
            holding.set()
            connection.close()

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert holding.wait(10)
        try:
            if connection.vendor == "postgresql":
                with transaction.atomic():
                    connection.cursor().execute("SET LOCAL lock_timeout = '300ms'")
                    lock_identities(second_org, second)
            else:
                with connection.nowait(), transaction.atomic():
                    connection.cursor().execute("DELETE FROM orgs_org WHERE id = -1")
            return True
        except OperationalError:
            return False
    finally:
        done.set()
        other.join(10)


@pytest.mark.django_db(transaction=True)
def test_requests_of_one_org_wait_only_for_a_shared_key_or_a_large_request(settings):
    settings.CRMDP_LOCK_SLOTS = 16
    small, other_small = KEYS[:3], KEYS[3:6]
    large = KEYS[100:120]  # 20 keys: more than 16 locks would take
    if connection.vendor == "postgresql":
        assert _locks_while_another_holds(small, other_small)  # nothing in common
        assert not _locks_while_another_holds(small, [*other_small, small[1]])  # one key
        assert not _locks_while_another_holds(large, other_small)  # the org's, exclusive
        assert not _locks_while_another_holds(other_small, large)
    else:
        # One writer at a time, whatever the keys.
        assert not _locks_while_another_holds(small, other_small)


@pytest.mark.django_db(transaction=True)
def test_a_large_request_of_one_org_never_holds_up_another_org(settings):
    # The org's own lock, even exclusive, is that org's alone: a tenant's oversized
    # request (or thousands of them) never makes another tenant's requests wait,
    # not even for the very same email.
    settings.CRMDP_LOCK_SLOTS = 16
    large = KEYS[100:120]
    if connection.vendor == "postgresql":
        assert _locks_while_another_holds(large, KEYS[:3], second_org=8)
        assert _locks_while_another_holds(large, [large[0]], second_org=8)
        assert not _locks_while_another_holds(large, [large[0]], second_org=7)
    else:
        # SQLite has one write lock for the whole database, every org included.
        assert not _locks_while_another_holds(large, KEYS[:3], second_org=8)
