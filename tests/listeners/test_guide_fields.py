"""Every field the guide names is used, and a known field that does not apply to
the action warns instead of disappearing (issue 14, items 3 and 4). Bodies are the
guide's samples, changed the way an integrator's system fills them in."""

import pytest

from crmdp.customers.models import Customer, Kind
from crmdp.deals.models import Deal
from tests.api import reading
from tests.conftest import sample_action
from tests.listeners.guide_org import set_up_guide_org


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


def warnings_of(result):
    return {w["field"]: w["message"] for w in result["warnings"]}


def deal_for_customers(**deal_with):
    """The guide's add-deal sample, its dealWith a customer (not a lead) and no contacts."""
    data = sample_action("add-deal")
    data["dealId"] = ""
    data["dealWith"].update(customerId="", contactType="customer", **deal_with)
    data["contacts"] = []
    return data


# -- companyContact inside dealWith and contacts -------------------------------------------


def test_company_contact_in_deal_with_links_the_new_contact_and_the_deal(
    post, guide_org, owner_api
):
    data = deal_for_customers(
        companyContact={"name": "GOOGLE", "emails": [{"value": "office@google.example"}]}
    )

    result = post.action("add-deal", data)

    assert result["status"] == "created", result
    person, company = result["related"]
    assert (person["type"], person["status"]) == ("contact", "created")
    assert (company["type"], company["status"]) == ("account", "created")
    assert owner_api.customer(person["customerId"])["company"] == {
        "customerId": company["customerId"],
        "name": "GOOGLE",
    }
    deal = reading.deal(owner_api, result["record"]["id"])
    assert deal.customer is not None and deal.customer.customer_id == person["customerId"]
    assert [c.customer_id for c in deal.contacts] == [company["customerId"]]
    company_history = [h["text"] for h in owner_api.customer(company["customerId"])["history"]]
    assert any(
        text.startswith(f"Linked to deal #{deal.id}") and "Web form" in text
        for text in company_history
    )


def test_company_contact_in_contacts_finds_the_company_by_name(post, guide_org, owner_api):
    google = post.action("add-contact", {"type": 1, "name": "Google"})["record"]
    data = deal_for_customers()
    data["contacts"] = [
        {
            "name": "Quoc Phong",
            "emails": [{"value": "phong@gmail.com"}],
            "companyContact": {"name": "GOOGLE"},
        }
    ]

    result = post.action("add-deal", data)

    _customer, phong, company = result["related"]
    assert (company["customerId"], company["status"], company["matchedOn"]) == (
        google["customerId"],
        "linked",
        "name",
    )
    assert (
        owner_api.customer(phong["customerId"])["company"]["customerId"] == (google["customerId"])
    )
    deal = Deal.objects.get(number=result["record"]["id"])  # the dealId
    assert set(deal.contacts.values_list("id", flat=True)) == {phong["id"], google["id"]}
    assert Customer.objects.filter(kind=Kind.ACCOUNT).count() == 1


def test_a_found_contact_is_not_moved_but_the_deal_gets_the_company(post, guide_org, owner_api):
    huy = post.action("add-contact", {"name": "Huy", "emails": [{"value": "huy@gmail.com"}]})[
        "record"
    ]
    data = deal_for_customers(companyContact={"name": "GOOGLE"})

    result = post.action("add-deal", data)

    person, company = result["related"]
    assert (person["customerId"], person["status"]) == (huy["customerId"], "linked")
    assert company["status"] == "created"
    assert owner_api.customer(huy["customerId"])["company"] is None
    assert list(Deal.objects.get().contacts.values_list("id", flat=True)) == [company["id"]]


def test_company_contact_of_a_lead_in_a_deal_is_ignored_with_a_warning(post, guide_org):
    data = sample_action("add-deal")  # dealWith is a lead, as in the guide
    data["contacts"] = []
    data["dealWith"]["companyContact"] = {"name": "GOOGLE"}

    result = post.action("add-deal", data)

    assert result["status"] == "created"
    assert (
        "a lead has no company record"
        in warnings_of(result)["data[0].data.dealWith.companyContact"]
    )
    assert not Customer.objects.filter(kind=Kind.ACCOUNT).exists()


# -- add-note's contactId ------------------------------------------------------------------


def test_add_note_finds_the_customer_by_contact_id(post, guide_org):
    lead = post.action("add-lead", sample_action("add-lead"))["record"]  # contactId 1234567897
    data = sample_action("add-note-contact")
    data.update(customerId="", passport="", email="", phone="", contactId="1234567897")

    result = post.action("add-note", data)

    assert (result["status"], result["matchedOn"]) == ("created", "contactId")
    assert result["related"][0]["customerId"] == lead["customerId"]


def test_add_note_by_contact_id_alone_is_enough_to_look(post, guide_org):
    result = post.action("add-note", {"body": "Hi", "contactId": "nobody-77"})
    assert result["status"] == "not_found"
    assert warnings_of(result) == {
        "data[0].data": "no contact or account matches contactId nobody-77; no note was added"
    }


# -- known fields that do not apply warn ---------------------------------------------------


def test_customer_id_on_add_contact_warns_and_a_new_record_gets_its_own_code(post):
    data = sample_action("add-contact")
    data["customerId"] = "PID-678"

    result = post.action("add-contact", data)

    assert result["status"] == "created"
    assert result["record"]["customerId"] != "PID-678"
    assert warnings_of(result)["data[0].data.customerId"] == (
        "add-contact creates a record, which gets its own code; to change PID-678, "
        "use update-contact; ignored"
    )


def test_contact_type_lead_on_add_contact_warns_and_creates_a_contact(post):
    data = sample_action("add-contact")
    data["contactType"] = "lead"

    result = post.action("add-contact", data)

    assert result["record"]["type"] == "contact"
    assert (
        "add-lead and update-lead are for leads" in warnings_of(result)["data[0].data.contactType"]
    )


def test_the_guides_contact_type_customer_on_add_contact_does_not_warn(post):
    result = post.action("add-contact", sample_action("add-contact"))
    assert "data[0].data.contactType" not in warnings_of(result)


def test_contact_type_customer_and_type_1_on_add_lead_warn(post, guide_org):
    data = sample_action("add-lead")
    data.update(contactType="customer", type=1)

    result = post.action("add-lead", data)

    assert result["record"]["type"] == "lead"
    warnings = warnings_of(result)
    assert "add-lead is for leads" in warnings["data[0].data.contactType"]
    assert "which have no accounts; type 1 is ignored" in warnings["data[0].data.type"]


def test_company_lead_on_a_contact_and_company_contact_on_a_lead_say_why(post, guide_org):
    contact = sample_action("add-contact")
    contact["companyLead"] = "GOOGLE"
    lead = sample_action("add-lead")
    lead["companyContact"] = {"name": "GOOGLE"}

    to_contact, to_lead = post.actions(("add-contact", contact), ("add-lead", lead))

    assert warnings_of(to_contact)["data[0].data.companyLead"] == (
        "ignored: companyLead is a lead's company; a contact's is companyContact"
    )
    assert warnings_of(to_lead)["data[1].data.companyContact"] == (
        "ignored: a lead's company is the text companyLead, not an account"
    )


def test_company_lead_on_an_update_of_a_contact_by_code_warns(post, guide_org, owner_api):
    code = post.action("add-contact", sample_action("add-contact"))["record"]["customerId"]
    data = sample_action("update-lead")
    data["customerId"] = code

    result = post.action("update-lead", data)

    assert result["status"] == "updated"
    assert "this record is not a lead" in warnings_of(result)["data[0].data.companyLead"]
    assert owner_api.customer(code)["companyLead"] in ("", None)


def test_deal_fields_on_a_customer_note_and_customer_fields_on_a_deal_note_warn(post, guide_org):
    post.action("add-contact", sample_action("add-contact"))
    deal = post.action("add-deal", sample_action("add-deal"))["record"]
    on_customer = {
        "body": "Called",
        "email": "huy.nguyen@htklabs.com",
        "dealId": str(deal["id"]),
        "name": "Booking-ID #0003",
    }
    on_deal = {**sample_action("add-note-deal"), "dealId": str(deal["id"]), "email": "a@b.example"}

    first, second = post.actions(("add-note", on_customer), ("add-note", on_deal))

    assert (first["status"], first["related"][0]["type"]) == ("created", "contact")
    assert set(warnings_of(first)) == {"data[0].data.dealId", "data[0].data.name"}
    assert (second["status"], second["related"][0]["type"]) == ("created", "deal")
    assert 'this note is for a deal ("model": "deal")' in warnings_of(second)["data[1].data.email"]
