"""The hot path's rows (crmdp.backends.rows): what `build` and `insert` store must be
exactly what the ORM's constructor and `save()` would have stored."""

import uuid
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection
from django.db.models import signals

from crmdp.backends import rows
from crmdp.customers.models import Customer, Gender, Kind
from crmdp.history.models import HistoryEntry
from crmdp.orgs.models import Org


def attributes(instance):
    return {
        field.attname: getattr(instance, field.attname) for field in type(instance)._meta.fields
    }


def test_build_makes_the_instance_the_constructor_makes(org):
    customer = Customer.objects.create(org=org, kind=Kind.CONTACT, number=1, name="Lan")
    values = dict(org=org, customer=customer, text="Created.", customer_id=customer.id)
    built, made = rows.build(HistoryEntry, **values), HistoryEntry(**values)
    built_attributes, made_attributes = attributes(built), attributes(made)
    # `at` defaults to now: computed for each instance, so only nearly equal.
    assert abs(built_attributes.pop("at") - made_attributes.pop("at")).total_seconds() < 1
    assert built_attributes == made_attributes
    assert built._state.adding and built.pk is None


def test_a_relation_given_as_an_instance_is_read_without_a_query(org, django_assert_num_queries):
    customer = Customer.objects.create(org=org, kind=Kind.CONTACT, number=1, name="Lan")
    entry = rows.build(HistoryEntry, org=org, customer=customer, text="x")
    with django_assert_num_queries(0):
        assert entry.customer is customer
        assert entry.customer_id == customer.id


def test_computed_defaults_are_not_shared_between_instances(org):
    first, second = rows.build(Customer, org=org), rows.build(Customer, org=org)
    first.emails.append({"value": "a@example.com"})
    first.custom_fields["1"] = "x"
    assert second.emails == [] and second.custom_fields == {}


def test_an_unknown_field_is_refused_as_the_constructor_refuses_it(org):
    with pytest.raises(TypeError, match="nickname"):
        rows.build(Customer, org=org, nickname="Lan")


def test_a_model_with_init_receivers_gets_the_real_constructor(org):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    signals.post_init.connect(receiver, sender=Org)
    try:
        built = rows.build(Org, name="Acme")
    finally:
        signals.post_init.disconnect(receiver, sender=Org)
    assert seen == [built]


@pytest.mark.parametrize("born", [None, date(1990, 1, 2)])
def test_insert_stores_json_and_datetimes_as_save_does(org, born):
    when = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    # Another zone's time goes through the backend's adapter, a UTC one (what
    # timezone.now() gives) is written directly on SQLite: both as save() stores them.
    elsewhere = datetime(2026, 3, 4, 12, 6, 7, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    values = dict(
        org=org,
        kind=Kind.CONTACT,  # choices: a str Enum and an int Enum
        gender=Gender.FEMALE,
        name="Lan",
        emails=[{"type": "work", "value": "lan@example.com", "normalized": "lan@example.com"}],
        custom_fields={"7": "Gold", "8": ["a", "b"]},
        date_of_birth=born,
        created_at=when,
        updated_at=elsewhere,
    )
    inserted = rows.insert([rows.build(Customer, number=1, **values)], return_ids=True)[0]
    saved = Customer.objects.create(number=2, **values)

    inserted_row = attributes(Customer.objects.get(id=inserted.id))
    saved_row = attributes(Customer.objects.get(id=saved.id))
    assert inserted_row.pop("id") != saved_row.pop("id")
    assert (inserted_row.pop("number"), saved_row.pop("number")) == (1, 2)
    assert inserted_row == saved_row
    assert inserted_row["created_at"] == when
    assert inserted_row["updated_at"] == elsewhere
    # The columns hold the choices' values, not their names, and the very text (on
    # SQLite) save() writes for a datetime: range filters compare that text.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, gender, date_of_birth, CAST(created_at AS TEXT),"
            " CAST(updated_at AS TEXT) FROM customers_customer WHERE id IN (%s, %s)"
            " ORDER BY number",
            [inserted.id, saved.id],
        )
        inserted_raw, saved_raw = cursor.fetchall()
    kind, gender, stored_born = inserted_raw[:3]
    assert inserted_raw[3:] == saved_raw[3:]  # created_at, updated_at
    assert (kind, gender) == (Kind.CONTACT.value, Gender.FEMALE.value)
    assert stored_born in (born, born and born.isoformat())
    # Filtering on a stored value finds both: the JSON is stored, not its repr.
    found = Customer.objects.filter(emails__0__value="lan@example.com").values_list("id", flat=True)
    assert set(found) == {inserted.id, saved.id}


@contextmanager
def client_side_binding():
    """PostgreSQL: this connection's statements bound in the client, as with
    `?server_side_binding=false` (PgBouncer): an array parameter is written as a
    quoted literal there, not in binary form. SQLite has one way only."""
    raw = connection.connection
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.base import Cursor

    before = raw.cursor_factory
    raw.cursor_factory = Cursor
    try:
        yield
    finally:
        raw.cursor_factory = before


@pytest.mark.parametrize("binding", ["default", "client-side"])
def test_many_rows_at_once_come_back_exactly_as_given(org, binding):
    # On PostgreSQL several rows go as one array per column (UNNEST), in binary form
    # (or as a quoted literal with client-side binding): values that need quoting
    # inside an array literal, nulls and large numbers must still arrive intact.
    connection.ensure_connection()
    with client_side_binding() if binding == "client-side" else nullcontext():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                client_side = isinstance(cursor.cursor, psycopg.ClientCursor)
            assert client_side == (binding == "client-side")
        _many_rows_come_back_exactly_as_given(org)


def _many_rows_come_back_exactly_as_given(org):
    awkward = ['quote " and \\ backslash', "{braces}, commas", "", "NULL", "ünïcode ✓"]
    entries = [
        rows.build(
            HistoryEntry,
            org=org,
            text=text,
            request_id=uuid.uuid4() if index % 2 else None,
        )
        for index, text in enumerate(awkward)
    ]
    rows.insert(entries)
    stored = HistoryEntry.objects.order_by("id").values_list("text", "request_id", "at")
    assert [(text, request) for text, request, _ in stored] == [
        (entry.text, entry.request_id) for entry in entries
    ]
    assert [at for _, _, at in stored] == [entry.at for entry in entries]
    numbers = [1, 2, 40_000, 2_147_483_647, 3]  # a list's ints of several widths
    customers = [
        rows.build(
            Customer,
            org=org,
            kind=Kind.CONTACT,
            number=n,
            name=text,
            tags=[text],
            im=[],
            custom_fields={"7": {"nested": [text, None, 1.5]}} if n % 2 else {},
        )
        for n, text in zip(numbers, awkward, strict=True)
    ]
    rows.insert(customers)
    assert [
        (c.number, c.name, c.tags, c.custom_fields) for c in Customer.objects.order_by("id")
    ] == [(c.number, c.name, c.tags, c.custom_fields) for c in customers]
