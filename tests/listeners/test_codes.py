"""Codes count per org (SPEC §1, issue 14 item 11): the first contact of every org is
PID-1, and a code only ever names a record of the org it is read in."""

from __future__ import annotations

import pytest

from crmdp.customers.models import Customer
from crmdp.deals.models import Deal
from crmdp.tickets.models import Ticket
from tests.api import reading
from tests.conftest import api_for
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import new_deal, other_org

THEIRS = "boss@other.example"


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


def everything_once(post, sender=None):
    """One record of every numbered kind, from one request."""
    extra = {"sender": sender} if sender else {}
    return post.actions(
        ("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]}),
        ("add-contact", {"type": 1, "name": "Acme Ltd"}),
        ("add-lead", {"name": "Minh", "emails": [{"value": "minh@example.com"}]}),
        ("add-ticket", {"body": "The printer is on fire", "email": "lan@example.com"}),
        ("add-deal", new_deal("Spring order")),
        **extra,
    )


def test_every_org_numbers_its_records_from_one(post, guide_org):
    org2, post2 = other_org(THEIRS)
    set_up_guide_org(org2)
    # The other org goes first and makes more: our numbers do not move.
    everything_once(post2, THEIRS)
    post2.action("add-contact", {"name": "Second"}, sender=THEIRS)

    contact, account, lead, ticket, deal = everything_once(post)

    assert contact["record"]["customerId"] == "PID-1"
    assert account["record"]["customerId"] == "CID-1"
    assert lead["record"]["customerId"] == "LID-1"
    assert ticket["record"]["code"] == "TID-1"
    assert deal["record"]["id"] == 1
    # The deal's customer is the contact the first action made (found by its email).
    assert deal["related"][0]["customerId"] == "PID-1"
    assert post.action("add-contact", {"name": "Next"})["record"]["customerId"] == "PID-2"


def test_the_same_code_in_two_orgs_names_each_orgs_own_record(post, guide_org, owner_api):
    org2, post2 = other_org(THEIRS)
    set_up_guide_org(org2)
    ours = post.action("add-contact", {"name": "Ours", "emails": [{"value": "o@example.com"}]})
    theirs = post2.action(
        "add-contact", {"name": "Theirs", "emails": [{"value": "t@example.com"}]}, sender=THEIRS
    )
    assert ours["record"]["customerId"] == theirs["record"]["customerId"] == "PID-1"

    updated = post.action("update-contact", {"customerId": "PID-1", "title": "Boss"})

    assert (updated["status"], updated["matchedOn"]) == ("updated", "customerId")
    assert Customer.objects.get(org=org2).title == ""
    assert reading.customer(owner_api, "PID-1").title == "Boss"
    their_api = api_for(org2, THEIRS, "owner")
    assert reading.customer(their_api, "PID-1").name == "Theirs"


def test_another_orgs_code_never_resolves(post, guide_org, owner_api):
    org2, post2 = other_org(THEIRS)
    set_up_guide_org(org2)
    post2.actions(
        ("add-contact", {"name": "Their first"}),
        ("add-contact", {"name": "Their second", "emails": [{"value": "t2@example.com"}]}),
        sender=THEIRS,
    )
    post.action("add-contact", {"name": "Ours"})  # PID-1 here; PID-2 is only theirs

    update = post.action("update-contact", {"customerId": "PID-2", "title": "Hijacked"})
    note = post.action("add-note", {"body": "Hello", "customerId": "PID-2"})
    ticket = post.action("add-ticket", {"body": "Help", "customerId": "PID-2"})

    assert update["status"] == "not_found"
    assert note["status"] == "not_found"
    assert ticket["status"] == "created" and ticket["related"] == []
    assert Customer.objects.get(org=org2, number=2).title == ""
    reading.not_found(owner_api, "/api/v1/customers/PID-2")
    assert owner_api.get("/api/v1/customers", q="PID-2").json["results"] == []


def test_a_deal_and_a_ticket_are_found_by_their_org_numbers(post, guide_org, owner_api):
    org2, post2 = other_org(THEIRS)
    set_up_guide_org(org2)
    post2.actions(
        ("add-deal", new_deal("Theirs 1")), ("add-deal", new_deal("Theirs 2")), sender=THEIRS
    )
    deal = post.action("add-deal", new_deal("Ours"))
    assert deal["record"]["id"] == 1

    by_id = post.action("add-deal", {"dealId": "1", "name": "Ours", "description": "Paid"})
    ticket = post.action("add-ticket", {"body": "Where is it?", "dealId": "1"})
    note = post.action("add-note", {"model": "deal", "dealId": "1", "body": "Called"})

    assert (by_id["status"], by_id["record"]["id"], by_id["matchedOn"]) == ("updated", 1, "dealId")
    assert Deal.objects.get(org=guide_org, number=1).description == "Paid"
    assert not Deal.objects.filter(org=org2, description="Paid").exists()
    assert ticket["related"] == [{"type": "deal", "id": 1, "status": "linked"}]
    assert Ticket.objects.get(org=guide_org).deal.name == "Ours"
    assert note["related"] == [{"type": "deal", "id": 1, "status": "linked"}]
    assert reading.deal(owner_api, 1).name == "Ours"
    reading.not_found(owner_api, "/api/v1/deals/2")
