"""Statements sent together (crmdp.backends.pipelines) and psycopg's options: what
a queued write stores, and what a failing one raises, must be what it would have
been sent alone."""

import pytest
from django.db import IntegrityError, transaction

from crmdp.backends import rows
from crmdp.backends.pipelines import pipelined
from crmdp.customers.models import Customer, Kind
from crmdp.history.models import HistoryEntry
from crmdp.settings import postgres_options


def test_rows_queued_in_a_block_are_stored_and_their_ids_set_by_its_end(org):
    customer = Customer.objects.create(org=org, kind=Kind.CONTACT, number=1, name="Lan")
    with transaction.atomic():
        with pipelined():
            entries = [
                rows.build(HistoryEntry, org=org, customer=customer, text=f"line {n}.")
                for n in range(3)
            ]
            rows.insert(entries, return_ids=True)
            rows.insert([rows.build(HistoryEntry, org=org, customer=customer, text="last.")])
        assert all(entry.pk is not None for entry in entries)
    stored = HistoryEntry.objects.filter(customer=customer).order_by("id")
    expected = [(entry.pk, entry.text) for entry in entries] + [(stored.last().id, "last.")]
    assert [(entry.id, entry.text) for entry in stored] == expected


def test_a_failing_queued_write_is_raised_as_djangos_error_and_nothing_stays(org):
    first = rows.build(Customer, org=org, kind=Kind.CONTACT, number=7, name="Lan")
    again = rows.build(Customer, org=org, kind=Kind.CONTACT, number=7, name="Mai")  # same code
    with pytest.raises(IntegrityError), transaction.atomic(), pipelined():
        rows.insert([first])
        rows.insert([again])
        rows.insert([rows.build(HistoryEntry, org=org, text="after the failure")])
    assert not Customer.objects.filter(org=org, number=7).exists()
    assert not HistoryEntry.objects.filter(text="after the failure").exists()


def test_postgres_statements_are_prepared_unless_the_url_says_not():
    assert postgres_options({"sslmode": "require"}) == {
        "sslmode": "require",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    # PgBouncer before 1.21 in transaction mode cannot keep prepared statements.
    assert postgres_options({"prepare_threshold": "none"})["prepare_threshold"] is None
    assert postgres_options({"prepare_threshold": "2"})["prepare_threshold"] == 2
    off = postgres_options({"server_side_binding": "false"})
    assert (off["server_side_binding"], off["prepare_threshold"]) == (False, None)
