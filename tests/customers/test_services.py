"""The domain's services called as the web UI and the CLI call them: no listener,
no batch, one transaction of their own, the caller named in history, and the org
a wall (crmdp.customers.services and the services built the same way)."""

from __future__ import annotations

from typing import Any

import pytest

from crmdp.customers.fields import ContactPointValues, CustomerValues
from crmdp.customers.models import Customer, Kind
from crmdp.customers.reading import CustomerInput, read_customer
from crmdp.customers.services import customer_create
from crmdp.deals.models import Deal
from crmdp.deals.services import deal_set_stage
from crmdp.history.models import HistoryEntry
from crmdp.history.services import Origin
from crmdp.lib.issues import ActionFailed, Warnings
from crmdp.messaging.models import Message
from crmdp.notes.services import note_add
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import CatalogItem, CatalogKind, Org
from crmdp.orgs.services import catalog_add, org_create
from tests.conftest import SENDER


def typed(org: Org, **values: Any) -> CustomerInput:
    return read_customer(
        CustomerValues(**values),
        record_type="contact",
        directory=OrgDirectory(org),
        path="",
        warnings=Warnings(),
    )


def member(org: Org) -> Origin:
    return Origin.for_member(org.memberships.select_related("user", "org").get())


def test_a_contact_created_by_hand_is_numbered_keyed_and_names_who_made_it(org: Org) -> None:
    email = [ContactPointValues("ann@example.com")]
    result = customer_create(
        origin=member(org), data=typed(org, name="Ann", emails=email), kind=Kind.CONTACT
    )
    assert result.status == "created"
    customer = Customer.objects.get(id=result.customer.id)
    assert customer.code == "PID-1"
    assert customer.owner.email == SENDER
    assert HistoryEntry.objects.get(customer=customer).text == f"Created by {SENDER}."
    # Its keys are stored: the next one with the same email is found.
    again = customer_create(
        origin=member(org), data=typed(org, name="Ann B", emails=email), kind=Kind.CONTACT
    )
    assert (again.status, again.customer.id) == ("duplicate", customer.id)
    assert (again.match.matched_on, again.match.value) == ("email", "ann@example.com")
    assert Customer.objects.filter(org=org).count() == 1
    # No listener: no welcome message.
    assert not Message.objects.exists()


def test_another_orgs_customer_with_the_same_email_is_no_duplicate(org: Org) -> None:
    other, _ = org_create(name="Other", owner_email="boss@other.example")
    email = [ContactPointValues("ann@example.com")]
    customer_create(
        origin=member(other), data=typed(other, name="Ann", emails=email), kind=Kind.CONTACT
    )
    result = customer_create(
        origin=member(org), data=typed(org, name="Ann", emails=email), kind=Kind.CONTACT
    )
    assert result.status == "created"
    assert result.customer.code == "PID-1"  # numbered in its own org


def test_a_note_or_a_stage_from_another_org_is_refused(org: Org) -> None:
    other, _ = org_create(name="Other", owner_email="boss@other.example")
    theirs = customer_create(origin=member(other), data=typed(other, name="Bo"), kind=Kind.CONTACT)
    with pytest.raises(ValueError):
        note_add(origin=member(org), body="hello", customer=theirs.customer)
    assert not theirs.customer.notes.exists()
    deal = Deal.objects.create(org=org, number=1, name="D", name_key="d")
    stage = CatalogItem.objects.filter(org=other, kind="stage").first()
    if stage is None:
        stage = CatalogItem.objects.create(org=other, kind="stage", name="Won", key="won")
    with pytest.raises(ValueError):
        deal_set_stage(origin=member(org), deal=deal, stage=stage)
    deal.refresh_from_db()
    assert deal.stage_id != stage.id


def test_a_note_from_the_command_line_says_so(org: Org) -> None:
    made = customer_create(origin=member(org), data=typed(org, name="Cy"), kind=Kind.CONTACT)
    note = note_add(origin=Origin.for_operator(org), body="Imported", customer=made.customer)
    line = HistoryEntry.objects.get(mentions_note=note)
    assert line.text == "Note added by the command line: “Imported”."
    assert note.owner is None


def test_a_source_given_by_hand_is_kept_and_another_orgs_is_refused(org: Org) -> None:
    fair = catalog_add(org=org, kind=CatalogKind.SOURCE, name="Trade fair")
    made = customer_create(
        origin=member(org), data=typed(org, name="Ann"), kind=Kind.CONTACT, source=fair
    )
    assert Customer.objects.get(id=made.customer.id).source == fair
    other, _ = org_create(name="Other Org", owner_email="boss@other.example")
    theirs = catalog_add(org=other, kind=CatalogKind.SOURCE, name="Their fair")
    with pytest.raises(ActionFailed, match="source: is not one of this organisation's"):
        customer_create(
            origin=member(org), data=typed(org, name="Bo"), kind=Kind.CONTACT, source=theirs
        )
    assert not Customer.objects.filter(name="Bo").exists()
