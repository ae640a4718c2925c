"""Django's PostgreSQL backend, with a connection health check that costs no round
trip when nothing is wrong.

Connections are persistent and checked at the start of every request
(CONN_HEALTH_CHECKS). Django checks with a `SELECT 1`: one more round trip, and one
more statement for the server, before each request's own work (a single-action
delivery runs about eight). Here an idle connection is asked instead whether its
socket has anything to read. Between transactions the server sends nothing unless
it is ending the session (a restart, `pg_terminate_backend`, an idle timeout: an
error message, then end of file), so a quiet socket is a usable connection. When
something did arrive, or the connection is not idle, Django's `SELECT 1` decides
as before. A connection cut with no word from the server (a network partition)
goes unnoticed either way until a statement fails.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return bool(super().is_usable())
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):  # the descriptor is gone
            return False
        # Something the server sent unasked: usually its goodbye. psycopg reads it
        # (and fails) in the SELECT 1.
        return not readable or bool(super().is_usable())
