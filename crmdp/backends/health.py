"""Telling a database outage from a fault of ours."""

from __future__ import annotations

from contextlib import suppress

from django.db import Error, InterfaceError, OperationalError, connection
from django.db.migrations.executor import MigrationExecutor

# What a lost database raises: OperationalError for a refused or cut connection
# (or an SQLite file that cannot be opened), InterfaceError for a closed one.
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def database_answers() -> bool:
    """Whether the database answers a trivial query now, on a fresh connection if
    the current one is broken. Called after a connection error, outside any
    transaction, to decide between 503 (an outage: retry later) and 500."""
    if connection.in_atomic_block:
        return True  # cannot probe from inside a transaction; assume a fault of ours
    try:
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Error:
        with suppress(Error):
            connection.close()
        return False


def unapplied_migrations() -> list[str]:
    """`app.migration` of each migration the code knows and the database has not
    applied, in the order `migrate` would apply them. Raises django.db.Error when
    the database does not answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
