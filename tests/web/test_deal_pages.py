"""Deals: the list (search, filters, pages), a deal's page, and who sees which deal."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import SENDER, sample
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import new_deal, other_org
from tests.web.conftest import names_listed, section


@pytest.fixture
def guide_org(org):
    """The stages, categories, packages, users and groups the guide's samples name."""
    set_up_guide_org(org)
    return org


def test_the_deals_list_shows_deals_newest_first_with_stage_value_and_customer(
    guide_org, owner, post
):
    post.actions(
        ("add-deal", new_deal("Older order", value="1200.50", currency="VND")),
        ("add-deal", new_deal("Newer order", stage="Won")),
    )
    response = owner.get("/deals/")
    assert names_listed(response.content) == ["Newer order", "Older order"]
    rows = response.content.decode()
    assert "1,200.5 VND" in rows  # grouped digits, no trailing zeros, the currency
    assert "Won" in rows and "Lan" in rows


def test_searching_deals_finds_any_part_of_the_name_in_any_case_or_the_deal_id(
    guide_org, owner, post
):
    spring, _ = post.actions(
        ("add-deal", new_deal("Booking-ID #0003")), ("add-deal", new_deal("Summer order"))
    )
    deal_id = spring["record"]["id"]

    def found(query: str) -> list[str]:
        return names_listed(owner.get("/deals/", {"q": query}).content)

    assert found("booking") == ["Booking-ID #0003"]
    assert found("#0003") == ["Booking-ID #0003"]
    assert found("SUMMER ORDER") == ["Summer order"]
    assert found(str(deal_id)) == ["Booking-ID #0003"]
    assert found(f"#{deal_id}") == ["Booking-ID #0003"]
    assert found("99999999999999999999999") == []  # no such dealId, and no crash
    empty = owner.get("/deals/", {"q": "winter"})
    assert b"No deals match" in empty.content


def test_deals_are_filtered_by_stage_owner_user_and_category(guide_org, owner, post):
    post.actions(
        (
            "add-deal",
            new_deal(
                "Designed",
                category="UI Design",
                owner_opportunity={"users": ["nhanvien1@beeiq.co"]},
            ),
        ),
        ("add-deal", new_deal("Qualified one", stage="Qualified")),
        ("add-deal", new_deal("Plain")),
    )
    stages = {item.name: item.id for item in guide_org.catalog.filter(kind="stage")}
    category = guide_org.catalog.get(kind="category", name="UI Design")
    seller = guide_org.memberships.get(user__email="nhanvien1@beeiq.co").user

    def listed(**params: object) -> list[str]:
        return names_listed(owner.get("/deals/", params).content)

    assert listed(stage=stages["Qualified"]) == ["Qualified one"]
    assert listed(stage=stages["New"]) == ["Plain", "Designed"]
    assert listed(category=category.id) == ["Designed"]
    assert listed(owner=seller.id) == ["Designed"]
    assert listed(owner=seller.id, stage=stages["Qualified"]) == []
    # An unknown id is dropped, not an error page.
    assert listed(stage="99999", owner="x", page="y") == ["Plain", "Qualified one", "Designed"]


def test_the_deals_list_is_paginated_and_keeps_the_search(guide_org, owner, post):
    post.actions(*[("add-deal", new_deal(f"Order {n:02d}")) for n in range(27)])
    first = owner.get("/deals/", {"q": "order"})
    assert len(names_listed(first.content)) == 25
    assert b'href="?q=order&amp;page=2"' in first.content
    second = owner.get("/deals/", {"q": "order", "page": 2})
    assert names_listed(second.content) == ["Order 01", "Order 00"]


def test_a_deals_page_shows_every_field_its_customers_owners_and_custom_fields(
    guide_org, owner, post
):
    body = sample("add-deal")
    result = post(body).json["results"][0]
    assert result["status"] == "created", result
    deal_id = result["record"]["id"]
    customer, contact = result["related"]
    page = owner.get(f"/deals/{deal_id}/").content.decode()
    for shown in (
        "Booking-ID #0003",
        "New",  # stage
        "50,000 VND",
        "23 Dec 2016",  # closeDate 1482470382793
        "UI Design",
        "Goi A",
        "This is desciption",
        "nhanvien1@beeiq.co",
        "nhanvien2@beeiq.co",
        "Nhom 1",
        "Nhom 2",
        "the owner and huy.nguyen@htklabs.com, luyt.ngo@htklabs.com",  # permit 4
        "Booking source",
        "Website",
        "viethuy110@gmail.com",  # the sender owns it
    ):
        assert shown in page, shown
    assert f'href="/leads/{customer["customerId"]}/">Nguyen viet huy' in page
    assert f'href="/leads/{contact["customerId"]}/">Quoc Phong' in page


def test_a_deals_page_shows_only_the_notes_the_viewer_may_see(guide_org, owner, login_as, post):
    post.actions(
        ("add-deal", new_deal("Noted")),
        ("add-note", {"model": "deal", "name": "Noted", "body": "For everybody"}),
        (
            "add-note",
            {"model": "deal", "name": "Noted", "body": "Owner only", "permit": {"status": 2}},
        ),
        (
            "add-note",
            {
                "model": "deal",
                "name": "Noted",
                "body": "For Nhom 1",
                "permit": {"status": 3, "group": "Nhom 1"},
            },
        ),
    )
    deal_id = owner.get("/deals/").context["rows"][0].url

    as_owner = section(owner.get(deal_id).content, "Notes")
    # Owners and admins see every note, newest first.
    assert (
        as_owner.index("For Nhom 1")
        < as_owner.index("Owner only")
        < as_owner.index("For everybody")
    )

    in_group = Client()
    in_group.force_login(guide_org.memberships.get(user__email="luyt.ngo@htklabs.com").user)
    notes = section(in_group.get(deal_id).content, "Notes")
    assert "For Nhom 1" in notes and "For everybody" in notes
    assert "Owner only" not in notes

    outsider = section(login_as("outsider@example.com").get(deal_id).content, "Notes")
    assert "For everybody" in outsider
    assert "For Nhom 1" not in outsider and "Owner only" not in outsider


def test_a_deals_history_is_newest_first(guide_org, owner, post):
    created = post.action("add-deal", new_deal("Moving"))
    post.action("add-deal", {"name": "Moving", "stage": "Qualified"})
    post.action("add-note", {"model": "deal", "name": "Moving", "body": "Called them"})
    page = owner.get(f"/deals/{created['record']['id']}/").content.decode()
    timeline = page[page.index('id="history-title"') :]
    noted = timeline.index("Called them")
    updated = timeline.index("Updated by listener “Web form”")
    assert "Qualified" in timeline[updated : timeline.index("</li>", updated)]
    made = timeline.index("Created by listener “Web form”")
    assert noted < updated < made


def test_a_member_does_not_see_another_users_private_deal_in_the_list_or_by_url(
    guide_org, login_as, post
):
    member = login_as("member@example.com")
    private = post.action("add-deal", new_deal("Private deal", permit={"status": 2}))
    post.action("add-deal", new_deal("Shared deal"))

    assert names_listed(member.get("/deals/").content) == ["Shared deal"]
    assert names_listed(member.get("/deals/", {"q": "private"}).content) == []
    response = member.get(f"/deals/{private['record']['id']}/")
    assert response.status_code == 404
    assert b"No such deal" in response.content
    # Its owner (the sender) sees it.
    owner = Client()
    owner.force_login(guide_org.memberships.get(user__email=SENDER).user)
    assert owner.get(f"/deals/{private['record']['id']}/").status_code == 200


def test_a_deal_the_member_is_named_on_is_visible_to_them(guide_org, post):
    shared = post.action(
        "add-deal",
        new_deal("Named", permit={"status": 4, "users": ["nhanvien2@beeiq.co"]}),
    )
    named = Client()
    named.force_login(guide_org.memberships.get(user__email="nhanvien2@beeiq.co").user)
    assert names_listed(named.get("/deals/").content) == ["Named"]
    assert named.get(f"/deals/{shared['record']['id']}/").status_code == 200


def test_another_orgs_deal_is_not_found(guide_org, owner, post):
    org2, post2 = other_org()
    set_up_guide_org(org2)
    # dealIds count per org: their deal 2 is nothing here, deal 1 is ours.
    _, theirs = post2.actions(
        ("add-deal", new_deal("Their first order")),
        ("add-deal", new_deal("Their order")),
        sender="boss@other.example",
    )
    post.action("add-deal", new_deal("Our order"))

    assert owner.get(f"/deals/{theirs['record']['id']}/").status_code == 404
    assert "Our order" in owner.get("/deals/1/").content.decode()
    assert names_listed(owner.get("/deals/").content) == ["Our order"]
    assert names_listed(owner.get("/deals/", {"q": str(theirs["record"]["id"])}).content) == []


def test_a_deal_whose_customer_the_member_may_not_see_names_it_neither_by_name_nor_code(
    guide_org, login_as, post
):
    member = login_as("member@example.com")
    result = post.action(
        "add-deal",
        new_deal(
            "Open deal",
            dealWith={"name": "Hidden Person", "permit": {"status": 2}},
        ),
    )
    code = result["related"][0]["customerId"]
    page = member.get(f"/deals/{result['record']['id']}/").content.decode()
    assert "Not shared with you" in page
    assert "Hidden Person" not in page
    assert code not in page
    listing = member.get("/deals/").content.decode()
    assert "Not shared with you" in listing
    assert "Hidden Person" not in listing
    assert code not in listing


def test_a_deal_lists_its_tickets(guide_org, owner, post):
    deal = post.action("add-deal", new_deal("Supported"))
    post.action("add-ticket", {"body": "It broke", "dealId": deal["record"]["id"]})
    tickets = section(owner.get(f"/deals/{deal['record']['id']}/").content, "Tickets")
    assert "It broke" in tickets and "TID-" in tickets


@pytest.mark.parametrize("path", ["/deals/abc/", "/deals/0/", "/deals/99999999999999999999999/"])
def test_an_unreadable_or_unknown_deal_id_is_not_found(guide_org, owner, path):
    assert owner.get(path).status_code == 404


def test_the_deals_list_and_a_deals_page_cost_the_same_few_queries_for_more_rows(
    guide_org, owner, post, django_assert_max_num_queries
):
    contacts = [{"name": f"Contact {n}", "emails": [{"value": f"c{n}@x.io"}]} for n in range(4)]
    owners = {"users": ["nhanvien1@beeiq.co", "nhanvien2@beeiq.co"], "groups": ["Nhom 1"]}
    results = post.actions(
        *[
            (
                "add-deal",
                new_deal(
                    f"Big {n}", contacts=contacts, owner_opportunity=owners, category="UI Design"
                ),
            )
            for n in range(12)
        ]
    )
    deal_id = results[0]["record"]["id"]
    post.actions(
        *[("add-note", {"model": "deal", "dealId": deal_id, "body": f"N{n}"}) for n in range(6)],
        *[("add-ticket", {"body": f"T{n}", "dealId": deal_id}) for n in range(4)],
    )
    with django_assert_max_num_queries(10):
        listing = owner.get("/deals/")
    assert len(names_listed(listing.content)) == 12
    with django_assert_max_num_queries(14):
        page = owner.get(f"/deals/{deal_id}/")
    assert page.content.decode().count("Contact ") >= 4
    assert section(page.content, "Notes").count('id="note-') == 6
