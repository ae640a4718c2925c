"""Django's SQLite backend, with writers queued by the kernel instead of polling.

SQLite lets one connection write at a time. A writer that finds the lock taken
waits in SQLite's busy handler, which sleeps and retries in growing steps (up to
100 ms), so under contention a writer often sleeps on long after the lock is
free: a request that needed 3 ms takes 50. Here every write transaction first
takes an exclusive flock() on a file next to the database; the kernel hands it
to the next waiting thread or process the moment it is released. Transactions
start with BEGIN IMMEDIATE in any case (settings), so this changes who waits how,
not what runs together. The busy timeout stays as the safety net for writes made
outside a transaction.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock: int | None = None  # the lock file's descriptor
        self._write_locked = False

    def _take_write_lock(self) -> None:
        if self.is_in_memory_db():
            return
        if self._write_lock is None:
            path = f"{self.settings_dict['NAME']}.writelock"
            self._write_lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        # Blocks without holding the GIL until every other writer is done.
        fcntl.flock(self._write_lock, fcntl.LOCK_EX)
        self._write_locked = True

    def _release_write_lock(self) -> None:
        if self._write_locked and self._write_lock is not None:
            fcntl.flock(self._write_lock, fcntl.LOCK_UN)
            self._write_locked = False

    def _start_transaction_under_autocommit(self) -> None:
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in the stubs
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()
            if self._write_lock is not None:
                os.close(self._write_lock)
                self._write_lock = None
