"""Watching and judging the statements a block of code runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connection

# PostgreSQL's serialization_failure and deadlock_detected.
_TRANSIENT_SQLSTATES = {"40001", "40P01"}


@contextmanager
def writes_counted(on_write: Callable[[], None]) -> Iterator[None]:
    """Calls `on_write` before each statement other than a SELECT that the block runs
    (a database execute wrapper: nothing is parsed beyond the first word)."""

    def wrapper(execute: Any, sql: str, *rest: Any) -> Any:
        if sql.lstrip()[:6].upper() != "SELECT":
            on_write()
        return execute(sql, *rest)

    with connection.execute_wrapper(wrapper):
        yield


def transient(exc: BaseException) -> bool:
    """A failure that running the whole transaction again may not meet (PostgreSQL's
    serialization failure or deadlock)."""
    return getattr(exc.__cause__, "sqlstate", None) in _TRANSIENT_SQLSTATES


def ends_the_transaction(exc: BaseException) -> bool:
    """Whether after `exc` the transaction is not worth going on with, even from a
    savepoint: a transient failure, or on SQLite any OperationalError (a locked or
    failing database file)."""
    return isinstance(exc, OperationalError) and (transient(exc) or connection.vendor == "sqlite")
