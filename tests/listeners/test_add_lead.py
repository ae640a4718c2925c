"""add-lead (SPEC §5): as add-contact, among leads, with the default lead source."""

import pytest
from django.test import Client

from crmdp.customers.models import Customer
from crmdp.listeners.services import ListenerSettings, listener_create, source_named
from crmdp.orgs.services import field_add
from tests.conftest import SENDER, Poster


def created(post, data):
    result = post.action("add-lead", data)
    assert result["status"] == "created", result
    return result


def warnings_of(result):
    return {w["field"]: w["message"] for w in result["warnings"]}


def test_add_lead_creates_a_lead_with_an_lid_code(post, owner_api):
    record = created(post, {"name": "Huy", "companyLead": "  GOOGLE Inc "})["record"]
    assert record["type"] == "lead"
    assert record["customerId"] == "LID-1"  # the org's first lead
    shown = owner_api.customer(record["customerId"])
    assert shown["companyLead"] == "GOOGLE Inc"
    assert shown["company"] is None
    assert shown["owner"] == SENDER


def test_a_lead_is_a_lead_whatever_its_type(post):
    assert created(post, {"name": "Huy", "type": 1})["record"]["type"] == "lead"


def test_a_lead_without_a_name_is_an_error(post):
    result = post.action("add-lead", {"emails": [{"value": "huy@example.com"}]})
    assert result["status"] == "error"
    assert result["errors"][0]["field"] == "data[0].data.name"
    assert not Customer.objects.exists()


def test_a_new_lead_gets_the_default_lead_source_and_the_default_tag(post, owner_api):
    shown = owner_api.customer(created(post, {"name": "Huy"})["record"]["customerId"])
    assert (shown["source"], shown["tags"]) == ("Website lead", ["website"])


def test_a_lead_with_its_own_tag_does_not_get_the_default_tag(post, owner_api):
    shown = owner_api.customer(
        created(post, {"name": "Huy", "tag": "webhook"})["record"]["customerId"]
    )
    assert shown["tags"] == ["webhook"]


def test_the_contact_source_is_not_used_for_leads(org, owner_api):
    listener = listener_create(
        org=org,
        settings=ListenerSettings(
            name="Only contacts", default_contact_source=source_named(org, "Web")
        ),
    )
    code = Poster(Client(), listener).action("add-lead", {"name": "Huy"})["record"]["customerId"]
    assert owner_api.customer(code)["source"] is None


def test_a_source_sent_with_a_lead_is_never_used(post, owner_api):
    result = created(post, {"name": "Huy", "source": "Facebook"})
    assert "data[0].data.source" in warnings_of(result)
    assert owner_api.customer(result["record"]["customerId"])["source"] == "Website lead"


@pytest.mark.parametrize(
    ("data", "matched_on"),
    [
        ({"contactId": "1234567897"}, "contactId"),
        ({"passport": "1945 295 865"}, "passport"),
        ({"emails": [{"value": "Huy@Example.com"}]}, "email"),
        ({"phones": [{"value": "+84905000001"}]}, "phone"),
    ],
)
def test_a_lead_that_exists_is_a_duplicate(post, owner_api, data, matched_on):
    lead = created(
        post,
        {
            "name": "Huy",
            "contactId": "1234567897",
            "passport": "1945295865",
            "emails": [{"value": "huy@example.com"}],
            "phones": [{"value": "0905000001"}],
        },
    )["record"]
    before = owner_api.customer(lead["customerId"])
    result = post.action("add-lead", {"name": "Someone else", "companyLead": "X", **data})
    assert (result["status"], result["matchedOn"], result["record"]) == (
        "duplicate",
        matched_on,
        lead,
    )
    after = owner_api.customer(lead["customerId"])
    assert len(after["history"]) == len(before["history"]) + 1
    assert f"matched on {matched_on}" in after["history"][0]["text"]
    assert after["companyLead"] == before["companyLead"] == ""


def test_leads_match_only_leads(post):
    post.action("add-contact", {"name": "Huy", "passport": "P1"})
    post.action("add-contact", {"name": "Acme", "type": 1, "emails": [{"value": "hi@acme.io"}]})
    result = post.action("add-lead", {"name": "Huy", "passport": "P1"})
    assert result["status"] == "created"
    other = post.action("add-lead", {"name": "Acme", "emails": [{"value": "hi@acme.io"}]})
    assert other["status"] == "created"


def test_lead_custom_fields_are_the_leads_own(post, org, owner_api):
    field_add(org=org, record_type="lead", name="Referred By", field_type="text")
    field_add(org=org, record_type="contact", name="Contact only", field_type="text")
    result = created(
        post,
        {
            "name": "Huy",
            "cusFields": [
                {"name": "REFERRED BY", "value": "Cong Nguyen"},
                {"name": "Contact only", "value": "x"},
            ],
        },
    )
    assert "no lead custom field" in warnings_of(result)["data[0].data.cusFields[1].name"]
    shown = owner_api.customer(result["record"]["customerId"])
    assert shown["customFields"] == {"Referred By": "Cong Nguyen"}


def test_company_contact_is_not_part_of_a_lead(post):
    result = created(post, {"name": "Huy", "companyContact": {"name": "Acme"}})
    assert "data[0].data.companyContact" in warnings_of(result)
    assert result["related"] == []
    assert Customer.objects.count() == 1


def test_lead_values_are_read_as_contact_values_are(post, owner_api):
    result = created(
        post,
        {
            "name": "Huy",
            "dateOfBirth": "Fri Jan 01 1993 00:00:00 GMT+0700 (ICT)",
            "emails": [{"value": " HUY@Example.com "}],
            "phones": [{"value": "0905 000 001"}],
            "addresses": [{"country": {"code": "vn", "name": "whatever"}}],
            "gender": "1",
        },
    )
    shown = owner_api.customer(result["record"]["customerId"])
    assert shown["dateOfBirth"] == "1993-01-01"
    assert shown["emails"][0]["value"] == "huy@example.com"
    assert shown["phones"][0]["e164"] == "+84905000001"
    assert shown["addresses"][0]["country"]["code"] == "VN"
    assert shown["gender"] == 1


def test_an_overlong_company_lead_is_ignored_with_a_warning(post, owner_api):
    result = created(post, {"name": "Huy", "companyLead": "C" * 501})
    assert "longer than 500" in warnings_of(result)["data[0].data.companyLead"]
    assert owner_api.customer(result["record"]["customerId"])["companyLead"] == ""
