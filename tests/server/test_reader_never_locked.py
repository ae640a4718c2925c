"""An API read never fails with "database is locked" (issue 13, point 9).

Reading with an API token records the token's last use (at most once a minute).
On SQLite that is a write: made on the reader's path it queued behind whatever
held the write lock and, past the busy timeout, failed the read with a 500. Now
the write is skipped when the lock is not free at once.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time

import pytest

from tests.server.conftest import Deploy
from tests.server.harness import SQLITE

pytestmark = pytest.mark.server


def test_api_reads_answer_at_once_while_a_long_write_holds_the_lock(deploy: Deploy):
    # A short busy timeout, so that the old behaviour shows in seconds (a 500).
    env = deploy(SQLITE, CRMDP_SQLITE_BUSY_TIMEOUT="3")
    site = env.provision()
    client = env.serve(processes=1).client(timeout=30)
    path = env.data_dir / env.database.name

    # A long writer, as a large listener batch is: it holds the application's write
    # queue (the flock every crmdp writer takes) and SQLite's own write lock.
    queue = os.open(f"{path}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
    writer = sqlite3.connect(path, isolation_level=None)
    fcntl.flock(queue, fcntl.LOCK_EX)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        reads = [client.get("/api/v1/customers", site.owner_token) for _ in range(3)]
        elapsed = time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
        fcntl.flock(queue, fcntl.LOCK_UN)
        os.close(queue)
    assert [read.status for read in reads] == [200, 200, 200], reads
    assert elapsed < 2, f"three reads took {elapsed:.1f} s behind the writer"
    last_used = writer.execute("SELECT last_used_at FROM orgs_apitoken").fetchall()
    assert last_used == [(None,)]  # skipped, not waited for

    # With the lock free again, the next read records it.
    assert client.get("/api/v1/customers", site.owner_token).status == 200
    assert writer.execute("SELECT last_used_at FROM orgs_apitoken").fetchone()[0] is not None
    writer.close()
