"""Sending several statements without waiting for each one's answer (PostgreSQL's
pipeline mode, through psycopg 3).

Each statement of a listener request used to be a round trip: on the 2-core machine
the web processes share with the database server, every one costs both processes a
wake-up and a few system calls, more than many of the statements themselves. In a
`pipelined()` block, statements whose result nobody reads yet are queued and sent
together; the first read of a result (a `fetchall`), a COMMIT, or the end of the
block sends what is queued and waits for the answers once.

The server still runs the statements one after the other, in the order given, each
with its own snapshot (READ COMMITTED): a read queued after an advisory lock sees
what was committed before the lock was granted, as it would have if sent alone.
An error in any statement is raised at the next read, COMMIT or the block's end,
as Django's own exception (IntegrityError, OperationalError…); the statements
queued after it are not run, and the transaction is rolled back as usual.

Only for code that reads nothing a queued statement's answer decides (a row count)
before the next read: the hand-written statements of crmdp.backends. An id that an
insert returns (`rows.insert(…, return_ids=True)`) is set when the block ends, so
that it does not make the block wait. On SQLite (in process, no round trips) the
block changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection

_open = threading.local()  # .answers: what to do with answers read at the block's end


@contextmanager
def pipelined() -> Iterator[None]:
    """Queue the block's statements and send them together (see the module)."""
    if connection.vendor != "postgresql" or getattr(_open, "answers", None) is not None:
        yield  # SQLite, or inside a block already
        return
    # A connection left unused since the last request is checked before the
    # pipeline opens, not inside it (crmdp.backends.postgresql: a SELECT 1 of its
    # own only if the server has sent something meanwhile).
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    # The errors raised while the queue is sent at the block's end are psycopg's;
    # Django's wrapper turns them into its own, as around any statement.
    answers: list[Callable[[], None]] = []
    _open.answers = answers
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            yield
        with connection.wrap_database_errors:
            for read in answers:
                read()
    finally:
        _open.answers = None


def when_answered(read: Callable[[], None]) -> bool:
    """Run `read` (which fetches a queued statement's rows) once the open block's
    statements are answered; False, and nothing done, outside a block."""
    answers: list[Callable[[], None]] | None = getattr(_open, "answers", None)
    if answers is None:
        return False
    answers.append(read)
    return True
