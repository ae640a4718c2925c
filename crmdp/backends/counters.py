"""Rows of counters read with a lock and written back, in one statement each: the
SQL behind crmdp/orgs/numbering.py, which says why numbers are kept this way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import connection
from django.db.models import Field, Model

from crmdp.backends import pipelines


def _names(model: type[Model], scope: str, key: str, value: str) -> tuple[str, ...]:
    quote = connection.ops.quote_name
    columns = []
    for name in (scope, key, value):
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        columns.append(quote(field.column))
    return (quote(model._meta.db_table), *columns)


def read_and_lock(
    model: type[Model], *, scope: tuple[str, int], key: str, value: str, keys: Sequence[str]
) -> dict[str, int]:
    """{key: value} of the rows `scope` (`("org", 7)`) × `keys`, locked until the
    transaction ends; missing rows are created at 0. An upsert that changes nothing:
    one statement that both creates and locks, on both engines."""
    table, scope_column, key_column, value_column = _names(model, scope[0], key, value)
    rows = ", ".join(["(%s, %s, 0)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({scope_column}, {key_column}, {value_column}) VALUES {rows} "
            f"ON CONFLICT ({scope_column}, {key_column}) "
            f"DO UPDATE SET {value_column} = {table}.{value_column} "
            f"RETURNING {key_column}, {value_column}",
            [part for name in keys for part in (scope[1], name)],
        )
        return {name: int(given) for name, given in cursor.fetchall()}


def write(
    model: type[Model], *, scope: tuple[str, int], key: str, value: str, values: Mapping[str, int]
) -> None:
    """Set the rows `scope` × `values`' keys to their values, in one statement."""
    if not values:
        return
    table, scope_column, key_column, value_column = _names(model, scope[0], key, value)
    cases = " ".join(["WHEN %s THEN %s"] * len(values))
    marks = ", ".join(["%s"] * len(values))
    pipelines.write(
        f"UPDATE {table} SET {value_column} = CASE {key_column} {cases} END "
        f"WHERE {scope_column} = %s AND {key_column} IN ({marks})",
        [*(part for pair in values.items() for part in pair), scope[1], *values],
        table=model._meta.db_table,
    )
