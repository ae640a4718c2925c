"""The PostgreSQL connection health check (crmdp/backends/postgresql/base.py).

Every request starts by checking its persistent connection. The check must cost the
server nothing while the connection is fine, and must still notice a session the
server has ended, so that the request after a restart or a terminated backend runs
on a new connection instead of failing.

Both engines' runs have a PostgreSQL server (the SQLite pass gets scripts/test.sh's
embedded one), so these run in both; the connection is the test's own, to the
server's maintenance database, and runs only SELECTs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db.utils import ConnectionHandler

from crmdp.settings import database_from_url
from tests.server.harness import postgres_url

MARK = "SELECT pg_backend_pid(), 'the last statement before the check'"


@pytest.fixture
def database(django_db_blocker) -> Iterator:
    handler = ConnectionHandler({"default": database_from_url(postgres_url())})
    wrapper = handler["default"]
    with django_db_blocker.unblock():  # a connection of the test's own
        try:
            yield wrapper
        finally:
            wrapper.close()


def backend_pid(database) -> int:
    with database.cursor() as cursor:
        cursor.execute(MARK)
        return cursor.fetchone()[0]


def last_statement(pid: int) -> str:
    with psycopg.connect(postgres_url(), autocommit=True) as watcher:
        query = "SELECT query FROM pg_stat_activity WHERE pid = %s"
        row = watcher.execute(query, (pid,)).fetchone()
    return row[0] if row else ""


def test_a_healthy_idle_connection_is_checked_without_a_statement(database):
    pid = backend_pid(database)
    for _ in range(50):
        assert database.is_usable()
    # Django's own check would have run SELECT 1 there, 50 times.
    assert last_statement(pid) == MARK


def test_a_session_the_server_ended_is_noticed_and_the_next_request_reconnects(database):
    pid = backend_pid(database)
    with psycopg.connect(postgres_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.02)
    assert not database.is_usable()
    # What Django does at the start of a request, then the request's first query.
    database.close_if_unusable_or_obsolete()
    assert backend_pid(database) != pid
