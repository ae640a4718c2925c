"""With CRMDP_SQLITE_SYNCHRONOUS=FULL, a commit is synced to disk after the write
lock is released and before the caller goes on (issue 19).

SQLite itself commits at NORMAL; crmdp's backend syncs the WAL once the flock is
released (crmdp/backends/sqlite/base.py, `_sync_wal`). These tests watch the real
syncs: `base._sync` is wrapped, not replaced, so every sync still reaches the disk.
That the data then survives a power cut is the kernel's promise for a completed
fdatasync, which no test here can cut the power to check."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, transaction
from django.db.utils import ConnectionHandler

from crmdp.backends.sqlite import base
from crmdp.settings import sqlite_database


def _open(path: Path, monkeypatch):
    """A file database of the test's own, as `crmdp serve` configures it, which
    `transaction.atomic()` then uses (Django's real one, not an imitation)."""
    handler = ConnectionHandler({"default": sqlite_database(path)})
    connection = handler["default"]
    monkeypatch.setattr(transaction, "get_connection", lambda using=None: connection)
    connection.ensure_connection()
    connection.connection.execute("CREATE TABLE t (x TEXT)")
    return connection


@pytest.fixture
def database(tmp_path, monkeypatch, django_db_blocker):
    monkeypatch.setenv("CRMDP_SQLITE_SYNCHRONOUS", "FULL")
    with django_db_blocker.unblock():
        connection = _open(tmp_path / "crmdp.sqlite3", monkeypatch)
        yield connection
        connection.close()


@pytest.fixture
def syncs(monkeypatch, tmp_path):
    """Each sync made: (the synced file's name, whether another writer could take
    the write lock at that moment)."""
    made: list[tuple[str, bool]] = []
    real = base._sync
    lock_path = tmp_path / "crmdp.sqlite3.writelock"

    def watched(fd: int) -> None:
        synced = Path(os.readlink(f"/proc/self/fd/{fd}")).name
        made.append((synced, _lock_is_free(lock_path)))
        real(fd)

    monkeypatch.setattr(base, "_sync", watched)
    return made


def _lock_is_free(path: Path) -> bool:
    other = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(other, fcntl.LOCK_UN)
        return True
    finally:
        os.close(other)


def _insert(connection, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (%s)", [value])


def test_a_commit_is_synced_after_the_lock_is_released_and_before_it_returns(database, syncs):
    with transaction.atomic():
        _insert(database, "a")
        _insert(database, "b")
        assert syncs == []  # nothing synced while the transaction is open
    # One sync of the WAL, made while the lock was free for the next writer, and
    # before atomic() returned (a listener answers only after that).
    assert syncs == [("crmdp.sqlite3-wal", True)]
    # SQLite itself no longer syncs inside COMMIT, under the lock.
    assert database.connection.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL


def test_a_write_outside_a_transaction_is_synced_and_a_read_is_not(database, syncs):
    # Django's autocommit: SQLite commits the statement as it runs (a save()
    # outside atomic()); it is synced before execute() returns.
    _insert(database, "a")
    assert syncs == [("crmdp.sqlite3-wal", True)]
    with database.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (1,)
    assert len(syncs) == 1


def test_a_rolled_back_transaction_is_not_synced(database, syncs):
    with pytest.raises(RuntimeError), transaction.atomic():
        _insert(database, "a")
        raise RuntimeError("the action failed")
    assert syncs == []
    with database.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (0,)


def test_a_failed_sync_fails_the_commit_and_frees_the_lock(database, monkeypatch, tmp_path):
    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(base, "_sync", failing)
    # The caller hears of it: the commit may not survive a power cut, so a
    # listener must not answer 2xx (it answers 500 and the sender sends again).
    with (
        pytest.raises(OperationalError, match="cannot sync the WAL to disk"),
        transaction.atomic(),
    ):
        _insert(database, "a")
    assert _lock_is_free(tmp_path / "crmdp.sqlite3.writelock")


@pytest.mark.parametrize(("asked", "pragma"), [("NORMAL", 1), ("OFF", 0), ("EXTRA", 3)])
def test_other_levels_are_sqlites_own_and_not_synced_by_crmdp(
    asked, pragma, tmp_path, monkeypatch, django_db_blocker, syncs
):
    monkeypatch.setenv("CRMDP_SQLITE_SYNCHRONOUS", asked.lower())
    with django_db_blocker.unblock():
        connection = _open(tmp_path / "crmdp.sqlite3", monkeypatch)
        try:
            with transaction.atomic():
                _insert(connection, "a")
            _insert(connection, "b")
            assert connection.connection.execute("PRAGMA synchronous").fetchone() == (pragma,)
        finally:
            connection.close()
    assert syncs == []


def test_an_unknown_level_stops_the_start_naming_the_setting(tmp_path, monkeypatch):
    # SQLite would read "FUL" as NORMAL: less durable than the operator asked.
    monkeypatch.setenv("CRMDP_SQLITE_SYNCHRONOUS", "FUL")
    with pytest.raises(ImproperlyConfigured, match="CRMDP_SQLITE_SYNCHRONOUS must be"):
        sqlite_database(tmp_path / "crmdp.sqlite3")
