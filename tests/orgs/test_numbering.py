"""Per-org record numbers (crmdp.orgs.numbering) and the upgrade that introduced them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crmdp.customers.matching import code_filter, parse_code
from crmdp.customers.models import Customer, Kind
from crmdp.orgs.models import NumberSeries, Series
from crmdp.orgs.numbering import Numbers, take_number
from crmdp.orgs.services import org_create


def test_each_org_and_series_counts_from_one(org):
    other, _ = org_create(name="Other Org", owner_email="boss@other.example")
    ours, theirs = Numbers(org.id), Numbers(other.id)

    assert [ours.take(Series.CONTACT) for _ in range(3)] == [1, 2, 3]
    assert ours.take(Series.ACCOUNT) == 1
    assert ours.take(Series.DEAL) == 1
    assert theirs.take(Series.CONTACT) == 1


def test_saved_numbers_are_never_given_again(org):
    numbers = Numbers(org.id)
    numbers.take(Series.TICKET), numbers.take(Series.TICKET)
    assert numbers.save() == 1  # one series moved

    assert Numbers(org.id).take(Series.TICKET) == 3
    assert take_number(org.id, Series.TICKET) == 3
    assert take_number(org.id, Series.TICKET) == 4
    assert NumberSeries.objects.get(org=org, series=Series.TICKET).last_given == 4


def test_a_failed_actions_numbers_are_given_to_the_next(org):
    numbers = Numbers(org.id)
    numbers.action_started()
    assert numbers.take(Series.LEAD) == 1
    numbers.action_done()
    numbers.action_started()
    assert (numbers.take(Series.LEAD), numbers.take(Series.DEAL)) == (2, 1)
    numbers.action_failed()

    assert (numbers.take(Series.LEAD), numbers.take(Series.DEAL)) == (2, 1)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("PID-1", (Kind.CONTACT, 1)),
        (" cid-41 ", (Kind.ACCOUNT, 41)),
        ("Lid-007", (Kind.LEAD, 7)),
        ("TID-1", None),
        ("PID-", None),
        ("PID-1.5", None),
        ("PID-١٢", None),  # Arabic-Indic digits are decimal to Python, not to a code
        ("PID-" + "9" * 19, None),
    ],
)
def test_parse_code(text, parsed):
    assert parse_code(text) == parsed


def test_a_code_filter_finds_the_number_not_the_database_id(org):
    other, _ = org_create(name="Other Org", owner_email="boss@other.example")
    theirs = Customer.objects.create(org=other, kind=Kind.CONTACT, number=1, name="Theirs")
    ours = Customer.objects.create(org=org, kind=Kind.CONTACT, number=1, name="Ours")
    where = code_filter("PID-1")
    assert where is not None

    assert list(Customer.objects.filter(where, org=org)) == [ours]
    assert list(Customer.objects.filter(where, org=other)) == [theirs]
    assert code_filter("PID-1", kinds=[Kind.LEAD]) is None
    assert ours.code == theirs.code == "PID-1"


# -- the upgrade: records made before codes were per org keep their codes -------------

BEFORE = [
    ("orgs", "0003_membership_full_name"),
    ("customers", "0003_renormalise_keys"),
    ("tickets", "0002_ticket_statuses"),
    ("deals", "0002_renormalise_values"),
]


@pytest.mark.django_db(transaction=True)
def test_upgrading_keeps_every_code_and_numbers_new_records_after_each_orgs_highest():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    old_org = old.get_model("orgs", "Org")
    old_customers = old.get_model("customers", "Customer")
    old_tickets = old.get_model("tickets", "Ticket")
    old_deals = old.get_model("deals", "Deal")
    a, b = old_org.objects.create(name="A"), old_org.objects.create(name="B")
    # Ids as the old global numbering gave them: the orgs' records interleaved.
    first_a = old_customers.objects.create(org=a, kind="contact", name="A1")
    only_b = old_customers.objects.create(org=b, kind="contact", name="B1")
    last_a = old_customers.objects.create(org=a, kind="contact", name="A2")
    lead_a = old_customers.objects.create(org=a, kind="lead", name="AL")
    ticket_b = old_tickets.objects.create(org=b, title="T", body="T")
    deal_a = old_deals.objects.create(org=a, name="D", name_key="d")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    for old_customer, prefix in [
        (first_a, "PID"),
        (only_b, "PID"),
        (last_a, "PID"),
        (lead_a, "LID"),
    ]:
        assert Customer.objects.get(id=old_customer.id).code == f"{prefix}-{old_customer.id}"
    assert Numbers(a.id).take(Series.CONTACT) == last_a.id + 1
    assert Numbers(b.id).take(Series.CONTACT) == only_b.id + 1
    assert Numbers(a.id).take(Series.LEAD) == lead_a.id + 1
    assert Numbers(b.id).take(Series.TICKET) == ticket_b.id + 1
    assert Numbers(a.id).take(Series.DEAL) == deal_a.id + 1
    # A series an org had no record in starts from one.
    assert Numbers(a.id).take(Series.TICKET) == 1
    assert Numbers(b.id).take(Series.ACCOUNT) == 1
