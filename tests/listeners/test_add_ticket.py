"""add-ticket (SPEC §5): TID-n codes, the customer found or created (or none),
deal link, group, SLA due times, channel, tags, custom fields, default title."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from crmdp.customers.models import Customer
from crmdp.messaging.models import Message
from crmdp.messaging.services import render_message
from crmdp.orgs.models import CatalogKind, FieldType, Role
from crmdp.orgs.services import catalog_add, field_add
from crmdp.tickets.models import Ticket
from tests.api import reading
from tests.conftest import SENDER, sample
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import fields_of, new_deal, other_org, welcoming_poster

BY = f"listener “Web form” (sender {SENDER})"


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


def minutes_between(start: str, end: str | None) -> float:
    assert end is not None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)) / timedelta(minutes=1)


# -- the guide's sample -----------------------------------------------------------------


def test_guide_sample_opens_a_ticket_for_the_lead_of_the_add_lead_sample(
    post, guide_org, owner_api
):
    lead = post(sample("add-lead")).json["results"][0]["record"]

    [result] = post(sample("add-ticket")).json["results"]

    assert result["status"] == "created", result
    assert result["errors"] == []
    # The sample's phone, 0123456789, is no valid Vietnamese number (SPEC §4).
    assert fields_of(result["warnings"]) == ["data[0].data.phone"]
    code = result["record"]["code"]
    assert result["record"] == {
        "type": "ticket",
        "id": Ticket.objects.get(number=int(code.removeprefix("TID-"))).id,
        "code": code,
    }
    # LID-123 does not exist; the lead's contactId 1234567897 finds it.
    assert result["related"] == [{**lead, "status": "linked", "matchedOn": "contactId"}]
    ticket = reading.ticket(owner_api, code)
    assert (ticket.code, ticket.title, ticket.body) == (code, "title", "This is body of Ticket")
    assert ticket.customer is not None and ticket.customer.customer_id == lead["customerId"]
    assert (ticket.group, ticket.sla, ticket.channel) == (
        "Phong Kinh Doanh",
        "custom",
        "Contact Form",
    )
    assert ticket.tags == ["webhook"]
    assert ticket.owner == SENDER
    # The guide org's "custom" SLA: first response in 60 minutes, resolution in 1440.
    assert minutes_between(ticket.created_at, ticket.first_response_due) == 60
    assert minutes_between(ticket.created_at, ticket.resolution_due) == 1440


def test_guide_sample_in_an_org_without_its_group_and_sla_warns_and_creates_the_lead(
    post, owner_api
):
    [result] = post(sample("add-ticket")).json["results"]

    assert result["status"] == "created"
    # "Contact Form" is one of the default channels every org has: no warning for it.
    assert sorted(fields_of(result["warnings"])) == [
        "data[0].data.groupName",
        "data[0].data.name",  # the new lead has no name: it is named after its email
        "data[0].data.phone",  # 0123456789 is no valid Vietnamese number
        "data[0].data.slaName",
    ]
    [customer] = result["related"]
    assert (customer["type"], customer["status"]) == ("lead", "created")
    ticket = reading.ticket(owner_api, result["record"]["code"])
    assert (ticket.group, ticket.sla, ticket.channel) == (None, None, "Contact Form")
    assert ticket.first_response_due is None and ticket.resolution_due is None
    lead = reading.customer(owner_api, customer["customerId"])
    assert lead.name == "huy.nguyen@htklabs.com"
    assert [e.value for e in lead.emails] == ["huy.nguyen@htklabs.com"]
    assert lead.passport == "0123469988" and lead.contact_id == "1234567897"


# -- codes ------------------------------------------------------------------------------


def test_tickets_get_tid_codes_read_back_in_any_case(post, owner_api):
    first, second = post.actions(
        ("add-ticket", {"body": "Printer is on fire"}), ("add-ticket", {"body": "Still on fire"})
    )

    codes = [first["record"]["code"], second["record"]["code"]]
    assert codes == ["TID-1", "TID-2"]  # the org's first two tickets
    assert reading.ticket(owner_api, f" {codes[1].lower()} ").body == "Still on fire"


# -- the customer -----------------------------------------------------------------------


@pytest.fixture
def five_contacts(post):
    """{matchedOn: customer code}: five contacts, each found by a different key."""
    results = post.actions(
        ("add-contact", {"name": "by code"}),
        ("add-contact", {"name": "by contactId", "contactId": "EXT-1"}),
        ("add-contact", {"name": "by passport", "passport": "P-55"}),
        ("add-contact", {"name": "by email", "emails": [{"value": "t@example.com"}]}),
        ("add-contact", {"name": "by phone", "phones": [{"value": "0905 000 777"}]}),
    )
    keys = ["customerId", "contactId", "passport", "email", "phone"]
    return {key: r["record"]["customerId"] for key, r in zip(keys, results, strict=True)}


LOOKUP = {
    "customerId": None,  # filled in with the code
    "contactId": "EXT-1",
    "passport": "p-55",
    "email": "T@example.com",
    "phone": "+84905000777",
}


@pytest.mark.parametrize("first", list(LOOKUP))
def test_the_customer_is_found_by_customer_id_contact_id_passport_email_then_phone(
    post, five_contacts, owner_api, first
):
    keys = list(LOOKUP)[list(LOOKUP).index(first) :]  # this key and every weaker one
    lookup = {key: LOOKUP[key] or five_contacts["customerId"] for key in keys}

    result = post.action("add-ticket", {"body": "Help", **lookup})

    assert result["related"] == [
        {
            "type": "contact",
            "id": Customer.objects.get(number=int(five_contacts[first].removeprefix("PID-"))).id,
            "customerId": five_contacts[first],
            "status": "linked",
            "matchedOn": first,
        }
    ]
    ticket = reading.ticket(owner_api, result["record"]["code"])
    assert ticket.customer is not None and ticket.customer.customer_id == five_contacts[first]
    assert Customer.objects.count() == 5


def test_contact_type_lead_looks_among_leads(post, owner_api):
    post.actions(
        ("add-contact", {"name": "Contact", "emails": [{"value": "same@example.com"}]}),
        ("add-lead", {"name": "Lead", "emails": [{"value": "same@example.com"}]}),
    )

    as_customer = post.action("add-ticket", {"body": "a", "email": "same@example.com"})
    as_lead = post.action(
        "add-ticket", {"body": "b", "email": "same@example.com", "contactType": "lead"}
    )

    assert as_customer["related"][0]["type"] == "contact"
    assert as_lead["related"][0]["type"] == "lead"


def test_an_unknown_customer_is_created_through_the_listener_with_its_defaults(post, owner_api):
    result = post.action(
        "add-ticket",
        {"body": "Where is my order?", "name": "Mai", "phone": "0905 111 333", "tag": "urgent"},
    )

    [created] = result["related"]
    assert (created["type"], created["status"]) == ("contact", "created")
    customer = reading.customer(owner_api, created["customerId"])
    assert customer.name == "Mai"
    assert [p.e164 for p in customer.phones] == ["+84905111333"]
    # The ticket's tag is the ticket's; the new customer gets the listener's default tag.
    assert (customer.source, customer.tags, customer.owner) == ("Website", ["website"], SENDER)
    assert reading.ticket(owner_api, result["record"]["code"]).tags == ["urgent"]


def test_a_customer_created_for_a_ticket_gets_the_welcome_messages(org, owner_api):
    post = welcoming_poster(org)

    result = post.action("add-ticket", {"body": "Hello", "name": "Mai", "email": "mai@example.com"})

    welcome = reading.messages(owner_api, result["related"][0]["customerId"]).results
    assert [(m.channel, m.to) for m in welcome] == [("email", "mai@example.com")]
    email = Message.objects.get(id=welcome[0].id)
    render_message(email)  # as the worker does, when it sends
    assert email.subject == "Welcome Mai"


def test_without_anything_to_find_or_create_a_customer_the_ticket_has_none(post, owner_api):
    result = post.action("add-ticket", {"body": "Anonymous complaint", "customerId": "PID-404"})

    assert result["status"] == "created"
    assert result["related"] == []
    assert fields_of(result["warnings"]) == ["data[0].data"]
    assert reading.ticket(owner_api, result["record"]["code"]).customer is None
    assert not Customer.objects.exists()


def test_another_orgs_customer_and_deal_are_never_linked(post, owner_api):
    org2, post2 = other_org()
    set_up_guide_org(org2)
    contact, deal = post2.actions(
        ("add-contact", {"name": "Theirs", "contactId": "EXT-9"}),
        ("add-deal", new_deal("Their order")),
        sender="boss@other.example",
    )

    result = post.action(
        "add-ticket",
        {
            "body": "x",
            "customerId": contact["record"]["customerId"],
            "contactId": "EXT-9",
            "dealId": str(deal["record"]["id"]),
        },
    )

    assert result["related"] == []
    assert {"data[0].data", "data[0].data.dealId"} <= set(fields_of(result["warnings"]))
    ticket = reading.ticket(owner_api, result["record"]["code"])
    assert (ticket.customer, ticket.deal) == (None, None)


# -- deal, group, SLA, channel, custom fields ---------------------------------------------


def test_deal_id_links_the_deal(post, guide_org, owner_api):
    deal = post.action("add-deal", new_deal("Spring order"))

    result = post.action(
        "add-ticket", {"body": "Late delivery", "dealId": str(deal["record"]["id"])}
    )

    assert {"type": "deal", "id": deal["record"]["id"], "status": "linked"} in result["related"]
    ticket = reading.ticket(owner_api, result["record"]["code"])
    assert ticket.deal is not None
    assert (ticket.deal.deal_id, ticket.deal.name) == (deal["record"]["id"], "Spring order")


def test_an_unknown_deal_id_is_skipped_with_a_warning(post, owner_api):
    result = post.action("add-ticket", {"body": "x", "dealId": "4242"})

    assert result["status"] == "created"
    assert "data[0].data.dealId" in fields_of(result["warnings"])
    assert reading.ticket(owner_api, result["record"]["code"]).deal is None


def test_the_sla_sets_the_first_response_and_resolution_due_times(post, org, owner_api):
    catalog_add(
        org=org,
        kind=CatalogKind.SLA,
        name="Gold",
        first_response_minutes=15,
        resolution_minutes=240,
    )

    result = post.action("add-ticket", {"body": "x", "slaName": "gold"})

    ticket = reading.ticket(owner_api, result["record"]["code"])
    assert ticket.sla == "Gold"
    assert minutes_between(ticket.created_at, ticket.first_response_due) == 15
    assert minutes_between(ticket.created_at, ticket.resolution_due) == 240


def test_unknown_group_sla_and_channel_are_skipped_with_warnings(post, org, owner_api):
    catalog_add(
        org=org,
        kind=CatalogKind.SLA,
        name="Gold",
        first_response_minutes=15,
        resolution_minutes=240,
    )

    result = post.action(
        "add-ticket",
        {"body": "x", "groupName": "Nobody", "slaName": "Platinum", "channel": "Telegram"},
    )

    assert result["status"] == "created"
    warnings = {w["field"]: w["message"] for w in result["warnings"]}
    assert set(warnings) >= {
        "data[0].data.groupName",
        "data[0].data.slaName",
        "data[0].data.channel",
    }
    assert "Gold" in warnings["data[0].data.slaName"]  # the known policies are listed
    ticket = reading.ticket(owner_api, result["record"]["code"])
    assert (ticket.group, ticket.sla, ticket.channel) == (None, None, None)


def test_group_and_channel_are_matched_in_any_case(post, guide_org, owner_api):
    result = post.action(
        "add-ticket", {"body": "x", "groupName": "phong kinh doanh", "channel": "KITE VIBER"}
    )

    assert fields_of(result["warnings"]) == ["data[0].data"]  # only: no customer
    ticket = reading.ticket(owner_api, result["record"]["code"])
    assert (ticket.group, ticket.channel) == ("Phong Kinh Doanh", "Kite Viber")


def test_custom_fields_are_the_tickets_own(post, org, owner_api):
    field_add(
        org=org,
        record_type="ticket",
        name="Severity",
        field_type=FieldType.SELECT,
        choices=["Low", "High"],
    )
    field_add(org=org, record_type="deal", name="Booking source", field_type=FieldType.TEXT)

    result = post.action(
        "add-ticket",
        {
            "body": "x",
            "cusFields": [
                {"name": "severity", "value": "high"},
                {"name": "Booking source", "value": "Web"},
            ],
        },
    )

    assert fields_of(result["warnings"]) == ["data[0].data.cusFields[1].name", "data[0].data"]
    assert reading.ticket(owner_api, result["record"]["code"]).custom_fields == {"Severity": "High"}


def test_tags_are_read_from_a_string_or_a_list(post, owner_api):
    from_string, from_list = post.actions(
        ("add-ticket", {"body": "x", "tag": "a, b ,A"}),
        ("add-ticket", {"body": "y", "tag": ["c", " ", "d"]}),
    )

    assert reading.ticket(owner_api, from_string["record"]["code"]).tags == ["a", "b"]
    assert reading.ticket(owner_api, from_list["record"]["code"]).tags == ["c", "d"]


# -- title and body ---------------------------------------------------------------------


def test_the_title_defaults_to_the_start_of_the_body(post, owner_api):
    short, long = post.actions(
        ("add-ticket", {"body": "  The app crashes\non start.\nSee log.", "title": ""}),
        ("add-ticket", {"body": "word " * 40}),
    )

    assert reading.ticket(owner_api, short["record"]["code"]).title == "The app crashes"
    title = reading.ticket(owner_api, long["record"]["code"]).title
    assert title.endswith("…") and len(title) <= 80
    assert ("word " * 40).startswith(title.removesuffix("…"))


def test_a_ticket_needs_a_body(post):
    result = post.action("add-ticket", {"title": "Only a title"})

    assert result["status"] == "error"
    assert fields_of(result["errors"]) == ["data[0].data.body"]
    assert not Ticket.objects.exists()


# -- history ----------------------------------------------------------------------------


def test_the_ticket_and_its_customer_get_history_naming_the_listener_and_sender(post, owner_api):
    contact = post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})

    result = post.action(
        "add-ticket", {"body": "Broken", "title": "Broken", "email": "lan@example.com"}
    )

    code = result["record"]["code"]
    assert [h.text for h in reading.ticket(owner_api, code).history] == [
        f"Created by {BY} with status New."
    ]
    customer_history = reading.customer(owner_api, contact["record"]["customerId"]).history
    assert customer_history[0].text == f"Ticket {code} “Broken” opened through {BY}."


def test_a_ticket_sent_by_another_member_is_owned_by_that_member(post, make_api, owner_api):
    make_api("agent@example.com", Role.MEMBER)

    result = post.action("add-ticket", {"body": "x"}, sender="agent@example.com")

    ticket = reading.ticket(owner_api, result["record"]["code"])
    assert ticket.owner == "agent@example.com"
    assert ticket.history[0].text == (
        "Created by listener “Web form” (sender agent@example.com) with status New."
    )


def test_a_ticket_linked_to_a_deal_writes_a_line_on_the_deals_history(post, owner_api):
    from crmdp.orgs.models import CatalogKind
    from crmdp.orgs.services import catalog_add

    catalog_add(org=post.listener.org, kind=CatalogKind.STAGE, name="New")
    deal = post.action("add-deal", {"name": "Order", "stage": "New", "dealWith": {"name": "Lan"}})[
        "record"
    ]["id"]
    ticket = post.action("add-ticket", {"body": "Broken on arrival", "dealId": str(deal)})
    code = ticket["record"]["code"]
    lines = [line.text for line in reading.deal(owner_api, deal).history]
    assert lines[0] == f"Ticket {code} “Broken on arrival” opened through {BY}."
