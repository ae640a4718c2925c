"""Sending several statements without waiting for each one's answer (PostgreSQL's
pipeline mode, through psycopg 3), and a request's writes as one statement.

Each statement of a listener request used to be a round trip: on the 2-core machine
the web processes share with the database server, every one costs both processes a
wake-up and a few system calls, more than many of the statements themselves. In a
`pipelined()` block, statements whose result nobody reads yet are queued and sent
together; the first read of a result (a `fetchall`), a COMMIT, or the end of the
block sends what is queued and waits for the answers once.

Writes made with `write()` in a block go further: they are held back and sent as
one statement, each a data-modifying `WITH` clause of the last (`WITH w0 AS (INSERT
INTO customers …), w1 AS (INSERT INTO keys …) INSERT INTO history …`). A statement
costs ~35 µs of psycopg's and Django's Python even when pipelined, and its own
start and end in the server: a single-action request's five writes cost 258 µs of
client and 223 µs of server CPU as five statements, 130 and 187 µs as one
(bench/README.md, issue 19). Within one statement PostgreSQL runs the clauses in no
promised order, so a statement only joins writes to *other* tables: two writes to
one table are sent in order, in two statements, and so keep their ids' order. A
foreign key between rows written by two clauses is checked at COMMIT (Django's are
deferred), when both are in. Any other statement in the block (the ORM's) first sends the
writes held so far, so statements still reach the server in the order made.

The server runs the statements one after the other, in the order given, each with
its own snapshot (READ COMMITTED): a read queued after an advisory lock sees what
was committed before the lock was granted, as it would have if sent alone. An error
in any statement is raised at the next read, COMMIT or the block's end, as Django's
own exception (IntegrityError, OperationalError…); the statements queued after it
are not run, and the transaction is rolled back as usual.

Only for code that reads nothing a queued statement's answer decides (a row count)
before the next read: the hand-written statements of crmdp.backends. The rows a
write returns (`on_rows`: the ids of `rows.insert(…, return_ids=True)`) are handed
over when the block ends, so that they do not make the block wait. On SQLite (in
process, no round trips) the block changes nothing and `write()` runs at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from django.db import connection

Rows = list[tuple[Any, ...]]

# psycopg keeps the parsing of a statement (finding its placeholders: ~0.15 ms for a
# long one) only for statements of at most 50 parameters and 4,096 characters
# (psycopg._queries.MAX_CACHED_STATEMENT_PARAMS and _LENGTH); a longer one is parsed
# anew at every run, which cost more than joining it saved. So statements are cut
# there: a single-action request's five writes go as two.
_MOST_PARAMS = 50
_LONGEST = 4096

_open = threading.local()  # .block: the open block of this thread, if any


@contextmanager
def pipelined() -> Iterator[None]:
    """Queue the block's statements and send them together (see the module)."""
    if connection.vendor != "postgresql" or getattr(_open, "block", None) is not None:
        yield  # SQLite, or inside a block already
        return
    # A connection left unused since the last request is checked before the
    # pipeline opens, not inside it (crmdp.backends.postgresql: a SELECT 1 of its
    # own only if the server has sent something meanwhile).
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    block = _Block()
    _open.block = block
    try:
        # The errors raised while the queue is sent at the block's end are psycopg's;
        # Django's wrapper turns them into its own, as around any statement.
        with (
            connection.wrap_database_errors,
            connection.connection.pipeline(),
            connection.execute_wrapper(block.before_another_statement),
        ):
            yield
            block.send()
        with connection.wrap_database_errors:
            for read in block.answers:
                read()
    finally:
        _open.block = None


def write(
    sql: str,
    params: Sequence[Any],
    *,
    table: str,
    on_rows: Callable[[Rows], None] | None = None,
) -> None:
    """Run the hand-written write `sql` (INSERT, UPDATE or DELETE, into `table`), and
    hand the rows it returns, if any, to `on_rows`. Outside a block, now; inside one,
    with the block's other writes (see the module)."""
    block: _Block | None = getattr(_open, "block", None)
    if block is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if on_rows is not None:
                on_rows(cursor.fetchall())
        return
    block.hold(_Write(sql, list(params), table, on_rows))


@dataclass
class _Write:
    sql: str
    params: list[Any]
    table: str
    on_rows: Callable[[Rows], None] | None


@dataclass
class _Block:
    held: list[_Write] = field(default_factory=list)
    answers: list[Callable[[], None]] = field(default_factory=list)
    sending: bool = False

    def hold(self, write: _Write) -> None:
        # One clause per table, and one write whose rows are read: its statement's
        # own (the last), as the rows of a WITH clause are not returned. And no
        # statement psycopg would parse anew at every run (see _MOST_PARAMS).
        held = self.held
        if held and (
            any(other.table == write.table or (other.on_rows and write.on_rows) for other in held)
            or sum(len(other.params) for other in held) + len(write.params) > _MOST_PARAMS
            or sum(len(other.sql) + 16 for other in held) + len(write.sql) > _LONGEST
        ):
            self.send()
        self.held.append(write)

    def send(self) -> None:
        """Send the writes held so far as one statement (queued in the pipeline)."""
        if not self.held:
            return
        writes, self.held = self.held, []
        last = next((w for w in writes if w.on_rows is not None), writes[-1])
        clauses = [w for w in writes if w is not last]
        sql = last.sql
        if clauses:
            sql = "WITH " + ", ".join(f"w{i} AS ({w.sql})" for i, w in enumerate(clauses))
            sql += " " + last.sql
        params = [*chain.from_iterable(w.params for w in clauses), *last.params]
        self.sending = True
        cursor = connection.cursor()
        try:
            cursor.execute(sql, params)
        except BaseException:
            _close(cursor)
            raise
        finally:
            self.sending = False
        on_rows = last.on_rows
        if on_rows is None:
            _close(cursor)
            return

        def read() -> None:
            try:
                on_rows(cursor.fetchall())
            finally:
                _close(cursor)

        self.answers.append(read)

    def before_another_statement(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        """Django's execute wrapper while the block is open: a statement that is not
        the block's own sends the writes held before it, so that it runs after them."""
        if self.held and not self.sending:
            self.send()
        return execute(sql, params, many, context)


def _close(cursor: Any) -> None:
    # As Django's own `with cursor` does: a failure to close is not the error.
    with suppress(connection.Database.Error):  # type: ignore[attr-defined]
        cursor.close()
