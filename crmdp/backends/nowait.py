"""Writes that give way: skipped rather than waited for when the database is busy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.db import connection, transaction


@contextmanager
def write_or_skip() -> Iterator[None]:
    """A write transaction that raises OperationalError at once when it would have to
    wait for a lock (SQLite's write lock, a PostgreSQL row lock) instead of waiting.
    The caller catches it and does without the write."""
    with ExitStack() as stack:
        outermost = not connection.in_atomic_block
        nowait = getattr(connection, "nowait", None)
        if nowait is not None and outermost:
            stack.enter_context(nowait())
        stack.enter_context(transaction.atomic())
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                # SET LOCAL: for this transaction only.
                cursor.execute("SET LOCAL lock_timeout = '50ms'")
        yield
