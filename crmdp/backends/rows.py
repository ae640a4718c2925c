"""Inserting and reading model rows without the ORM's query compiler, for the
listener's hot path only.

Django compiles every query anew; for the few statements a listener request runs
each time (find the listener, check the sender, read keys, insert the customer,
its keys, history lines, the delivery row) compiling costs far more than running
them: 0.3 to 0.8 ms each against about 0.02 ms of SQLite. These helpers build
each statement's text once per model and shape, from the model's own metadata,
and convert values with the fields' own `get_db_prep_save`, so they stay right
when a model changes. Everything else uses the ORM.

Still worth it against Django 5.2's `bulk_create` (`python -m bench rows`, 200
alternating repeats, median per insert, 2026-12-04 on the 2-core machine):
SQLite 2.3x faster for one row (a customer 59 µs against 140, a delivery 52 against
120) and 3.6 to 7.9x for a batch's rows (300 keys: 0.8 ms against 6.5);
PostgreSQL 1.4 to 1.8x for one row and 1.1 to 1.2x for a batch's rows (300 keys:
8.0 ms against 8.6). Faster in every case measured, so it stays for every hot-path
insert; re-measure with that command before removing it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache, partial
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connection
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import (
    DateField,
    DateTimeField,
    Field,
    JSONField,
    Model,
    UUIDField,
    signals,
)
from django.db.models.base import ModelState

from crmdp.backends import pipelines

M = TypeVar("M", bound=Model)


@cache
def _columns(model: type[Model], with_pk: bool) -> tuple[Field[Any, Any], ...]:
    return tuple(field for field in model._meta.concrete_fields if with_pk or not field.primary_key)


@cache
def _insert_sql(model: type[Model], with_pk: bool, rows: int, returning: bool) -> str:
    quote = connection.ops.quote_name
    fields = _columns(model, with_pk)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
    )
    if rows == UNNEST:
        # One array per column: the statement is the same whatever the row count,
        # so psycopg and PostgreSQL reuse its parsing and plan (Django's bulk_create
        # does the same since 5.2). The declared size is dropped from each type
        # (varchar[], not varchar(50)[]) as there, so nothing is truncated.
        # %b: psycopg writes a list in binary form ten times as fast as in text (a
        # column of 100 strings: 34 µs against 388; the text form quotes each
        # element in Python): a tenth of a batch's time in process on PostgreSQL
        # was that quoting. A client-side binding cursor quotes it as text anyway.
        types = [str(field.db_type(connection)).split("(")[0] for field in fields]
        arrays = ", ".join(f"(%b)::{db_type}[]" for db_type in types)
        sql += f"SELECT * FROM UNNEST({arrays})"
    else:
        marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql += f"VALUES {', '.join([marks] * rows)}"
    if returning:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    return sql


UNNEST = -1  # `_insert_sql`'s row count for an insert of column arrays


@cache
def _unnestable(model: type[Model], with_pk: bool) -> bool:
    """Whether the model's rows can go to PostgreSQL as column arrays: only fields
    of the backend's own types, whose placeholder is a plain %s (Django's rule)."""
    if connection.vendor != "postgresql":
        return False
    return not any(
        hasattr(field, "get_placeholder")
        or getattr(field, "target_field", field).get_internal_type() not in connection.data_types
        for field in _columns(model, with_pk)
    )


@cache
def _blank(
    model: type[Model],
) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...], dict[str, str]]:
    """What `build` needs of a model, worked out once: the attributes of a new
    instance whose defaults are constants, those whose default is computed for each
    instance (`timezone.now`, `dict`), and each relation's name → attribute."""
    constants: dict[str, Any] = {}
    computed = []
    relations = {}
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            computed.append((field.attname, field.default))
        else:
            constants[field.attname] = field.get_default()
        if field.is_relation:
            relations[field.name] = field.attname
    return constants, tuple(computed), relations


def build(model: type[M], **values: Any) -> M:
    """A new, unsaved `model(**values)`, for rows the hot path creates by the
    thousand (history lines, keys, outbox rows): the same instance the model's
    constructor makes, for a fraction of its cost (3 to 4 µs against 15 to 22).
    `values` are field names (a relation given as an instance) or attribute names
    (`customer_id`)."""
    constants, computed, relations = _blank(model)
    # `receivers` empty (the usual case) answers at once; `has_listeners` costs ~3 µs
    # a call, a twentieth of a batch's time for 18,000 rows built per 40 batches.
    if (signals.pre_init.receivers or signals.post_init.receivers) and (
        signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
    ):
        return model(**values)  # a receiver expects the real constructor
    instance = model.__new__(model)
    instance._state = ModelState()
    attributes = instance.__dict__
    attributes.update(constants)
    for attname, default in computed:
        attributes[attname] = default()
    for name, value in values.items():
        relation = relations.get(name)
        if relation is None:
            if name not in attributes:  # every field's attribute is set by now
                raise TypeError(f"{model.__name__} has no field {name!r}")
            attributes[name] = value
        else:
            attributes[relation] = None if value is None else value.pk
            if value is not None:
                instance._state.fields_cache[name] = value  # `entry.customer` needs no query
    return instance


_CHUNK = 200  # rows per statement: well under SQLite's parameter limit

# Columns whose values both backends store exactly as Python holds them, when they
# are of these types: the field's own conversion would return them unchanged, so
# it is skipped (a third of a batch's insert time). Any other value, or any other
# kind of field (dates, JSON, decimals, UUIDs), still goes through the field.
_STORED_AS_IS: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("CharField", "TextField", "EmailField", "SlugField"), (str, type(None))),
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "PositiveBigIntegerField",
            "ForeignKey",
        ),
        (int, type(None)),
    ),
    "BooleanField": (bool,),
}


Prepare = Callable[[Any, Any], Any]  # (value, the backend's operations) → what is stored


@cache
def _preparers(
    model: type[Model], with_pk: bool
) -> tuple[tuple[Field[Any, Any], str, tuple[type, ...], Prepare], ...]:
    """(field, attribute, types stored as they are, how to convert any other value)
    for each inserted column."""
    found = []
    for field in _columns(model, with_pk):
        plain = _STORED_AS_IS.get(field.get_internal_type(), ())
        if type(None) not in plain and field.get_db_prep_save(None, connection) is None:
            # A null is a null (a date of birth, a request id, JSON left empty): asked
            # of the field once here rather than of each row's value.
            plain = (*plain, type(None))
        if _saves_its_own_value(field):  # auto_now and the like
            plain = ()
        found.append((field, field.attname, plain, _prepare(field)))
    return tuple(found)


def _saves_its_own_value(field: Field[Any, Any]) -> bool:
    """Whether saving may store something else than the attribute: a field with its
    own pre_save, but for a date field without auto_now(_add), whose pre_save then
    reads the attribute (a date of birth)."""
    if type(field).pre_save is Field.pre_save:
        return False
    if isinstance(field, DateField) and type(field) in (DateField, DateTimeField):
        return bool(field.auto_now or field.auto_now_add)
    return True


# A choice of a text or integer field is an Enum subclass of str or int, which the
# field's conversion would turn into (or keep as) the plain value.
_AS_STR = frozenset(("CharField", "TextField", "EmailField", "SlugField"))
_AS_INT = frozenset(("IntegerField", "SmallIntegerField", "PositiveSmallIntegerField"))


def _prepare(field: Field[Any, Any]) -> Prepare:
    """The field's own conversion, with a shortcut for the two kinds every hot-path
    row has: JSON documents and aware datetimes go straight to the backend's
    adapter, which is where the field's conversion would end up for them."""

    def through_field(value: Any, ops: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    if type(field) is JSONField:
        encoder = field.encoder
        # Where the backend stores JSON as the text json.dumps makes (SQLite), an
        # empty list or object is that text already; a new customer has four or five.
        as_text = type(connection.ops).adapt_json_value is BaseDatabaseOperations.adapt_json_value
        empty: dict[type, str] = {list: "[]", dict: "{}"} if as_text else {}

        def json_value(value: Any, ops: Any) -> Any:
            if type(value) in (dict, list):
                if not value and type(value) in empty:
                    return empty[type(value)]
                return ops.adapt_json_value(value, encoder)
            return through_field(value, ops)

        return json_value
    internal = field.get_internal_type()
    if internal in _AS_STR:

        def text_value(value: Any, ops: Any) -> Any:
            if isinstance(value, str):  # its characters, as the driver would bind them
                return str.__str__(value)
            return through_field(value, ops)

        return text_value
    if internal in _AS_INT:

        def int_value(value: Any, ops: Any) -> Any:
            if isinstance(value, int) and not isinstance(value, bool):
                return int(value)
            return through_field(value, ops)

        return int_value
    if type(field) is UUIDField:
        # The field's conversion ends in the backend's form of a UUID: the object
        # itself where the database has a uuid type, its 32 hex digits otherwise.
        native = connection.features.has_native_uuid_field

        def uuid_value(value: Any, ops: Any) -> Any:
            if type(value) is uuid.UUID:
                return value if native else value.hex
            return through_field(value, ops)

        return uuid_value
    if type(field) is DateTimeField and settings.USE_TZ:
        # SQLite stores a datetime as the text of its naive UTC value, which the
        # adapter makes through make_naive and two settings lookups; a value in UTC
        # already (timezone.now()'s) is that text at once, for half the cost.
        text_in_utc = connection.vendor == "sqlite" and connection.timezone is UTC

        def aware_datetime(value: Any, ops: Any) -> Any:
            if type(value) is datetime and value.tzinfo is not None:
                if text_in_utc and value.tzinfo is UTC:
                    return str(value.replace(tzinfo=None))
                return ops.adapt_datetimefield_value(value)
            return through_field(value, ops)  # naive, a string, an expression

        return aware_datetime
    return through_field


def insert(objects: Sequence[M], *, return_ids: bool = False) -> Sequence[M]:
    """INSERT `objects` (all of one model) in as few statements as it takes.

    Objects without a primary key get one from the database; with `return_ids`
    it is set on them (RETURNING, which SQLite ≥ 3.35 and PostgreSQL have)."""
    if not objects:
        return objects
    model = type(objects[0])
    with_pk = objects[0].pk is not None
    preparers = _preparers(model, with_pk)
    ops, alias = connection.ops, connection.alias  # `connection` is a proxy: ~1 µs a look
    table = model._meta.db_table
    unnest = len(objects) > 1 and _unnestable(model, with_pk)
    returning = return_ids and not with_pk
    for start in range(0, len(objects), _CHUNK):
        chunk = objects[start : start + _CHUNK]
        rows: list[list[Any]] = []
        for obj in chunk:
            row = []
            for field, attname, plain, prepare in preparers:
                value = getattr(obj, attname) if plain else field.pre_save(obj, add=True)
                if type(value) not in plain:
                    value = prepare(value, ops)
                row.append(value)
            rows.append(row)
        if unnest:
            params = [list(column) for column in zip(*rows, strict=True)]
        else:
            params = [value for row in rows for value in row]
        sql = _insert_sql(model, with_pk, UNNEST if unnest else len(chunk), returning)
        # In a pipelined() block (PostgreSQL), sent with the block's other writes
        # and the ids set at its end.
        pipelines.write(
            sql, params, table=table, on_rows=partial(_set_ids, chunk) if returning else None
        )
        for obj in chunk:
            obj._state.adding = False
            obj._state.db = alias
    return objects


def _set_ids(objects: Sequence[Model], returned: list[tuple[Any, ...]]) -> None:
    """Set the ids an INSERT … RETURNING gave to the objects it inserted."""
    for obj, (pk,) in zip(objects, returned, strict=True):
        obj.pk = pk


class Prepared(Generic[M]):
    """One row whose INSERT is ready but for a few `late` columns (see `prepare`)."""

    def __init__(self, instance: M, params: list[Any], late: dict[str, int]) -> None:
        self.instance = instance
        self.params = params
        self.late = late  # attribute → its position in params

    def insert(self, **late: Any) -> M:
        """Set the late columns and INSERT the row now; its id is set on the
        instance (RETURNING), as `insert` sets it."""
        if late.keys() != self.late.keys():
            raise TypeError(f"late columns are {sorted(self.late)}, got {sorted(late)}")
        model = type(self.instance)
        ops = connection.ops
        params = list(self.params)
        for field, attname, plain, prepare in _preparers(model, False):
            position = self.late.get(attname)
            if position is None:
                continue
            setattr(self.instance, attname, late[attname])
            value = late[attname] if plain else field.pre_save(self.instance, add=True)
            params[position] = value if type(value) in plain else prepare(value, ops)
        # In a pipelined() block (PostgreSQL) the id is set at its end.
        pipelines.write(
            _insert_sql(model, False, 1, True),
            params,
            table=model._meta.db_table,
            on_rows=partial(_set_ids, [self.instance]),
        )
        self.instance._state.adding = False
        self.instance._state.db = connection.alias
        return self.instance


def prepare(model: type[M], late: Sequence[str], **values: Any) -> Prepared[M]:
    """A new row of `model` (built as `build` does, its id to come from the
    database) with every column converted for the INSERT now, but the `late` ones
    (attribute names): for a row whose last few values are known only inside a
    transaction (the delivery log's answer), so that the rest of the work is done
    before it opens."""
    instance = build(model, **values)
    ops = connection.ops
    params: list[Any] = []
    positions: dict[str, int] = {}
    for field, attname, plain, convert in _preparers(model, False):
        if attname in late:
            positions[attname] = len(params)
            params.append(None)
            continue
        value = getattr(instance, attname) if plain else field.pre_save(instance, add=True)
        params.append(value if type(value) in plain else convert(value, ops))
    if positions.keys() != set(late):
        raise TypeError(
            f"{model.__name__} has no column among {sorted(set(late) - positions.keys())}"
        )
    return Prepared(instance, params, positions)


def select(model: type[M], sql: str, params: Sequence[Any]) -> list[M]:
    """Model instances from a hand-written SELECT of all the model's columns, in
    their order (write `SELECT {columns(model)} FROM …`)."""
    return [found for (found,) in select_many((model,), sql, params)]


def values(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of a hand-written SELECT of plain columns (no model instances)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def select_many(
    models: tuple[type[Model], ...], sql: str, params: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """Instances of several models from each row of a hand-written SELECT (a join),
    whose columns are those of `columns(model)` for each model in turn."""
    shapes = [_shape(model) for model in models]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        position, instances = 0, []
        for model, names, converters in shapes:
            values = list(row[position : position + len(names)])
            for index, functions in enumerate(converters):
                for convert in functions:
                    values[index] = convert(values[index], None, connection)
            instances.append(model.from_db(connection.alias, names, values))
            position += len(names)
        found.append(tuple(instances))
    return found


@cache
def _shape(model: type[Model]) -> tuple[type[Model], list[str], list[list[Any]]]:
    """A model's attribute names and each column's converters, in `columns` order:
    worked out once per process (the one database alias's backend never changes)."""
    fields = _columns(model, True)
    return model, [field.attname for field in fields], [_converters(f) for f in fields]


def _converters(field: Field[Any, Any]) -> list[Any]:
    """The backend's and the field's own converters of a column's raw values."""
    column = field_expression(field)
    return [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]


@cache
def field_expression(field: Field[Any, Any]) -> Any:
    """What a converter expects as its expression argument: the field's column."""
    return field.get_col(field.model._meta.db_table)


@cache
def columns(model: type[Model], alias: str = "") -> str:
    """`"t"."id", "t"."name", …`: every column of `model`, in the order `select` reads."""
    quote = connection.ops.quote_name
    prefix = f"{quote(alias)}." if alias else ""
    return ", ".join(f"{prefix}{quote(field.column)}" for field in _columns(model, True))
