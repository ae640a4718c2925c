"""Working a ticket from its page: status, assignee and group, each change on the
ticket's history with the user's name; SLA due times shown, overdue marked; only
the org's members and groups; only tickets the user may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from crmdp.history.models import HistoryEntry
from crmdp.orgs.models import UserGroup
from crmdp.orgs.services import group_get_or_create
from crmdp.tickets.models import Ticket
from tests.conftest import SENDER
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import other_org


@pytest.fixture
def ticket(org, post):
    set_up_guide_org(org)
    result = post.action("add-ticket", {"title": "Broken", "body": "It broke", "slaName": "custom"})
    return Ticket.objects.get(org=org, number=int(result["record"]["code"].split("-")[1]))


def lines(ticket: Ticket) -> list[str]:
    return [entry.text for entry in HistoryEntry.objects.filter(ticket=ticket).order_by("id")]


def test_the_ticket_page_offers_status_assignee_and_group(ticket, owner):
    page = owner.get(f"/tickets/{ticket.code}/").content.decode()
    assert '<label for="ticket-status">Status</label>' in page
    for status in ("New", "Open", "Pending", "Resolved", "Closed"):
        assert f">{status}</option>" in page
    assert '<label for="id_assignee">Assignee</label>' in page
    assert '<label for="id_group">Group</label>' in page
    assert ">nhanvien1@beeiq.co</option>" in page and ">Nhom 1</option>" in page
    assert "First response due" in page and "Resolution due" in page


def test_assigning_writes_one_history_line_per_change_with_the_users_name(ticket, org, owner):
    seller = org.memberships.get(user__email="nhanvien1@beeiq.co").user
    group = UserGroup.objects.get(org=org, name="Nhom 1")
    response = owner.post(
        f"/tickets/{ticket.code}/assign/", {"assignee": seller.id, "group": group.id}, follow=True
    )
    page = response.content.decode()
    assert f"{ticket.code} is assigned to nhanvien1@beeiq.co (Nhom 1)." in page
    ticket.refresh_from_db()
    assert ticket.assignee == seller and ticket.group == group
    assert lines(ticket)[-2:] == [
        f"Assignee: (none) → nhanvien1@beeiq.co, by {SENDER}.",
        f"Group: (none) → Nhom 1, by {SENDER}.",
    ]
    assert "nhanvien1@beeiq.co" in page  # the Assignee fact
    # The same again changes nothing and writes nothing.
    owner.post(f"/tickets/{ticket.code}/assign/", {"assignee": seller.id, "group": group.id})
    assert len(lines(ticket)) == 3
    owner.post(f"/tickets/{ticket.code}/assign/", {"assignee": "", "group": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.group is None
    assert lines(ticket)[-1] == f"Group: Nhom 1 → (none), by {SENDER}."


def test_status_changes_are_on_the_history_with_the_users_name(ticket, owner):
    for status in ("open", "pending", "resolved", "closed"):
        owner.post(f"/tickets/{ticket.code}/status/", {"status": status})
    assert lines(ticket)[1:] == [
        f"Status: New → Open, by {SENDER}.",
        f"Status: Open → Pending, by {SENDER}.",
        f"Status: Pending → Resolved, by {SENDER}.",
        f"Status: Resolved → Closed, by {SENDER}.",
    ]


def test_another_orgs_member_or_group_is_refused_beside_its_field(ticket, owner):
    other, _ = other_org()
    stranger = other.memberships.get().user
    their_group = group_get_or_create(other, "Theirs")
    response = owner.post(
        f"/tickets/{ticket.code}/assign/", {"assignee": stranger.id}, follow=True
    ).content.decode()
    assert "Assignee: choose an active member of this organisation." in response
    response = owner.post(
        f"/tickets/{ticket.code}/assign/", {"group": their_group.id}, follow=True
    ).content.decode()
    assert "Group: choose one of this organisation&#x27;s groups." in response
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.group is None
    assert len(lines(ticket)) == 1


def test_a_ticket_the_member_may_not_see_or_of_another_org_is_not_found(org, post, login_as):
    set_up_guide_org(org)
    post.action(
        "add-contact",
        {"name": "Private", "emails": [{"value": "p@example.com"}], "permit": {"status": 2}},
    )
    hidden = post.action("add-ticket", {"title": "Hidden", "body": "b", "email": "p@example.com"})
    member = login_as("seller@example.com")
    code = hidden["record"]["code"]
    assert member.post(f"/tickets/{code}/assign/", {"assignee": ""}).status_code == 404
    assert member.post(f"/tickets/{code}/status/", {"status": "closed"}).status_code == 404
    other, their_post = other_org()
    their_post.actions(
        *[("add-ticket", {"title": f"T{n}", "body": "b"}) for n in range(3)],
        sender="boss@other.example",
    )
    owner = Client()
    owner.force_login(org.memberships.get(user__email=SENDER).user)
    assert owner.post("/tickets/TID-3/assign/", {"assignee": ""}).status_code == 404
    assert not Ticket.objects.filter(org=other, status="closed").exists()


def test_assigning_needs_the_csrf_token(ticket, org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.memberships.get(user__email=SENDER).user)
    seller = org.memberships.get(user__email="nhanvien1@beeiq.co").user
    response = client.post(f"/tickets/{ticket.code}/assign/", {"assignee": seller.id})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_an_overdue_ticket_is_marked_and_a_resolved_one_is_not(ticket, owner):
    Ticket.objects.filter(id=ticket.id).update(
        first_response_due=timezone.now() - timedelta(hours=3),
        resolution_due=timezone.now() - timedelta(hours=2),
    )
    page = owner.get(f"/tickets/{ticket.code}/").content.decode()
    assert "badge-overdue" in page and "Overdue by 2 h" in page
    listing = owner.get("/tickets/").content.decode()
    assert "badge-overdue" in listing
    owner.post(f"/tickets/{ticket.code}/status/", {"status": "resolved"})
    assert "badge-overdue" not in owner.get(f"/tickets/{ticket.code}/").content.decode()


def test_a_tickets_page_costs_the_same_few_queries_assigned_or_not(
    ticket, org, owner, django_assert_max_num_queries
):
    with django_assert_max_num_queries(11):
        owner.get(f"/tickets/{ticket.code}/")
    seller = org.memberships.get(user__email="nhanvien1@beeiq.co").user
    owner.post(f"/tickets/{ticket.code}/assign/", {"assignee": seller.id})
    with django_assert_max_num_queries(11):
        owner.get(f"/tickets/{ticket.code}/")
