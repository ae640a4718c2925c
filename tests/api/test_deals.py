"""GET /api/v1/deals/<dealId> and /api/v1/deals?name= (SPEC §9): deals as their
permits let each user see them, never another org's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crmdp.api.schemas import ErrorOut
from crmdp.orgs.models import Role
from tests.api import reading
from tests.conftest import SENDER, api_for
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import new_deal, other_org


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


def test_a_deal_reads_back_with_its_customers_notes_and_history(post, guide_org, owner_api):
    deal_ref, _, _ = post.actions(
        (
            "add-deal",
            new_deal(
                "Spring order",
                value="1200.50",
                currency="vnd",
                closeDate="2024-05-01T09:00:00Z",
                contacts=[{"name": "Hoa", "emails": [{"value": "hoa@example.com"}]}],
            ),
        ),
        ("add-note", {"model": "deal", "name": "Spring order", "body": "First"}),
        ("add-note", {"model": "deal", "name": "Spring order", "body": "Second"}),
    )

    deal = reading.deal(owner_api, deal_ref["record"]["id"])

    assert (deal.type, deal.id, deal.deal_id) == ("deal", deal_ref["record"]["id"], deal.id)
    assert (deal.value, deal.currency) == ("1200.5", "VND")
    assert deal.close_date is not None
    assert datetime.fromisoformat(deal.close_date) == datetime(2024, 5, 1, 9, tzinfo=UTC)
    assert deal.customer is not None and deal.customer.name == "Lan"
    assert [c.name for c in deal.contacts] == ["Hoa"]
    assert [n.body for n in deal.notes] == ["Second", "First"]  # newest first
    assert deal.owner == SENDER
    # Newest first: a line per note, the contact, the customer, and the creation.
    assert [line.text.split(" ")[0] for line in deal.history] == [
        "Note",
        "Note",
        "Contact",
        "Customer",
        "Created",
    ]
    assert all("listener “Web form”" in line.text for line in deal.history)


def test_deals_are_found_by_name_in_any_case(post, guide_org, owner_api):
    spring, _ = post.actions(
        ("add-deal", new_deal("Spring order")), ("add-deal", new_deal("Summer order"))
    )

    found = reading.deals_named(owner_api, " SPRING  order ")

    assert [d.id for d in found.results] == [spring["record"]["id"]]
    assert found.next is None
    assert reading.deals_named(owner_api, "Spring").results == []  # a name, not a prefix
    assert [d.name for d in reading.deals_named(owner_api).results] == [
        "Summer order",
        "Spring order",
    ]


def test_an_unknown_deal_is_not_found(owner_api):
    reading.not_found(owner_api, "/api/v1/deals/9999")


def test_another_orgs_deal_is_never_visible(post, guide_org, owner_api):
    org2, post2 = other_org()
    set_up_guide_org(org2)
    _, theirs = post2.actions(
        ("add-deal", new_deal("Their first order")),
        ("add-deal", new_deal("Their order")),
        sender="boss@other.example",
    )
    ours = post.action("add-deal", new_deal("Our order"))
    assert theirs["status"] == "created"

    # dealIds count per org: their deal 2 is nothing here, deal 1 is each org's own.
    reading.not_found(owner_api, f"/api/v1/deals/{theirs['record']['id']}")
    assert reading.deals_named(owner_api, "Their order").results == []
    assert [d.name for d in reading.deals_named(owner_api).results] == ["Our order"]
    assert reading.deal(owner_api, ours["record"]["id"]).name == "Our order"
    # …and the other way round, even for the other org's owner.
    their_api = api_for(org2, "boss@other.example", Role.OWNER)
    assert reading.deal(their_api, ours["record"]["id"]).name == "Their first order"
    assert [d.name for d in reading.deals_named(their_api, "Our order").results] == []


def test_a_member_sees_a_deal_only_where_its_permit_lets_them(post, guide_org, make_api):
    ids = {}
    for label, permit in (
        ("everybody", {"status": 1}),
        ("owner only", {"status": 2}),
        ("group Nhom 1", {"status": 3, "group": "Nhom 1"}),
        ("named users", {"status": 4, "users": ["huy.nguyen@htklabs.com"]}),
    ):
        ids[label] = post.action("add-deal", new_deal(label, permit=permit))["record"]["id"]
    expected = {
        "nhanvien1@beeiq.co": {"everybody", "group Nhom 1"},  # in Nhom 1
        "huy.nguyen@htklabs.com": {"everybody", "named users"},
        "nhanvien2@beeiq.co": {"everybody"},
        "viethuy110@gmail.com": set(ids),  # an admin sees everything
    }

    for email, visible in expected.items():
        role = Role.ADMIN if email == "viethuy110@gmail.com" else Role.MEMBER
        api = make_api(email, role)
        assert {d.name for d in reading.deals_named(api).results} == visible, email
        for label, deal_id in ids.items():
            if label in visible:
                assert reading.deal(api, deal_id).name == label
            else:
                reading.not_found(api, f"/api/v1/deals/{deal_id}")
                assert reading.deals_named(api, label).results == []


def test_a_member_who_sent_a_private_deal_sees_it(post, guide_org, make_api):
    sender_api = make_api("nhanvien2@beeiq.co")
    other_api = make_api("nhanvien1@beeiq.co")

    result = post.action(
        "add-deal", new_deal("Mine", permit={"status": 2}), sender="nhanvien2@beeiq.co"
    )

    assert reading.deal(sender_api, result["record"]["id"]).owner == "nhanvien2@beeiq.co"
    reading.not_found(other_api, f"/api/v1/deals/{result['record']['id']}")


def test_a_deal_shows_only_the_notes_its_reader_may_see(post, guide_org, owner_api, make_api):
    deal = post.action("add-deal", new_deal("Open deal"))
    for body, permit in (
        ("for all", {"status": 1}),
        ("for the author", {"status": 2}),
        ("for nhanvien2", {"status": 4, "users": ["nhanvien2@beeiq.co"]}),
    ):
        post.action(
            "add-note", {"model": "deal", "name": "Open deal", "body": body, "permit": permit}
        )
    deal_id = deal["record"]["id"]

    def bodies(api):
        return [n.body for n in reading.deal(api, deal_id).notes]

    assert bodies(owner_api) == ["for nhanvien2", "for the author", "for all"]
    assert bodies(make_api("nhanvien2@beeiq.co")) == ["for nhanvien2", "for all"]
    assert bodies(make_api("nhanvien1@beeiq.co")) == ["for all"]


def test_the_deal_api_needs_a_token(post, guide_org, client):
    deal = post.action("add-deal", new_deal("Open deal"))

    response = client.get(f"/api/v1/deals/{deal['record']['id']}")

    assert response.status_code == 401


def test_a_page_of_deals_costs_as_many_queries_as_a_single_deal(post, guide_org, make_api):
    api = make_api("nhanvien1@beeiq.co")

    def add_deal(n):
        post.action("add-deal", new_deal(f"Deal {n}", contacts=[{"name": f"Contact {n}"}]))
        note = {"model": "deal", "name": f"Deal {n}", "body": f"note {n}"}
        post.action("add-note", {**note, "permit": {"status": 4, "users": ["nhanvien1@beeiq.co"]}})
        post.action("add-note", {**note, "permit": {"status": 2}})  # hidden from this member

    def listing_queries():
        with CaptureQueriesContext(connection) as queries:
            found = reading.deals_named(api)
        assert all(len(deal.notes) == 1 for deal in found.results)
        return len(queries), len(found.results)

    add_deal(1)
    reading.deals_named(api)  # the token's first use is recorded: not part of the count
    one = listing_queries()
    for n in range(2, 6):
        add_deal(n)

    assert listing_queries() == (one[0], 5)


def test_a_name_with_a_nul_character_is_a_bad_query(owner_api):
    response = owner_api.get("/api/v1/deals", name="Spring\x00order")

    assert response.status == 400
    error = ErrorOut.model_validate(response.json)
    assert (error.error.code, error.error.details[0].field) == ("invalid_query", "name")
