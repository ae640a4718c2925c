"""GET /api/v1/tickets/<code> (SPEC §9): a ticket is visible with its customer, and
to everyone in the org when it has none; never to another org."""

from __future__ import annotations

import pytest

from crmdp.orgs.models import Role
from tests.api import reading
from tests.conftest import api_for
from tests.listeners.setups import other_org


def test_a_ticket_reads_back_by_its_code(post, owner_api):
    result = post.action("add-ticket", {"body": "Printer on fire", "channel": "Email"})
    code = result["record"]["code"]

    ticket = reading.ticket(owner_api, code)

    assert (ticket.type, ticket.id, ticket.code) == ("ticket", result["record"]["id"], code)
    assert (ticket.title, ticket.status, ticket.channel) == ("Printer on fire", "new", "Email")


def test_a_ticket_without_a_customer_is_visible_to_every_member(post, make_api):
    result = post.action("add-ticket", {"body": "Anonymous"})

    member = make_api("member@example.com")

    assert reading.ticket(member, result["record"]["code"]).customer is None


def test_a_ticket_is_visible_only_to_those_who_may_see_its_customer(post, make_api):
    make_api("agent@example.com")
    private = post.action(
        "add-contact",
        {"name": "Private", "emails": [{"value": "p@example.com"}], "permit": {"status": 2}},
        sender="agent@example.com",
    )
    assert private["status"] == "created"
    result = post.action(
        "add-ticket", {"body": "About a private customer", "email": "p@example.com"}
    )
    code = result["record"]["code"]

    # The customer's owner (who sent it) and an admin see the ticket; another member does not.
    assert (
        reading.ticket(make_api("agent@example.com"), code).customer.customer_id
        == (private["record"]["customerId"])
    )
    assert reading.ticket(make_api("admin@example.com", Role.ADMIN), code).code == code
    reading.not_found(make_api("other@example.com"), f"/api/v1/tickets/{code}")


def test_another_orgs_ticket_is_never_visible(post, owner_api):
    org2, post2 = other_org()
    _, theirs = post2.actions(
        ("add-ticket", {"body": "Their first"}),
        ("add-ticket", {"body": "Theirs"}),
        sender="boss@other.example",
    )
    ours = post.action("add-ticket", {"body": "Ours"})

    # Codes count per org: their TID-2 is nothing here, and TID-1 is each org's own.
    assert (ours["record"]["code"], theirs["record"]["code"]) == ("TID-1", "TID-2")
    reading.not_found(owner_api, f"/api/v1/tickets/{theirs['record']['code']}")
    assert reading.ticket(owner_api, "TID-1").title == "Ours"
    their_api = api_for(org2, "boss@other.example", Role.OWNER)
    assert reading.ticket(their_api, "TID-1").title == "Their first"


@pytest.mark.parametrize("code", ["TID-", "TID-abc", "PID-1", "1", "TID-99999999999999999999"])
def test_what_is_not_a_ticket_code_is_not_found(post, owner_api, code):
    post.action("add-ticket", {"body": "Exists"})

    reading.not_found(owner_api, f"/api/v1/tickets/{code}")
