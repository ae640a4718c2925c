"""Statements sent together (crmdp.backends.pipelines) and psycopg's options: what
a queued write stores, and what a failing one raises, must be what it would have
been sent alone."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from crmdp.backends import pipelines, rows
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


def _statements_sent(block) -> list[str]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        block()
    return [query["sql"] for query in captured.captured_queries]


def test_writes_to_different_tables_go_as_one_statement_and_keep_their_links(org):
    def block() -> None:
        with transaction.atomic(), pipelined():
            customer = rows.build(Customer, org=org, kind=Kind.CONTACT, number=3, name="Lan")
            customer.id = Customer.objects.order_by("-id").values_list("id", flat=True).first()
            customer.id = (customer.id or 0) + 1000
            rows.insert([customer])
            # A line about the customer inserted by the other clause of the statement
            # (its foreign key is checked at COMMIT: Django's are deferred).
            line = rows.build(HistoryEntry, org=org, customer=customer, text="created.")
            rows.insert([line], return_ids=True)
        assert line.pk is not None
        state["line"] = line

    state: dict[str, HistoryEntry] = {}
    sent = _statements_sent(block)
    writes = [sql for sql in sent if not sql.startswith(("SELECT", "SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        assert len(writes) == 1 and writes[0].startswith("WITH w0 AS (INSERT")
    else:
        assert len(writes) == 2
    line = HistoryEntry.objects.get(pk=state["line"].pk)
    assert (line.customer.name, line.text) == ("Lan", "created.")


def test_a_statement_of_the_orm_in_a_block_runs_after_the_writes_held_before_it(org):
    customer = rows.build(Customer, org=org, kind=Kind.CONTACT, number=4, name="Lan")
    with transaction.atomic(), pipelined():
        rows.insert([customer], return_ids=True)
        rows.insert([rows.build(HistoryEntry, org=org, text="held.")])
        # Sent only once the held writes are: otherwise it would find no row.
        Customer.objects.filter(org=org, number=4).update(name="Mai")
    assert Customer.objects.get(org=org, number=4).name == "Mai"
    assert HistoryEntry.objects.filter(org=org, text="held.").exists()


def test_a_failing_clause_fails_the_whole_statement_and_nothing_stays(org):
    with pytest.raises(IntegrityError), transaction.atomic(), pipelined():
        rows.insert([rows.build(Customer, org=org, kind=Kind.CONTACT, number=5, name="Lan")])
        # Another table, so the same statement: a line without its text.
        rows.insert([rows.build(HistoryEntry, org=org, text=None)])
    assert not Customer.objects.filter(org=org, number=5).exists()


@pytest.mark.parametrize(("ids", "statements"), [(20, 1), (30, 2)])
def test_a_statement_is_cut_where_psycopg_would_parse_it_anew_each_time(org, ids, statements):
    # psycopg keeps a statement's parsing only up to 50 parameters: 26 + 20 go as one
    # statement, 26 + 30 as two.
    lines = ", ".join(["(%s, CURRENT_TIMESTAMP, %s)"] * 13)
    marks = ", ".join(["%s"] * ids)

    def block() -> None:
        with transaction.atomic(), pipelined():
            pipelines.write(
                f"INSERT INTO history_historyentry (org_id, at, text) VALUES {lines}",
                [value for n in range(13) for value in (org.id, f"line {n}")],
                table="history_historyentry",
            )
            pipelines.write(
                f"UPDATE customers_customer SET name = name WHERE id IN ({marks})",
                list(range(ids)),
                table="customers_customer",
            )

    sent = [sql for sql in _statements_sent(block) if sql.startswith(("WITH", "INSERT", "UPDATE"))]
    assert len(sent) == (statements if connection.vendor == "postgresql" else 2)
    assert HistoryEntry.objects.filter(org=org, text__startswith="line ").count() == 13
