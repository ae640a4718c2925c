"""update-lead (SPEC §5): as update-contact, among leads; companyLead replaces."""

import pytest

from crmdp.customers.models import Customer
from crmdp.orgs.services import field_add


def warnings_of(result):
    return {w["field"]: w["message"] for w in result["warnings"]}


@pytest.fixture
def lead(post):
    result = post.action(
        "add-lead",
        {
            "name": "Huy",
            "lastname": "Nguyen",
            "contactId": "1234567897",
            "passport": "1945295865",
            "emails": [{"value": "huy@example.com"}],
            "companyLead": "GOOGLE",
            "tag": "webhook",
        },
    )
    assert result["status"] == "created"
    return result["record"]


def test_an_update_without_any_identifying_key_is_an_error(post, lead):
    result = post.action("update-lead", {"name": "Huy", "lastname": "X"})
    assert result["status"] == "error"
    assert not Customer.objects.filter(lastname="X").exists()


@pytest.mark.parametrize(
    ("keys", "matched_on"),
    [
        ({"customerId": "{code}"}, "customerId"),
        ({"contactId": "1234567897"}, "contactId"),
        ({"passport": "1945295865"}, "passport"),
        ({"emails": [{"value": "HUY@example.com"}]}, "email"),
    ],
)
def test_the_lead_is_found_by_any_of_its_keys(post, lead, keys, matched_on):
    filled = {
        k: v.format(code=lead["customerId"]) if isinstance(v, str) else v for k, v in keys.items()
    }
    result = post.action("update-lead", {**filled, "lastname": "Nguyen Viet"})
    assert (result["status"], result["matchedOn"], result["record"]) == (
        "updated",
        matched_on,
        lead,
    )
    assert Customer.objects.get(id=lead["id"]).lastname == "Nguyen Viet"


def test_update_lead_looks_only_among_leads_when_no_code_says_otherwise(post, lead):
    post.action("add-contact", {"name": "Huy", "passport": "CONTACT-1"})
    result = post.action("update-lead", {"passport": "CONTACT-1", "title": "X"})
    assert result["status"] == "not_found"
    assert result["warnings"] == [
        {
            "field": "data[0].data",
            "message": "no lead matches passport CONTACT-1; nothing was changed "
            "(an update never creates a record)",
        }
    ]
    assert not Customer.objects.filter(title="X").exists()


def test_update_lead_with_a_contacts_code_updates_that_contact(post, lead):
    contact = post.action("add-contact", {"name": "Huy", "passport": "CONTACT-1"})["record"]
    code = contact["customerId"]
    result = post.action("update-lead", {"customerId": code, "title": "X"})
    assert (result["status"], result["record"]) == ("updated", contact)
    assert result["warnings"] == [
        {
            "field": "data[0].data.customerId",
            "message": f"{code} names a contact; it is the record updated, "
            "though update-lead is for leads",
        }
    ]
    assert Customer.objects.get(id=contact["id"]).title == "X"
    assert Customer.objects.get(id=lead["id"]).title != "X"


def test_update_contact_with_a_lead_code_updates_that_lead(post, lead):
    result = post.action("update-contact", {"customerId": lead["customerId"], "title": "X"})
    assert (result["status"], result["record"]) == ("updated", lead)
    assert "though update-contact is for contacts and accounts" in result["warnings"][0]["message"]
    assert Customer.objects.count() == 1


def test_company_lead_replaces_the_stored_one(post, lead, owner_api):
    post.action("update-lead", {"contactId": "1234567897", "companyLead": "Alphabet"})
    shown = owner_api.customer(lead["customerId"])
    assert shown["companyLead"] == "Alphabet"
    assert "companyLead: “GOOGLE” → “Alphabet”" in shown["history"][0]["text"]


def test_an_empty_company_lead_keeps_the_stored_one(post, lead, owner_api):
    post.action("update-lead", {"contactId": "1234567897", "companyLead": ""})
    assert owner_api.customer(lead["customerId"])["companyLead"] == "GOOGLE"


def test_company_contact_is_not_part_of_a_lead_update(post, lead):
    result = post.action(
        "update-lead", {"contactId": "1234567897", "companyContact": {"name": "A"}}
    )
    assert result["status"] == "updated"
    assert "data[0].data.companyContact" in warnings_of(result)
    assert not Customer.objects.filter(kind="account").exists()


def test_lead_updates_merge_like_contact_updates(post, org, lead, owner_api):
    field_add(org=org, record_type="lead", name="Referred By", field_type="text")
    post.action(
        "update-lead",
        {
            "passport": "1945295865",
            "title": "Buyer",
            "emails": [{"value": "huy@example.com"}, {"value": "huy@work.io"}],
            "tag": "hot",
            "permit": {"status": 2},
            "source": "Elsewhere",
            "cusFields": [{"name": "referred by", "value": "Cong"}],
        },
    )
    shown = owner_api.customer(lead["customerId"])
    assert shown["title"] == "Buyer"
    assert [e["value"] for e in shown["emails"]] == ["huy@example.com", "huy@work.io"]
    assert shown["tags"] == ["webhook", "hot"]
    assert shown["permit"]["status"] == 2
    assert shown["source"] == "Website lead"
    assert shown["customFields"] == {"Referred By": "Cong"}


def test_an_ambiguous_lead_update_is_an_error(post):
    for n in range(2):
        post.action("add-lead", {"name": "Huy", "emails": [{"value": f"h{n}@example.com"}]})
    result = post.action("update-lead", {"name": "Huy", "phones": [{"value": "0905000001"}]})
    assert result["status"] == "error"
    assert "2 records match" in result["errors"][0]["message"]


def test_an_unknown_lead_is_not_found_and_not_created(post, lead):
    result = post.action("update-lead", {"name": "Nobody", "contactId": "nope"})
    assert result["status"] == "not_found"
    assert Customer.objects.count() == 1
