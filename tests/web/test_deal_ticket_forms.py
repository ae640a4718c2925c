"""New deal, New ticket and their Edit: read as the listener reads add-deal and
add-ticket, every change on the history with the user's name, only the org's
stages, catalogs, customers, members and groups, and a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from crmdp.deals.models import Deal
from crmdp.history.models import HistoryEntry
from crmdp.orgs.models import CatalogItem, UserGroup
from crmdp.tickets.models import Ticket
from tests.conftest import SENDER
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import other_org


@pytest.fixture
def lan(org, post):
    """The guide's org, with one contact to make deals and tickets with."""
    set_up_guide_org(org)
    return post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})[
        "record"
    ]["customerId"]


def stage(org, name: str) -> int:
    return CatalogItem.objects.get(org=org, kind="stage", name=name).id


def errors(content: bytes) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]+)<', content.decode())


def test_the_lists_offer_new_deal_and_new_ticket(lan, owner):
    assert 'href="/deals/new/">New deal</a>' in owner.get("/deals/").content.decode()
    assert 'href="/tickets/new/">New ticket</a>' in owner.get("/tickets/").content.decode()
    deal_form = owner.get("/deals/new/").content.decode()
    for label in ("Name", "Value", "Stage", "Customer", "Close date"):
        assert f">{label}</label>" in deal_form, label
    ticket_form = owner.get("/tickets/new/").content.decode()
    for label in ("Subject", "Status", "Group", "Assignee", "Customer"):
        assert f">{label}</label>" in ticket_form, label
    assert ">Save</button>" in deal_form and ">Save</button>" in ticket_form


def test_a_new_deal_reads_its_value_and_date_in_the_orgs_conventions(org, lan, owner):
    org.country = "VN"
    org.save()
    response = owner.post(
        "/deals/new/",
        {
            "name": "Big order",
            "value": "50.000",
            "stage": stage(org, "Qualified"),
            "customer": lan.lower(),
            "close_date": "24/12/2026",
            "permit_status": "1",
            "owner": org.memberships.get(user__email=SENDER).user_id,
        },
    )
    deal = Deal.objects.get(org=org, name="Big order")
    assert response.status_code == 302 and response.url == f"/deals/{deal.number}/"
    assert deal.value == 50000 and deal.currency.name == "VND"
    assert deal.close_date.date().isoformat() == "2026-12-24"
    assert deal.stage.name == "Qualified" and deal.customer.code == lan
    assert HistoryEntry.objects.filter(deal=deal).order_by("id").first().text == (
        f"Created by {SENDER}."
    )
    assert HistoryEntry.objects.filter(customer=deal.customer, mentions_deal=deal).exists()


def test_a_deal_form_refuses_bad_values_beside_their_fields(org, lan, owner):
    response = owner.post(
        "/deals/new/",
        {"name": "", "value": "lots", "customer": "PID-99", "close_date": "soon"},
    )
    found = errors(response.content)
    assert "Not a number." in found
    assert "No customer PID-99 that you can see." in found
    assert "Not a date (e.g. 2026-12-24)." in found
    assert "This field is required." in found  # name and stage
    assert not Deal.objects.exists()


def test_editing_a_deal_writes_its_changes_with_the_users_name(org, lan, owner):
    owner.post(
        "/deals/new/",
        {
            "name": "Order",
            "value": "100",
            "stage": stage(org, "New"),
            "customer": lan,
            "permit_status": "1",
        },
    )
    deal = Deal.objects.get(org=org)
    page = owner.get(f"/deals/{deal.number}/").content.decode()
    assert f'href="/deals/{deal.number}/edit/">Edit</a>' in page
    form = owner.get(f"/deals/{deal.number}/edit/").content.decode()
    assert 'value="Order"' in form and 'value="100"' in form and f'value="{lan}"' in form
    owner.post(
        f"/deals/{deal.number}/edit/",
        {
            "name": "Order 2",
            "value": "250",
            "stage": stage(org, "Won"),
            "customer": lan,
            "permit_status": "2",
            "owner": org.memberships.get(user__email=SENDER).user_id,
        },
    )
    deal.refresh_from_db()
    assert deal.name == "Order 2" and deal.value == 250 and deal.stage.name == "Won"
    line = HistoryEntry.objects.filter(deal=deal).first().text
    assert line.startswith(f"Edited by {SENDER}: ")
    assert "name: “Order” → “Order 2”" in line and "value: 100 → 250" in line
    assert "stage: New → Won" in line and "permit: everybody → only the owner" in line


def test_another_orgs_stage_customer_or_deal_is_refused(org, lan, owner):
    other, their_post = other_org()
    theirs = CatalogItem.objects.create(org=other, kind="stage", name="Theirs", key="theirs")
    their_post.actions(
        *[("add-contact", {"name": f"T{n}"}) for n in range(3)], sender="boss@other.example"
    )
    response = owner.post(
        "/deals/new/", {"name": "X", "stage": theirs.id, "customer": "PID-3", "permit_status": "1"}
    )
    found = errors(response.content)
    assert "Choose one of this organisation&#x27;s stages." in found or any(
        "stage" in error for error in found
    ), found
    assert "No customer PID-3 that you can see." in found
    assert not Deal.objects.exists()
    their_deal = Deal.objects.create(org=other, number=5, name="Theirs")
    assert owner.get(f"/deals/{their_deal.number}/edit/").status_code == 404
    assert owner.post(f"/deals/{their_deal.number}/edit/", {"name": "Mine"}).status_code == 404


def test_a_new_ticket_with_its_sla_group_assignee_and_customer(org, lan, owner):
    sla = CatalogItem.objects.get(org=org, kind="sla", name="custom")
    group = UserGroup.objects.get(org=org, name="Nhom 1")
    seller = org.memberships.get(user__email="nhanvien1@beeiq.co").user
    response = owner.post(
        "/tickets/new/",
        {
            "title": "Printer on fire",
            "status": "open",
            "group": group.id,
            "assignee": seller.id,
            "customer": lan,
            "sla": sla.id,
            "tags": "urgent, hardware",
            "body": "Smoke",
        },
    )
    ticket = Ticket.objects.get(org=org)
    assert response.status_code == 302 and response.url == f"/tickets/{ticket.code}/"
    assert ticket.status == "open" and ticket.group == group and ticket.assignee == seller
    assert ticket.customer.code == lan and ticket.tags == ["urgent", "hardware"]
    assert (ticket.resolution_due - ticket.created_at).total_seconds() == 1440 * 60
    assert HistoryEntry.objects.get(ticket=ticket).text == (
        f"Created by {SENDER} with status Open."
    )
    page = owner.get(f"/tickets/{ticket.code}/").content.decode()
    assert "Resolution due" in page and "nhanvien1@beeiq.co" in page


def test_editing_a_ticket_changes_status_and_more_with_one_history_line(org, lan, owner):
    owner.post("/tickets/new/", {"title": "Broken", "status": "new"})
    ticket = Ticket.objects.get(org=org)
    form = owner.get(f"/tickets/{ticket.code}/edit/").content.decode()
    assert 'value="Broken"' in form
    group = UserGroup.objects.get(org=org, name="Nhom 2")
    owner.post(
        f"/tickets/{ticket.code}/edit/",
        {"title": "Broken screen", "status": "pending", "group": group.id, "customer": lan},
    )
    ticket.refresh_from_db()
    assert ticket.title == "Broken screen" and ticket.status == "pending"
    line = HistoryEntry.objects.filter(ticket=ticket).first().text
    assert line.startswith(f"Edited by {SENDER}: status: New → Pending; ")
    assert "title: “Broken” → “Broken screen”" in line and "group: (empty) → Nhom 2" in line


def test_a_ticket_form_refuses_another_orgs_member_group_customer_and_deal(org, lan, owner):
    other, their_post = other_org()
    stranger = other.memberships.get().user
    their_group = UserGroup.objects.create(org=other, name="Theirs")
    Deal.objects.create(org=other, number=77, name="Theirs")
    their_post.actions(
        *[("add-contact", {"name": f"T{n}"}) for n in range(3)], sender="boss@other.example"
    )
    response = owner.post(
        "/tickets/new/",
        {
            "title": "X",
            "status": "new",
            "group": their_group.id,
            "assignee": stranger.id,
            "customer": "PID-3",
            "deal": "77",
        },
    )
    found = errors(response.content)
    assert "choose one of this organisation&#x27;s groups." in found
    assert "choose an active member of this organisation." in found
    assert "No customer PID-3 that you can see." in found
    assert "No deal 77 that you can see." in found
    assert not Ticket.objects.filter(org=org).exists()


def test_a_member_may_not_edit_a_ticket_or_deal_they_may_not_see(org, lan, owner, post, login_as):
    post.action(
        "add-contact",
        {"name": "Private", "emails": [{"value": "p@example.com"}], "permit": {"status": 2}},
    )
    hidden = post.action("add-ticket", {"title": "Hidden", "body": "b", "email": "p@example.com"})
    owner.post(
        "/deals/new/",
        {"name": "Mine", "stage": stage(org, "New"), "customer": lan, "permit_status": "2"},
    )
    member = login_as("seller@example.com")
    code = hidden["record"]["code"]
    assert member.get(f"/tickets/{code}/edit/").status_code == 404
    assert member.post(f"/tickets/{code}/edit/", {"title": "x", "status": "new"}).status_code == 404
    deal = Deal.objects.get(name="Mine")
    assert member.post(f"/deals/{deal.number}/edit/", {"name": "x"}).status_code == 404


def test_forms_need_the_csrf_token(org, lan):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.memberships.get(user__email=SENDER).user)
    assert client.post("/tickets/new/", {"title": "x", "status": "new"}).status_code == 403
    assert client.post("/deals/new/", {"name": "x"}).status_code == 403


def test_the_deal_and_ticket_pages_cost_a_fixed_number_of_queries(
    org, lan, owner, django_assert_max_num_queries
):
    owner.post(
        "/deals/new/",
        {"name": "Order", "stage": stage(org, "New"), "customer": lan, "permit_status": "1"},
    )
    owner.post("/tickets/new/", {"title": "Broken", "status": "new", "customer": lan})
    deal = Deal.objects.get(org=org)
    ticket = Ticket.objects.get(org=org)
    for url, most in (
        (f"/deals/{deal.number}/", 16),
        (f"/deals/{deal.number}/edit/", 20),
        (f"/tickets/{ticket.code}/", 12),
        (f"/tickets/{ticket.code}/edit/", 14),
        ("/deals/new/", 18),
        ("/tickets/new/", 14),
    ):
        with django_assert_max_num_queries(most):
            assert owner.get(url).status_code == 200


def test_a_customers_page_starts_a_deal_or_ticket_for_it(org, lan, owner):
    page = owner.get(f"/contacts/{lan}/").content.decode()
    assert f'href="/deals/new/?customer={lan}">New deal</a>' in page
    assert f'href="/tickets/new/?customer={lan}">New ticket</a>' in page
    assert f'value="{lan}"' in owner.get(f"/deals/new/?customer={lan}").content.decode()
    assert f'value="{lan}"' in owner.get(f"/tickets/new/?customer={lan}").content.decode()


def test_a_deals_owner_users_and_groups_are_set_and_changed_in_the_form(org, lan, owner):
    seller = org.memberships.get(user__email="nhanvien1@beeiq.co").user
    group = UserGroup.objects.get(org=org, name="Nhom 2")
    owner.post(
        "/deals/new/",
        {
            "name": "Order",
            "stage": stage(org, "New"),
            "customer": lan,
            "permit_status": "1",
            "owner_users": [seller.id],
        },
    )
    deal = Deal.objects.get(org=org)
    assert list(deal.owner_users.all()) == [seller]
    owner.post(
        f"/deals/{deal.number}/edit/",
        {
            "name": "Order",
            "stage": stage(org, "New"),
            "customer": lan,
            "permit_status": "1",
            "owner_groups": [group.id],
            "owner": org.memberships.get(user__email=SENDER).user_id,
        },
    )
    assert list(deal.owner_users.all()) == [] and list(deal.owner_groups.all()) == [group]
    line = HistoryEntry.objects.filter(deal=deal).first().text
    assert "owner users: none" in line and "owner groups: Nhom 2" in line
