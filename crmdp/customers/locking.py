"""Serialising writers that could create the same record.

Matching is check-then-insert, which is only correct if no other writer can
insert a conflicting record in between. On SQLite every write transaction starts
with BEGIN IMMEDIATE and so holds the database's one write lock: writers never
interleave and nothing more is needed. On PostgreSQL, writers run side by side;
before matching, a request takes a transaction-scoped advisory lock on each
normalised identity key it carries (email, phone, passport, contactId, and the
names that companies and deals are found by), all in one statement and in
ascending order so that two requests never wait for each other in a cycle. Two
requests that share a key run one after the other; requests with nothing in
common never wait. The locks are released by COMMIT or ROLLBACK.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import connection


def lock_id(org_id: int, scoped_key: str) -> int:
    """A signed 64-bit advisory lock id for one key of one org. A collision only
    makes two unrelated requests wait for each other; it never lets a race through."""
    digest = hashlib.blake2b(f"{org_id}|{scoped_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_identities(org_id: int, scoped_keys: Iterable[str]) -> int:
    """Take the advisory locks for `scoped_keys` (`"c|email:a@b.c"`); returns how many."""
    if connection.vendor != "postgresql":
        return 0
    ids = sorted({lock_id(org_id, key) for key in scoped_keys})
    if ids:
        with connection.cursor() as cursor:
            # unnest() yields the (sorted) array in order, so locks are taken in order.
            cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", [ids])
    return len(ids)
