"""The code decides the record (SPEC §4): a customerId of PID-, CID- or LID- names
the record whatever contactType or type say. A contradiction is a warning, never a
new record and never not_found when the code exists. Bodies are the guide's samples
with the codes an integrator's system would have stored."""

import pytest

from crmdp.customers.models import Customer
from crmdp.messaging.models import Message
from crmdp.notes.models import Note
from crmdp.tickets.models import Ticket
from tests.conftest import sample_action
from tests.listeners.guide_org import set_up_guide_org


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


@pytest.fixture
def contact(post, guide_org):
    """The guide's add-contact sample, stored: Huy Nguyen, a contact."""
    return post.action("add-contact", sample_action("add-contact"))["record"]


@pytest.fixture
def lead(post, guide_org):
    data = sample_action("add-lead")
    data.update(passport="LEAD-1", emails=[], phones=[], contactId="")
    return post.action("add-lead", data)["record"]


def messages(result):
    return [w["message"] for w in result["warnings"]]


def test_update_contact_with_an_account_code_updates_the_account(post, guide_org, owner_api):
    account = post.action("add-contact", {"type": 1, "name": "GOOGLE"})["record"]
    data = sample_action("update-contact")
    data.update(customerId=account["customerId"], companyContact=None)

    result = post.action("update-contact", data)

    # "type" was not sent: the CID- code alone says an account is meant.
    assert (result["status"], result["record"]) == ("updated", account)
    # (The sample's phone 01234567890 is not a valid number in VN: its own warning.)
    assert not [w for w in result["warnings"] if w["field"] == "data[0].data.customerId"]
    assert owner_api.customer(account["customerId"])["title"] == "This is title"
    assert Customer.objects.count() == 1


def test_a_note_with_contact_type_lead_and_a_pid_code_lands_on_the_contact(post, contact):
    data = sample_action("add-note-contact")  # "contactType": "lead", as in the guide
    data.update(customerId=contact["customerId"], passport="", email="", phone="")

    result = post.action("add-note", data)

    assert (result["status"], result["matchedOn"]) == ("created", "customerId")
    assert result["related"][0]["customerId"] == contact["customerId"]
    assert messages(result) == [
        f"{contact['customerId']} names a contact; contactType 'lead' is ignored"
    ]
    assert Note.objects.get().customer_id == contact["id"]


def test_a_ticket_for_a_lead_code_with_contact_type_customer_goes_to_the_lead(post, lead):
    data = sample_action("add-ticket")
    data.update(contactType="customer", customerId=lead["customerId"])

    result = post.action("add-ticket", data)

    assert result["status"] == "created"
    [customer] = [r for r in result["related"] if r["type"] != "deal"]
    assert (customer["customerId"], customer["status"]) == (lead["customerId"], "linked")
    assert f"{lead['customerId']} names a lead; contactType 'customer' is ignored" in messages(
        result
    )
    assert Customer.objects.count() == 1  # never a new record
    assert Ticket.objects.get().customer_id == lead["id"]


def test_a_deal_with_a_pid_code_and_contact_type_lead_links_the_contact(post, contact):
    data = sample_action("add-deal")  # dealWith and contacts say LID-123, contactType lead
    data["dealWith"]["customerId"] = contact["customerId"]
    data["contacts"] = []

    result = post.action("add-deal", data)

    assert result["status"] == "created"
    assert [(r["customerId"], r["status"]) for r in result["related"]] == [
        (contact["customerId"], "linked")
    ]
    assert f"{contact['customerId']} names a contact; contactType 'lead' is ignored" in messages(
        result
    )
    assert Customer.objects.count() == 1


def test_a_code_that_names_nothing_is_not_found_with_the_keys_tried(post, contact):
    data = sample_action("update-contact")
    data.update(
        customerId="PID-9999", passport="", emails=[], phones=[], companyContact=None, name=""
    )

    result = post.action("update-contact", data)

    assert result["status"] == "not_found"
    assert result["warnings"][-1] == {
        "field": "data[0].data",
        "message": "no contact matches customerId PID-9999; nothing was changed "
        "(an update never creates a record)",
    }


def test_a_company_contact_with_a_person_code_is_looked_up_by_its_other_fields(
    post, contact, owner_api
):
    google = post.action("add-contact", {"type": 1, "name": "GOOGLE"})["record"]
    data = sample_action("update-contact")
    data["customerId"] = contact["customerId"]
    data["companyContact"]["customerId"] = contact["customerId"]  # a person, not a company

    result = post.action("update-contact", data)

    assert result["status"] == "updated"
    assert result["related"][0]["customerId"] == google["customerId"]
    assert any("not an account (CID-)" in m for m in messages(result))
    assert (
        owner_api.customer(contact["customerId"])["company"]["customerId"] == (google["customerId"])
    )


# -- send-sms by customerId -------------------------------------------------------------


def test_send_sms_by_customer_id_goes_to_the_customers_valid_phones(post, guide_org):
    created = post.action(
        "add-contact",
        {
            "name": "Lan",
            "phones": [{"value": "0905 000 001"}, {"value": "12"}, {"value": "+84905000001"}],
        },
    )["record"]

    result = post.action(
        "send-sms", {"content": "Your order shipped", "customerId": created["customerId"]}
    )

    assert result["status"] == "queued", result
    [message] = Message.objects.filter(reason="send-sms")
    assert (message.to, message.customer_id) == ("+84905000001", created["id"])
    assert messages(result) == ["the customer's phone '12' is not valid; not sent"]
    history = Customer.objects.get(id=created["id"]).history.values_list("text", flat=True)
    assert any(line.startswith("SMS to +84905000001 queued by listener") for line in history)


def test_send_sms_adds_the_customers_phones_to_the_ones_given(post, guide_org):
    created = post.action("add-contact", {"name": "Lan", "phones": "0905000001"})["record"]
    data = sample_action("send-sms")
    data["customerId"] = created["customerId"]

    result = post.action("send-sms", data)

    assert result["status"] == "queued"
    by_number = dict(Message.objects.values_list("to", "customer_id"))
    assert by_number["+84905000001"] == created["id"]
    assert "+84333456789" in by_number


def test_send_sms_to_a_code_that_names_nobody_is_not_found(post, guide_org):
    result = post.action("send-sms", {"content": "Hi", "customerId": "PID-404"})
    assert result["status"] == "not_found"
    assert result["warnings"] == [
        {"field": "data[0].data.customerId", "message": "no customer has the code PID-404"}
    ]
    assert not Message.objects.exists()
