"""When the wal-index cannot be read, SQLite checkpoints the WAL itself (issue 19).

crmdp turns SQLite's automatic checkpoint off and runs its own after the write lock
is released, deciding when from the -shm file's header (crmdp/backends/sqlite/base.py).
An SQLite whose wal-index has another format must not leave the WAL growing until
the disk is full: the checkpoint goes back to SQLite, with a warning naming the
setting."""

from __future__ import annotations

import logging

from django.db.utils import ConnectionHandler

from crmdp.backends.sqlite import base
from crmdp.settings import sqlite_database

PAGE = 4096
COMMITS = 120


def wal_frames_after_commits(tmp_path) -> int:
    handler = ConnectionHandler({"default": sqlite_database(tmp_path / "crmdp.sqlite3")})
    database = handler["default"]
    try:
        database.ensure_connection()
        database.connection.execute("CREATE TABLE t (x TEXT)")
        for _ in range(COMMITS):
            # What transaction.atomic() does on this backend: the flock, BEGIN
            # IMMEDIATE, then COMMIT and the checkpoint decision.
            database._start_transaction_under_autocommit()
            database.connection.execute("INSERT INTO t VALUES (?)", ("x" * 3000,))
            database._commit()
        wal = tmp_path / "crmdp.sqlite3-wal"
        return (wal.stat().st_size - 32) // (24 + PAGE)
    finally:
        database.close()


def test_crmdp_checkpoints_keep_the_wal_small(tmp_path, settings, django_db_blocker):
    settings.CRMDP_SQLITE_CHECKPOINT_PAGES = 10
    with django_db_blocker.unblock():  # a database file of the test's own
        assert wal_frames_after_commits(tmp_path) <= 3 * 10


def test_an_unreadable_wal_index_hands_checkpoints_back_to_sqlite(
    tmp_path, settings, monkeypatch, caplog, django_db_blocker
):
    settings.CRMDP_SQLITE_CHECKPOINT_PAGES = 10
    monkeypatch.setattr(base, "_WAL_INDEX_VERSION", 1)  # as if another SQLite's format
    with (
        caplog.at_level(logging.WARNING, logger="crmdp.backends.sqlite.base"),
        django_db_blocker.unblock(),
    ):
        frames = wal_frames_after_commits(tmp_path)
    # Never checkpointed, the WAL would hold every commit's pages (over 120).
    assert frames <= 3 * 10
    (warning,) = [r.getMessage() for r in caplog.records]
    assert warning.startswith("CRMDP_SQLITE_CHECKPOINT_PAGES: cannot read")
