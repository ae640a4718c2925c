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

WAL checkpoints run after the flock is released (see `_checkpoint`), not inside
a commit: SQLite's own automatic checkpoint runs in the `COMMIT` of whichever
writer crossed its threshold, while that writer still held the flock.

So does the disk sync that makes a commit durable, with CRMDP_SQLITE_SYNCHRONOUS=FULL
(the settings' `SYNC_AFTER_COMMIT`, see `_sync_wal`): SQLite commits at NORMAL, and
the committing thread syncs the WAL once the flock is released, before its caller
goes on (and a request is answered). Writers then sync side by side, and the
kernel folds their syncs together, instead of each waiting for the last one's
sync under the lock: about half of a single-action request's time holding the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.backends.sqlite3 import base

log = logging.getLogger(__name__)

# The wal-index (the -shm file, https://sqlite.org/walformat.html): its header's
# version, the last valid frame in the WAL (mxFrame) and how many frames are
# copied into the database already (nBackfill), in the host's byte order.
_WAL_INDEX_VERSION = 3007000
_HEADER = struct.Struct("=I12xI")  # iVersion at 0, mxFrame at 16
_BACKFILLED = struct.Struct("=I")  # nBackfill at 96


def _create_private(name: str) -> None:
    """Create a new database file readable by its owner only (0600) before SQLite
    creates it with the umask's mode (often 0644: every local user could read every
    customer). SQLite gives the -wal and -shm files the mode of the database file."""
    # Django always connects with uri=True; a plain path is still a plain path then.
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    # Already there, or a directory missing: SQLite says what is wrong.
    with contextlib.suppress(OSError):
        os.close(os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))


# fdatasync where there is one (Linux; SQLite's own choice there): the WAL's data
# and its size, not its timestamps. fsync elsewhere.
_sync = getattr(os, "fdatasync", os.fsync)


@lru_cache(maxsize=256)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class _Cursor(base.SQLiteCursorWrapper):
    """Django's SQLite cursor, rewriting each statement's %s to ? once per statement
    text instead of once per run. The listener's hot path runs the same few
    statements all the time; the rewrite (a regex over the whole text) was ~5% of a
    single-action request's CPU and more for a batch's long multi-row inserts
    (bench/README.md). Statements longer than 32 KiB are not kept."""

    # Set by DatabaseWrapper.create_cursor when commits are synced by crmdp.
    sync_wal: Callable[[], None] | None = None

    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None and len(query) <= 32768:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)  # type: ignore[misc]

    def execute(self, query: str, params: Any = None) -> Any:
        changes = self.connection.total_changes
        result = super().execute(query, params)
        self._synced_if_committed(changes)
        return result

    def executemany(self, query: str, param_list: Any) -> Any:
        changes = self.connection.total_changes
        result = super().executemany(query, param_list)
        self._synced_if_committed(changes)
        return result

    def _synced_if_committed(self, changes_before: int) -> None:
        """A write outside a transaction (Django's autocommit: a `save()` outside
        `atomic()`) was committed by SQLite as it ran: it is synced before the
        caller goes on, as a transaction's commit is (`DatabaseWrapper._commit`)."""
        if (
            self.sync_wal is not None
            and not self.connection.in_transaction
            and self.connection.total_changes != changes_before
        ):
            self.sync_wal()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock: int | None = None  # the lock file's descriptor
        self._write_locked = False
        self._nowait = False
        self._wal_index: int | None = None  # the -shm file's descriptor, to read
        self._sqlite_checkpoints = False  # handed back to SQLite (_checkpoint_by_sqlite)

    @property
    def _syncs_commits(self) -> bool:
        """Whether crmdp syncs commits, after the flock (settings.sqlite_database).
        Asked each time: the test runner renames the database after connecting."""
        return bool(self.settings_dict.get("SYNC_AFTER_COMMIT")) and not self.is_in_memory_db()

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=_Cursor)
        if self._syncs_commits:
            cursor.sync_wal = self._sync_wal
        return cursor

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        _create_private(str(conn_params.get("database", "")))
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            # Checkpoints are ours to run, outside the write lock (`_checkpoint`).
            connection.execute("PRAGMA wal_autocheckpoint = 0")
            self._sqlite_checkpoints = False
        return connection

    @contextmanager
    def nowait(self) -> Iterator[None]:
        """Within: a write transaction that cannot have the write lock at once fails
        with OperationalError instead of waiting. For writes that may be skipped
        (an API token's last use), made on a reader's path: a reader must never
        queue behind a long batch, let alone time out with "database is locked"."""
        self.ensure_connection()
        timeout_ms = int(float(self.settings_dict["OPTIONS"].get("timeout", 5)) * 1000)
        self._nowait = True
        with self.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 0")
        try:
            yield
        finally:
            self._nowait = False
            with self.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")

    def _take_write_lock(self) -> None:
        if self.is_in_memory_db():
            return
        if self._write_lock is None:
            path = f"{self.settings_dict['NAME']}.writelock"
            self._write_lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if self._nowait:
            try:
                fcntl.flock(self._write_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OperationalError("database is locked (not waiting)") from None
        else:
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
        wrote = self._write_locked
        try:
            super()._commit()  # type: ignore[misc]
            if wrote:
                self._checkpoint(locked=True)
        finally:
            self._release_write_lock()
        if wrote:
            if self._syncs_commits:
                self._sync_wal()
            self._checkpoint(locked=False)

    def _sync_wal(self) -> None:
        """Sync the WAL to disk: the commits written to it so far, this thread's last
        among them, survive a power cut once this returns. Run after the flock is
        released; SQLite itself commits at NORMAL (settings.sqlite_database).

        Nothing is lost when another writer's commit or checkpoint comes between.
        At NORMAL, SQLite syncs the WAL before a checkpoint copies its pages into
        the database file, and syncs that file before the WAL may be started
        afresh: a commit whose pages another writer has overwritten since is on
        disk in the database file. The same holds when the WAL is gone: SQLite
        deletes it only after copying every page and syncing the database.

        A failed sync raises: the commit is then visible to others but may not
        survive a power cut, and the caller must not report it as done."""
        try:
            wal = os.open(f"{self.settings_dict['NAME']}-wal", os.O_RDONLY)
        except FileNotFoundError:
            return  # see above: every page is in the database file, synced
        except OSError as exc:
            raise OperationalError(f"cannot open the WAL to sync it: {exc}") from exc
        try:
            _sync(wal)
        except OSError as exc:
            raise OperationalError(f"cannot sync the WAL to disk: {exc}") from exc
        finally:
            os.close(wal)

    def _checkpoint(self, *, locked: bool) -> None:
        """Copy the WAL's pages into the database, as SQLite's automatic checkpoint
        did inside COMMIT (every 1,000 pages, while the committing writer held the
        flock and every other writer waited), but mostly after the flock is
        released. The check reads 8 bytes of the wal-index per commit.

        - Unlocked: once CRMDP_SQLITE_CHECKPOINT_PAGES pages wait to be copied. A
          PASSIVE checkpoint neither waits for nor blocks anyone.
        - Locked: SQLite reuses the WAL from its start only when a writer begins
          with every page copied and no reader still reading from the WAL. With
          writers back to back, the next one has always begun before an unlocked
          checkpoint ends, and the WAL would grow without bound. So once it holds
          twice the threshold, a RESTART checkpoint runs before the flock is
          released: it copies the pages committed since the last unlocked
          checkpoint (at most the threshold) and waits up to 5 ms for readers to
          leave the WAL, so that the next writer starts it afresh.

        Every committing process checks, so web processes alone keep the WAL
        bounded (tests/server/test_wal_checkpoints.py)."""
        state = self._wal_state()
        if state is None:
            self._checkpoint_by_sqlite()
            return
        frames, backfilled = state
        threshold = settings.CRMDP_SQLITE_CHECKPOINT_PAGES
        waiting = frames - backfilled
        try:
            if not locked and waiting >= threshold:
                self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            elif locked and frames >= 2 * threshold and waiting < threshold:
                timeout_ms = self.connection.execute("PRAGMA busy_timeout").fetchone()[0]
                self.connection.execute("PRAGMA busy_timeout = 5")
                try:
                    self.connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
                finally:
                    self.connection.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        except sqlite3.Error:
            # Left for the next commit to try again; nothing is lost meanwhile.
            log.warning("WAL checkpoint failed", exc_info=True)

    def _checkpoint_by_sqlite(self) -> None:
        """The wal-index could not be read (another SQLite's format, a file we may
        not open): checkpoints go back to SQLite's automatic one, inside COMMIT
        (slower writers, but a WAL that never stops growing would fill the disk)."""
        if self.is_in_memory_db() or self._sqlite_checkpoints:
            return
        self._sqlite_checkpoints = True
        pages = settings.CRMDP_SQLITE_CHECKPOINT_PAGES
        self.connection.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
        log.warning(
            "CRMDP_SQLITE_CHECKPOINT_PAGES: cannot read %s-shm's header; SQLite "
            "checkpoints the WAL itself, inside COMMIT",
            self.settings_dict["NAME"],
        )

    def _wal_state(self) -> tuple[int, int] | None:
        """(frames in the WAL, frames copied into the database already), or None
        when unknown (an in-memory database, a wal-index of another version)."""
        if self._wal_index is None:
            if self.is_in_memory_db():
                return None
            try:
                self._wal_index = os.open(f"{self.settings_dict['NAME']}-shm", os.O_RDONLY)
            except OSError:
                return None
        try:
            header = os.pread(self._wal_index, 100, 0)
        except OSError:
            return None
        if len(header) < 100:
            return None
        version, frames = _HEADER.unpack_from(header, 0)
        if version != _WAL_INDEX_VERSION:
            return None
        (backfilled,) = _BACKFILLED.unpack_from(header, 96)
        return frames, min(backfilled, frames)

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
            if self._wal_index is not None:
                os.close(self._wal_index)
                self._wal_index = None
