"""add-note (SPEC §5): a note on a customer (customerId → passport → email → phone,
among leads when contactType is lead) or on a deal (dealId → name)."""

from __future__ import annotations

import pytest

from crmdp.customers.models import Customer
from crmdp.notes.models import Note
from tests.api import reading
from tests.conftest import SENDER, sample, sample_action
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import fields_of, new_deal, other_org

BY = f"listener “Web form” (sender {SENDER})"


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


# -- the guide's samples ----------------------------------------------------------------


def test_guide_sample_adds_the_note_to_the_lead_of_the_add_lead_sample(post, guide_org, owner_api):
    lead = post(sample("add-lead")).json["results"][0]["record"]

    response = post(sample("add-note-contact"))

    [result] = response.json["results"]
    assert result["status"] == "created", result
    assert result["errors"] == []
    # The sample's phone, 0123456789, is no valid Vietnamese number (SPEC §4).
    assert fields_of(result["warnings"]) == ["data[0].data.phone"]
    assert result["record"]["type"] == "note"
    # LID-345 does not exist and the passport differs: the email finds the lead.
    assert result["matchedOn"] == "email"
    assert result["related"] == [{**lead, "status": "linked"}]
    [note] = reading.notes(owner_api, lead["customerId"]).results
    assert note.id == result["record"]["id"]
    assert note.body == "This is body of Note"
    assert note.author == SENDER
    assert note.permit.status == 4
    assert sorted(note.permit.users) == ["huy.nguyen@htklabs.com", "luyt.ngo@htklabs.com"]
    assert note.customer is not None and note.customer.customer_id == lead["customerId"]
    # The lead already had the tag "webhook": it is not added twice.
    assert reading.customer(owner_api, lead["customerId"]).tags == ["webhook"]


def test_guide_sample_finds_nothing_in_an_empty_org(post, guide_org):
    [result] = post(sample("add-note-contact")).json["results"]

    assert result["status"] == "not_found"
    assert result["record"] is None
    assert not Note.objects.exists()
    assert not Customer.objects.exists()  # a note never creates its customer


def test_guide_deal_sample_adds_the_note_to_the_deal_its_dealid_names(post, guide_org, owner_api):
    created = post.action("add-deal", new_deal("Booking-ID1135"))
    body = sample("add-note-deal")
    body["data"][0]["data"]["dealId"] = str(created["record"]["id"])

    [result] = post(body).json["results"]

    assert result["status"] == "created", result
    assert result["matchedOn"] == "dealId"
    assert result["related"] == [
        {"type": "deal", "id": created["record"]["id"], "status": "linked"}
    ]
    deal = reading.deal(owner_api, created["record"]["id"])
    assert [(n.id, n.body) for n in deal.notes] == [
        (result["record"]["id"], "This is body of Note")
    ]
    assert deal.notes[0].deal is not None and deal.notes[0].deal.deal_id == deal.id


def test_guide_deal_sample_without_the_deal_is_not_found(post, guide_org):
    post.action("add-deal", new_deal("Booking-ID9999"))

    [result] = post(sample("add-note-deal")).json["results"]

    assert result["status"] == "not_found"
    assert not Note.objects.exists()


def test_a_dealid_that_names_no_deal_is_not_found_even_when_the_name_exists(post, guide_org):
    # The guide's sample: dealId 11358 and name "Booking-ID1135". The name is used only
    # when no dealId is given, so the note never lands on another deal of that name.
    post.action("add-deal", new_deal("Booking-ID1135"))

    [result] = post(sample("add-note-deal")).json["results"]

    assert result["status"] == "not_found"
    assert result["warnings"] == [
        {
            "field": "data[0].data.dealId",
            "message": "no deal has the dealId '11358'; no note was added",
        }
    ]
    assert not Note.objects.exists()


def test_the_name_finds_the_deal_when_no_dealid_is_given(post, guide_org):
    created = post.action("add-deal", new_deal("Booking-ID1135"))
    data = sample_action("add-note-deal")
    data["dealId"] = ""  # the guide's templates send "" for fields not used

    result = post.action("add-note", data)

    assert (result["status"], result["matchedOn"]) == ("created", "name")
    assert result["related"][0]["id"] == created["record"]["id"]


def test_a_deal_name_that_names_no_deal_is_not_found_with_the_reason(post, guide_org):
    result = post.action("add-note", {"body": "x", "model": "deal", "name": "Booking-ID404"})
    assert result["status"] == "not_found"
    assert result["warnings"][0]["field"] == "data[0].data.name"
    assert "no deal is named 'Booking-ID404'" in result["warnings"][0]["message"]


# -- finding the customer ---------------------------------------------------------------


@pytest.fixture
def four_contacts(post):
    """{matchedOn: customer code}: four contacts, each found by a different key."""
    results = post.actions(
        ("add-contact", {"name": "by code"}),
        ("add-contact", {"name": "by passport", "passport": "C 777"}),
        ("add-contact", {"name": "by email", "emails": [{"value": "note@example.com"}]}),
        ("add-contact", {"name": "by phone", "phones": [{"value": "0905 000 123"}]}),
    )
    keys = ["customerId", "passport", "email", "phone"]
    return {key: r["record"]["customerId"] for key, r in zip(keys, results, strict=True)}


@pytest.mark.parametrize(
    ("lookup", "matched_on"),
    [
        ({"customerId": "CODE", "passport": "c777", "email": "note@example.com"}, "customerId"),
        ({"passport": "c777", "email": "note@example.com", "phone": "0905000123"}, "passport"),
        ({"email": "NOTE@example.com", "phone": "0905000123"}, "email"),
        ({"phone": "+84905000123"}, "phone"),
    ],
)
def test_the_customer_is_found_by_customer_id_then_passport_then_email_then_phone(
    post, four_contacts, owner_api, lookup, matched_on
):
    code_of = four_contacts
    if lookup.get("customerId") == "CODE":  # codes match in any case, spaces ignored
        lookup = {**lookup, "customerId": f" {code_of['customerId'].lower()} "}

    result = post.action("add-note", {"body": "Called back", **lookup})

    assert result["status"] == "created"
    assert result["matchedOn"] == matched_on
    assert result["related"][0]["customerId"] == code_of[matched_on]
    assert len(reading.notes(owner_api, code_of[matched_on]).results) == 1


def test_an_unknown_customer_id_falls_through_to_the_next_key(post, owner_api):
    contact = post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})

    result = post.action(
        "add-note", {"body": "Hi", "customerId": "PID-999", "email": "lan@example.com"}
    )

    assert result["matchedOn"] == "email"
    assert result["related"][0]["customerId"] == contact["record"]["customerId"]


def test_contact_type_lead_looks_among_leads_and_otherwise_among_contacts(post, owner_api):
    contact, lead = post.actions(
        ("add-contact", {"name": "Contact", "emails": [{"value": "same@example.com"}]}),
        ("add-lead", {"name": "Lead", "emails": [{"value": "same@example.com"}]}),
    )

    on_contact = post.action("add-note", {"body": "a", "email": "same@example.com"})
    on_lead = post.action(
        "add-note", {"body": "b", "email": "same@example.com", "contactType": "lead"}
    )

    assert on_contact["related"][0]["customerId"] == contact["record"]["customerId"]
    assert on_lead["related"][0]["customerId"] == lead["record"]["customerId"]


def test_a_lead_code_finds_the_lead_without_contact_type_lead(post):
    lead = post.action("add-lead", {"name": "Lead"})

    result = post.action("add-note", {"body": "x", "customerId": lead["record"]["customerId"]})

    assert (result["status"], result["matchedOn"]) == ("created", "customerId")
    assert result["related"][0]["customerId"] == lead["record"]["customerId"]
    assert result["warnings"] == []  # contactType was not sent: nothing contradicts the code


def test_a_note_on_a_customer_needs_something_to_find_it_by(post):
    result = post.action("add-note", {"body": "Orphan", "name": "Somebody"})

    assert result["status"] == "error"
    assert fields_of(result["errors"]) == ["data[0].data"]


def test_a_note_needs_a_body(post):
    post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})

    result = post.action("add-note", {"body": "  ", "email": "lan@example.com"})

    assert result["status"] == "error"
    assert fields_of(result["errors"]) == ["data[0].data.body"]
    assert not Note.objects.exists()


def test_a_model_other_than_contact_or_deal_is_an_error(post):
    result = post.action("add-note", {"body": "x", "model": "ticket", "email": "a@example.com"})

    assert result["status"] == "error"
    assert fields_of(result["errors"]) == ["data[0].data.model"]


# -- what the note carries --------------------------------------------------------------


def test_the_tag_is_added_to_the_customer_keeping_its_tags(post, owner_api):
    contact = post.action(
        "add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}], "tag": "vip"}
    )

    post.action("add-note", {"body": "x", "email": "lan@example.com", "tag": "VIP, called, new"})

    code = contact["record"]["customerId"]
    customer = reading.customer(owner_api, code)
    assert customer.tags == ["vip", "called", "new"]
    lines = [h.text for h in customer.history]
    assert f"Note added by {BY}: “x”." in lines
    assert f"Tags added by {BY} with a note: called, new." in lines


def test_permit_and_channel_are_kept_on_the_note(post, guide_org, owner_api):
    contact = post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})

    result = post.action(
        "add-note",
        {
            "body": "Asked for a quote",
            "email": "lan@example.com",
            "channel": "kite chat",
            "permit": {"status": 3, "group": "Nhom 1"},
        },
    )

    assert result["warnings"] == []
    [note] = reading.notes(owner_api, contact["record"]["customerId"]).results
    assert note.channel == "Kite Chat"
    assert (note.permit.status, note.permit.group) == (3, "Nhom 1")


def test_an_unknown_channel_is_skipped_with_a_warning(post, owner_api):
    contact = post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})

    result = post.action(
        "add-note", {"body": "x", "email": "lan@example.com", "channel": "Carrier pigeon"}
    )

    assert result["status"] == "created"
    assert fields_of(result["warnings"]) == ["data[0].data.channel"]
    assert "Kite Chat" in result["warnings"][0]["message"]  # the known channels are listed
    [note] = reading.notes(owner_api, contact["record"]["customerId"]).results
    assert note.channel is None


def test_a_note_on_a_customer_writes_a_history_line_naming_the_listener_and_sender(post, owner_api):
    contact = post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})

    post.action("add-note", {"body": "Called,\n  left a message", "email": "lan@example.com"})

    history = reading.customer(owner_api, contact["record"]["customerId"]).history
    assert history[0].text == f"Note added by {BY}: “Called, left a message”."


# -- notes on deals ---------------------------------------------------------------------


def test_a_deal_is_found_by_deal_id_before_its_name(post, guide_org, owner_api):
    first, second = post.actions(
        ("add-deal", new_deal("First order")), ("add-deal", new_deal("Second order"))
    )

    result = post.action(
        "add-note",
        {
            "model": "deal",
            "body": "By id",
            "dealId": str(second["record"]["id"]),
            "name": "First order",
        },
    )

    assert result["matchedOn"] == "dealId"
    assert result["related"][0]["id"] == second["record"]["id"]
    assert reading.deal(owner_api, first["record"]["id"]).notes == []


def test_a_deal_is_found_by_name_in_any_case(post, guide_org):
    deal = post.action("add-deal", new_deal("First order"))

    result = post.action("add-note", {"model": "DEAL", "body": "x", "name": "FIRST  order"})

    assert result["status"] == "created"
    assert result["related"][0]["id"] == deal["record"]["id"]


def test_a_note_on_a_deal_needs_its_deal_id_or_name(post, guide_org):
    result = post.action("add-note", {"model": "deal", "body": "x", "email": "a@example.com"})

    assert result["status"] == "error"
    assert fields_of(result["errors"]) == ["data[0].data"]


def test_a_tag_on_a_deal_note_is_ignored_with_a_warning(post, guide_org, owner_api):
    deal = post.action("add-deal", new_deal("First order"))

    result = post.action(
        "add-note", {"model": "deal", "body": "x", "name": "First order", "tag": "hot"}
    )

    assert result["status"] == "created"
    assert fields_of(result["warnings"]) == ["data[0].data.tag"]
    customer_code = reading.deal(owner_api, deal["record"]["id"]).customer.customer_id
    assert "hot" not in reading.customer(owner_api, customer_code).tags


def test_a_note_on_a_deal_writes_the_deals_history(post, guide_org, owner_api):
    deal = post.action("add-deal", new_deal("First order"))

    post.action("add-note", {"model": "deal", "body": "Sent the contract", "name": "First order"})

    history = reading.deal(owner_api, deal["record"]["id"]).history
    assert history[0].text == f"Note added by {BY}: “Sent the contract”."


def test_a_note_sees_the_deal_an_earlier_action_of_the_same_request_created(
    post, guide_org, owner_api
):
    deal, note = post.actions(
        ("add-deal", new_deal("Booking-ID1135")),
        ("add-note", {**sample_action("add-note-deal"), "dealId": None}),
    )

    assert (deal["status"], note["status"]) == ("created", "created")
    assert note["related"][0]["id"] == deal["record"]["id"]
    assert [n.body for n in reading.deal(owner_api, deal["record"]["id"]).notes] == [
        "This is body of Note"
    ]


def test_a_note_sees_the_customer_an_earlier_action_of_the_same_request_created(
    post, guide_org, owner_api
):
    lead, note = post.actions(
        ("add-lead", sample_action("add-lead")), ("add-note", sample_action("add-note-contact"))
    )

    assert note["status"] == "created"
    assert note["related"][0]["customerId"] == lead["record"]["customerId"]


def test_another_orgs_customers_and_deals_are_never_found(post, guide_org):
    org2, post2 = other_org()
    set_up_guide_org(org2)
    contact, deal = post2.actions(
        ("add-contact", {"name": "Theirs", "emails": [{"value": "t@example.com"}]}),
        ("add-deal", new_deal("Their order")),
        sender="boss@other.example",
    )

    results = post.actions(
        ("add-note", {"body": "x", "customerId": contact["record"]["customerId"]}),
        ("add-note", {"body": "x", "email": "t@example.com"}),
        ("add-note", {"body": "x", "model": "deal", "dealId": str(deal["record"]["id"])}),
        ("add-note", {"body": "x", "model": "deal", "name": "Their order"}),
    )

    assert [r["status"] for r in results] == ["not_found"] * 4
    assert not Note.objects.exists()
