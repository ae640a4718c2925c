"""Contradicting keys warn (issue 14, item 9): when the keys of one update point at
different records (name → one, email → another), the update goes to the record the
first matching key found, and the result names both and says which was updated."""

from crmdp.customers.models import Customer
from tests.conftest import sample_action


def test_name_and_email_naming_two_records_warn_and_update_the_first(post, owner_api):
    huy = post.action("add-contact", sample_action("add-contact"))["record"]
    lan = post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})[
        "record"
    ]
    data = sample_action("update-contact")  # the guide's sample, as a CRM sync sends it
    data.update(customerId="", passport="", phones=[], companyContact=None, permit=None, name="Huy")
    data["emails"] = [{"value": "lan@example.com"}]

    result = post.action("update-contact", data)

    assert (result["status"], result["matchedOn"], result["record"]) == ("updated", "name", huy)
    assert {
        "field": "data[0].data.emails",
        "message": (
            f"email lan@example.com belongs to {lan['customerId']}, not to {huy['customerId']}; "
            f"{huy['customerId']} (found by name huy) was updated and {lan['customerId']} "
            "left as it was"
        ),
    } in result["warnings"]
    assert owner_api.customer(huy["customerId"])["lastname"] == "Nguyen Viet"
    assert Customer.objects.get(id=lan["id"]).lastname == ""


def test_keys_that_agree_do_not_warn(post):
    huy = post.action("add-contact", sample_action("add-contact"))["record"]
    result = post.action(
        "update-contact",
        {
            "customerId": huy["customerId"],
            "passport": "1945295865",
            "emails": [{"value": "huy.nguyen@htklabs.com"}],
            "title": "CTO",
        },
    )
    assert result["status"] == "updated"
    assert result["warnings"] == []


def test_a_code_and_a_passport_of_another_record_warn_on_the_passport(post):
    huy = post.action("add-contact", sample_action("add-contact"))["record"]
    lan = post.action("add-contact", {"name": "Lan", "passport": "B 1234"})["record"]

    result = post.action(
        "update-contact", {"customerId": huy["customerId"], "passport": "B1234", "title": "CTO"}
    )

    assert result["record"] == huy
    [warning] = [w for w in result["warnings"] if w["field"] == "data[0].data.passport"]
    assert warning["message"].startswith(f"passport B1234 belongs to {lan['customerId']}")
    # The passport given is still stored on the record updated (a scalar replaces).
    assert Customer.objects.get(id=huy["id"]).passport == "B1234"
