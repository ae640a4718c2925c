"""GET /api/v1/customers/<code>/notes (SPEC §9): a customer's notes, newest first,
each as its own permit lets the reader see it."""

from __future__ import annotations

import pytest

from crmdp.orgs.models import Role
from tests.api import reading
from tests.conftest import SENDER, api_for
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import new_deal, other_org


@pytest.fixture
def customer_code(post):
    result = post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})
    return result["record"]["customerId"]


def note(post, body, **extra):
    result = post.action("add-note", {"body": body, "email": "lan@example.com", **extra})
    assert result["status"] == "created", result
    return result["record"]["id"]


def test_a_customers_notes_come_newest_first_with_author_and_customer(
    post, customer_code, owner_api
):
    first = note(post, "First call")
    second = note(post, "Second call", channel="Phone")

    listed = reading.notes(owner_api, customer_code)

    assert [(n.id, n.body, n.channel) for n in listed.results] == [
        (second, "Second call", "Phone"),
        (first, "First call", None),
    ]
    assert {n.author for n in listed.results} == {SENDER}
    assert {n.customer.customer_id for n in listed.results if n.customer} == {customer_code}
    assert all(n.deal is None for n in listed.results)


def test_notes_are_paged_with_a_next_link(post, customer_code, owner_api):
    note(post, "one")
    note(post, "two")
    note(post, "three")

    first_page = owner_api.get(f"/api/v1/customers/{customer_code}/notes", limit=2).json
    following = owner_api.get(first_page["next"].split("testserver", 1)[1]).json

    assert [n["body"] for n in first_page["results"]] == ["three", "two"]
    assert [n["body"] for n in following["results"]] == ["one"]
    assert following["next"] is None


def test_notes_on_the_customers_deals_are_not_its_notes(post, org, owner_api):
    set_up_guide_org(org)
    deal = post.action("add-deal", new_deal("Order"))
    post.action("add-note", {"model": "deal", "name": "Order", "body": "On the deal"})

    customer_code = reading.deal(owner_api, deal["record"]["id"]).customer.customer_id

    assert reading.notes(owner_api, customer_code).results == []


def test_a_member_sees_only_the_notes_their_permits_allow(post, org, customer_code, make_api):
    set_up_guide_org(org)
    note(post, "for all")
    note(post, "for the author", permit={"status": 2})
    note(post, "for Nhom 1", permit={"status": 3, "group": "Nhom 1"})
    note(post, "for luyt", permit={"status": 4, "users": ["luyt.ngo@htklabs.com"]})

    def bodies(email, role=Role.MEMBER):
        return [n.body for n in reading.notes(make_api(email, role), customer_code).results]

    assert bodies("nhanvien1@beeiq.co") == ["for Nhom 1", "for all"]
    assert bodies("luyt.ngo@htklabs.com") == ["for luyt", "for Nhom 1", "for all"]  # also Nhom 1
    assert bodies("nhanvien2@beeiq.co") == ["for all"]
    assert bodies("viethuy110@gmail.com", Role.ADMIN) == [
        "for luyt",
        "for Nhom 1",
        "for the author",
        "for all",
    ]


def test_notes_of_a_customer_the_member_may_not_see_are_not_found(post, make_api):
    private = post.action(
        "add-contact",
        {"name": "Private", "emails": [{"value": "lan@example.com"}], "permit": {"status": 2}},
    )
    note(post, "visible to all, on an invisible customer")

    reading.not_found(
        make_api("member@example.com"), f"/api/v1/customers/{private['record']['customerId']}/notes"
    )


def test_another_orgs_customer_notes_are_never_visible(post, customer_code, owner_api):
    note(post, "ours")
    org2, post2 = other_org()
    # Their second contact: PID-2 names nothing in our org (codes count per org).
    _, theirs = post2.actions(
        ("add-contact", {"name": "Their first"}),
        ("add-contact", {"name": "Theirs", "emails": [{"value": "t@example.com"}]}),
        sender="boss@other.example",
    )
    post2.action(
        "add-note", {"body": "theirs", "email": "t@example.com"}, sender="boss@other.example"
    )

    reading.not_found(owner_api, f"/api/v1/customers/{theirs['record']['customerId']}/notes")
    their_api = api_for(org2, "boss@other.example", Role.OWNER)
    # Our code is, in their org, their own first contact: none of our notes.
    assert reading.notes(their_api, customer_code).results == []


def test_notes_of_an_unknown_customer_are_not_found(owner_api):
    reading.not_found(owner_api, "/api/v1/customers/PID-777/notes")
