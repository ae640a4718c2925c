"""Database ids taken before the rows are inserted (crmdp/customers/numbering.py says
why): from the table's sequence on PostgreSQL, after the highest id ever used on
SQLite, where the write transaction holds the database's one write lock."""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


def ids_from_a_sequence() -> bool:
    """Whether ids cost a query each time (PostgreSQL), so it pays to take them in
    blocks; on SQLite they are counted in memory after `highest_id_ever`."""
    return connection.vendor == "postgresql"


def take_ids(model: type[Model], count: int) -> list[int]:
    """`count` new ids from the table's sequence, in one query (PostgreSQL). An id
    taken and not used is never given again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [taken for (taken,) in cursor.fetchall()]


def highest_id_ever(model: type[Model]) -> int:
    """The highest id the table has ever used (SQLite): AUTOINCREMENT keeps it in
    sqlite_sequence, so the id of a deleted row is never given to another."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT max(coalesce((SELECT max(id) FROM {table}), 0), "
            "coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [model._meta.db_table],
        )
        (highest,) = cursor.fetchone()
    return int(highest)
