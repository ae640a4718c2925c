"""Serialising writers that could create the same record.

Matching is check-then-insert, which is only correct if no other writer can
insert a conflicting record in between. On SQLite every write transaction starts
with BEGIN IMMEDIATE and so holds the database's one write lock: writers never
interleave and nothing more is needed. On PostgreSQL, writers run side by side;
before matching, a request takes transaction-scoped advisory locks covering each
normalised identity key it carries (email, phone, passport, contactId, and the
names that companies and deals are found by), all in one statement and in
ascending order so that two requests never wait for each other in a cycle. Two
requests that share a key run one after the other; requests with nothing in
common rarely wait. The locks are released by COMMIT or ROLLBACK.

Keys are hashed into 2**20 - 1 lock ids per org, so two requests with no key in
common almost never share a lock. A request takes at most `CRMDP_LOCK_SLOTS` locks,
however many keys it carries: PostgreSQL keeps every lock in one shared table
(`max_locks_per_transaction` × `max_connections` entries), and one lock per key
let a single large request, or a few at once, fill it and fail every transaction
on the server with "out of shared memory". So each org also has one lock of its
own. A request takes it in shared mode together with its keys' locks; a request
whose keys would need more locks than the limit takes it alone, exclusively, and
so waits for every other writer of the org, and they for it. Any two requests that
share a key therefore share a lock; orgs never share one.

Until 2026-12-04 the keys of an org were hashed into `CRMDP_LOCK_SLOTS` (256)
locks: a batch of 100 actions carried ~150 keys and locked half of them, so two
batches of one org almost always shared a lock and ran one after the other
(bench/README.md, issue 19).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.conf import settings

from crmdp.backends.locks import lock_numbers
from crmdp.customers.matching import parse_code
from crmdp.customers.models import Space, space_of
from crmdp.customers.reading import CustomerInput

# Lock ids are org_id << _SLOT_BITS | slot: slot 0 is the org's own lock, the keys'
# are the other 2**20 - 1. Distinct per org for any org id below 2**43.
_SLOT_BITS = 20
_KEY_SLOTS = (1 << _SLOT_BITS) - 1


def org_lock_id(org_id: int) -> int:
    """The org's own advisory lock: shared by its requests that lock keys, exclusive
    for one that carries more keys than it may lock."""
    return org_id << _SLOT_BITS


def lock_id(org_id: int, scoped_key: str) -> int:
    """The advisory lock id (a signed 64-bit integer) covering one key of one org."""
    digest = hashlib.blake2b(scoped_key.encode(), digest_size=8).digest()
    return (org_id << _SLOT_BITS) | (1 + int.from_bytes(digest, "big") % _KEY_SLOTS)


def lock_identities(org_id: int, scoped_keys: Iterable[str]) -> int:
    """Take the advisory locks for `scoped_keys` (`"c|email:a@b.c"`): the org's lock
    shared and one per key, or, for more keys than `CRMDP_LOCK_SLOTS` allows, the
    org's lock alone and exclusive. Returns how many (none on SQLite, whose write
    lock already serialises writers, and none for no keys)."""
    keys = {lock_id(org_id, key) for key in scoped_keys}
    if not keys:
        return 0
    org = org_lock_id(org_id)
    if len(keys) + 1 > max(1, settings.CRMDP_LOCK_SLOTS):
        return lock_numbers([org])
    return lock_numbers([org, *keys], shared=[org])


# -- lock keys: `space|key`, the one encoding -----------------------------------------

DEALS = "d"  # deals are found by name; their lock keys live apart from customers'


def lock_key(space: str, key: str) -> str:
    """`c|email:a@b.c`: a CustomerKey in the space it is matched in (contacts and
    accounts, leads), or a deal's name key in DEALS."""
    return f"{space}|{key}"


def customer_key(lock: str) -> str | None:
    """The CustomerKey behind a lock key (`c|email:a@b.c` → `email:a@b.c`), if any."""
    space, _, key = lock.partition("|")
    return key if space in (Space.CUSTOMERS, Space.LEADS) else None


def company_locks(company: CustomerInput | None) -> list[str]:
    """A `companyContact`'s keys: an account is found by name, emails and phones."""
    if company is None:
        return []
    found_by = company.name_keys() + company.email_keys() + company.phone_keys()
    return [lock_key(Space.CUSTOMERS, key) for key in found_by]


def customer_locks(data: CustomerInput, kind: str) -> list[str]:
    """The lock keys of a customer of `kind` that `data` may create or change: its
    identity keys, and its company's."""
    own = [lock_key(space_of(kind), key) for key in data.identity_keys()]
    return own + company_locks(data.company)


def code_lock(code: str | None) -> list[str]:
    """The lock key of the record a customerId names (`PID-41`), if it is a code:
    requests updating the same records by code then queue in one (sorted) order
    instead of taking the row locks in opposite orders and deadlocking (which
    PostgreSQL ends after a second)."""
    parsed = parse_code(code) if code else None
    return [lock_key(space_of(parsed[0]), f"customer:{parsed[1]}")] if parsed else []


def deal_lock(name_key: str | None) -> list[str]:
    """The lock key of a deal found by this name key (none without a name)."""
    return [lock_key(DEALS, f"name:{name_key}")] if name_key else []
