"""Permits fail closed (SPEC §1): a permit that cannot be read never widens who
sees a record. Built from the guide's own samples, with the permits integrators
actually send: the guide's words ("onlyme"), a status out of range, an empty object."""

import pytest

from crmdp.customers.models import Customer
from crmdp.deals.models import Deal
from crmdp.notes.models import Note
from tests.conftest import sample_action
from tests.listeners.guide_org import set_up_guide_org

UNREADABLE = [
    pytest.param({"status": 0}, "0 is not a permit status", id="status-0"),
    pytest.param({"status": 5}, "5 is not a permit status", id="status-5"),
    pytest.param({"status": "onlyme"}, "'onlyme' is not a permit status", id="onlyme"),
    pytest.param("onlyme", "'onlyme' is not a permit status", id="bare-word"),
    pytest.param({}, "a permit needs a status", id="empty-object"),
    pytest.param({"status": ""}, "a permit needs a status", id="blank-status"),
    pytest.param(
        {"group": "Nhom test"}, "a permit needs a status (1-4) besides its group", id="group-only"
    ),
    pytest.param({"status": True}, "True is not a permit status", id="true"),
]


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


@pytest.fixture
def member(make_api):
    return make_api("colleague@example.com")


def warning_on(result, field):
    return [w["message"] for w in result["warnings"] if w["field"] == field]


@pytest.mark.parametrize(("permit", "message"), UNREADABLE)
def test_an_unreadable_permit_shows_a_new_contact_to_its_owner_only(
    post, owner_api, member, permit, message
):
    data = sample_action("add-contact")
    data["permit"] = permit
    result = post.action("add-contact", data)

    assert result["status"] == "created"
    (warning,) = warning_on(result, "data[0].data.permit.status")
    assert warning.startswith(message)
    assert warning.endswith("only the owner will see the record")
    code = result["record"]["customerId"]
    assert owner_api.customer(code)["permit"] == {"status": 2, "group": None, "users": []}
    assert member.get(f"/api/v1/customers/{code}").status == 404


@pytest.mark.parametrize("permit", [None, ""], ids=["null", "blank"])
def test_a_permit_not_given_is_everybody(post, member, permit):
    data = sample_action("add-contact")
    data["permit"] = permit
    result = post.action("add-contact", data)
    # Only the sample's phone warns (of Vietnam's retired plan; SPEC §4), not the permit.
    assert [w["field"] for w in result["warnings"]] == ["data[0].data.phones[0].value"]
    assert member.customer(result["record"]["customerId"])["permit"]["status"] == 1


@pytest.mark.parametrize("status", [2, "2", 2.0, " 2 "])
def test_a_status_sent_as_a_string_or_float_is_read(post, owner_api, status):
    data = sample_action("add-contact")
    data["permit"] = {"status": status}
    result = post.action("add-contact", data)
    assert warning_on(result, "data[0].data.permit.status") == []
    assert owner_api.customer(result["record"]["customerId"])["permit"]["status"] == 2


@pytest.mark.parametrize(("permit", "message"), UNREADABLE)
def test_an_unreadable_permit_on_update_keeps_the_stored_one(
    guide_org, post, owner_api, permit, message
):
    added = sample_action("add-contact")
    added["permit"] = {"status": 3, "group": "Nhom test"}
    code = post.action("add-contact", added)["record"]["customerId"]

    update = sample_action("update-contact")
    update["customerId"] = code
    update["permit"] = permit
    result = post.action("update-contact", update)

    assert result["status"] == "updated"
    (warning,) = warning_on(result, "data[0].data.permit.status")
    assert warning.startswith(message) and warning.endswith("the stored permit is kept")
    shown = owner_api.customer(code)
    assert shown["permit"] == {"status": 3, "group": "Nhom test", "users": []}
    assert not any("permit" in line["text"] for line in shown["history"])


def test_an_unreadable_permit_on_a_lead_update_keeps_the_stored_one(guide_org, post, owner_api):
    code = post.action("add-lead", sample_action("add-lead"))["record"]["customerId"]
    update = sample_action("update-lead")
    update["customerId"] = code
    update["permit"] = {"status": 0}
    result = post.action("update-lead", update)
    assert result["status"] == "updated"
    assert warning_on(result, "data[0].data.permit.status")
    assert Customer.objects.get(id=result["record"]["id"]).permit_status == 1


def test_an_unreadable_permit_on_a_new_deal_shows_it_to_its_owner_only(guide_org, post):
    data = sample_action("add-deal")
    data["permit"] = {"status": "onlyme", "users": ["huy.nguyen@htklabs.com"]}
    result = post.action("add-deal", data)
    assert result["status"] == "created"
    (warning,) = warning_on(result, "data[0].data.permit.status")
    assert "a new record is seen by its owner only, an existing one keeps its permit" in warning
    deal = Deal.objects.get(number=result["record"]["id"])  # the dealId
    assert (deal.permit_status, list(deal.permit_users.all())) == (2, [])


def test_an_unreadable_permit_on_a_deal_update_keeps_the_stored_one(guide_org, post):
    data = sample_action("add-deal")
    created = post.action("add-deal", data)
    deal_id = created["record"]["id"]
    result = post.action("add-deal", {"dealId": str(deal_id), "name": data["name"], "permit": {}})
    assert result["status"] == "updated"
    assert warning_on(result, "data[0].data.permit.status")
    deal = Deal.objects.get(number=deal_id)
    assert deal.permit_status == 4
    assert {u.email for u in deal.permit_users.all()} == {
        "huy.nguyen@htklabs.com",
        "luyt.ngo@htklabs.com",
    }


def test_an_unreadable_permit_on_a_note_shows_it_to_its_author_only(guide_org, post):
    code = post.action("add-contact", sample_action("add-contact"))["record"]["customerId"]
    data = sample_action("add-note-contact")
    data.update(customerId=code, contactType="customer", permit={"status": 5})
    result = post.action("add-note", data)
    assert result["status"] == "created"
    (warning,) = warning_on(result, "data[0].data.permit.status")
    assert warning.endswith("only the owner will see the record")
    assert Note.objects.get(id=result["record"]["id"]).permit_status == 2
