"""Transaction-scoped locks on arbitrary numbers (PostgreSQL's advisory locks).

SQLite needs none: its write transactions start with BEGIN IMMEDIATE and hold the
database's one write lock (crmdp/backends/sqlite/base.py)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection


def lock_numbers(ids: Iterable[int], *, shared: Iterable[int] = ()) -> int:
    """Take the advisory locks `ids` (signed 64-bit) until COMMIT or ROLLBACK, those
    also in `shared` in shared mode (any number of transactions hold a shared lock
    together; an exclusive holder waits for them all), in ascending order and in
    one statement, so that two transactions never wait for each other in a cycle.
    Returns how many were taken (0 on SQLite)."""
    if connection.vendor != "postgresql":
        return 0
    ordered = sorted(set(ids))
    if ordered:
        modes = set(shared)
        with connection.cursor() as cursor:
            # unnest() yields the (sorted) arrays in order, so locks are taken in order.
            # %b: a list is written in binary form far faster (crmdp.backends.rows).
            cursor.execute(
                "SELECT CASE WHEN s THEN pg_advisory_xact_lock_shared(k) "
                "ELSE pg_advisory_xact_lock(k) END "
                "FROM unnest(%b::bigint[], %b::boolean[]) AS t(k, s)",
                [ordered, [k in modes for k in ordered]],
            )
    return len(ordered)


def writers_interleave() -> bool:
    """Whether write transactions run side by side (PostgreSQL), so that each must
    take its locks in one agreed order; on SQLite a writer holds the database's one
    write lock from BEGIN IMMEDIATE to COMMIT and no other writes meanwhile."""
    return connection.vendor == "postgresql"
