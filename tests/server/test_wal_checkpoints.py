"""SQLite's write-ahead log stays bounded with only web processes running (issue 19).

SQLite's automatic checkpoint (copying the WAL's pages into the database so the
WAL can be reused) ran inside the COMMIT of whichever writer crossed its
threshold, while that writer held the application's write lock: every writer
queued behind it. It is off now; the committing process checkpoints after it has
released the lock, once CRMDP_SQLITE_CHECKPOINT_PAGES pages wait, and copies the
last few pages under the lock only when writers come back to back (see
crmdp/backends/sqlite/base.py). Without either, nothing would copy the pages back
while the server runs and the WAL would grow with every request.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest

from tests.server.conftest import Deploy
from tests.server.harness import SQLITE

pytestmark = pytest.mark.server

PAGE = 4096  # SQLite's default page size, which crmdp keeps
THRESHOLD = 100  # pages
CLIENTS = 4
PER_CLIENT = 60  # each new contact writes some 30 pages: ~7,000 without checkpoints


def test_the_wal_is_checkpointed_and_stays_bounded_under_back_to_back_writers(deploy: Deploy):
    env = deploy(SQLITE, CRMDP_SQLITE_CHECKPOINT_PAGES=str(THRESHOLD))
    site = env.provision()
    server = env.serve(processes=2, threads=4)  # web processes only, no worker
    path = env.data_dir / env.database.name
    wal = path.with_name(path.name + "-wal")

    # Writers back to back: each client sends its next request as soon as the
    # last is answered, so the write lock is rarely free.
    statuses: list[int] = []
    sizes: list[int] = []

    def client(number: int) -> None:
        http = server.client()
        for i in range(PER_CLIENT):
            call = site.call(
                [("add-contact", {"name": f"C {number} {i}", "passport": f"W{number}x{i}"})]
            )
            statuses.append(http.send(call).status)
            # The file's size is the most frames it ever held: it is reused from
            # its start once all of it is copied, not shrunk.
            sizes.append((wal.stat().st_size - 32) // (24 + PAGE))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * CLIENTS * PER_CLIENT

    # Never checkpointed, the WAL would reach ~7,000 pages; checkpointed by
    # SQLite's own rule instead of the setting, 1,000 and more. With the setting,
    # twice the threshold plus the commits in flight, and a few more commits now
    # and then (300 to 470 pages seen).
    assert max(sizes) < 10 * THRESHOLD, sizes

    # Everything committed is there, read through a connection of our own.
    reader = sqlite3.connect(path)
    try:
        (count,) = reader.execute("SELECT count(*) FROM customers_customer").fetchone()
    finally:
        reader.close()
    assert count == CLIENTS * PER_CLIENT
