"""A customer's page lists what is about the customer: its notes (by each note's
permit), its deals (those the viewer may see), its tickets and its messages with
their status."""

from __future__ import annotations

import pytest
from django.test import Client

from crmdp.messaging.services import sms_set
from crmdp.messaging.worker import Worker
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import new_deal, welcoming_poster
from tests.messaging.servers import sms_gateway, smtp_server
from tests.web.conftest import names_listed, section


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


LAN = {"name": "Lan", "emails": [{"value": "lan@example.com"}]}


def test_a_customers_page_shows_the_notes_each_viewer_may_see(guide_org, owner, login_as, post):
    contact = post.action("add-contact", LAN)
    note = {"model": "contact", "email": "lan@example.com"}
    post.actions(
        ("add-note", {**note, "body": "Likes phone calls"}),
        ("add-note", {**note, "body": "Owner's secret", "permit": {"status": 2}}),
        (
            "add-note",
            {
                **note,
                "body": "For the named",
                "permit": {"status": 4, "users": ["nhanvien1@beeiq.co"]},
            },
        ),
    )
    url = f"/contacts/{contact['record']['customerId']}/"

    as_owner = section(owner.get(url).content, "Notes")
    assert as_owner.index("For the named") < as_owner.index("Owner") < as_owner.index("Likes")
    assert "visible to the owner and nhanvien1@beeiq.co" in as_owner

    named = Client()
    named.force_login(guide_org.memberships.get(user__email="nhanvien1@beeiq.co").user)
    as_named = section(named.get(url).content, "Notes")
    assert "For the named" in as_named and "Likes phone calls" in as_named
    assert "Owner" not in as_named

    as_member = section(login_as("member@example.com").get(url).content, "Notes")
    assert "Likes phone calls" in as_member
    assert "For the named" not in as_member and "Owner" not in as_member


def test_a_customers_page_lists_the_deals_it_is_on_that_the_viewer_may_see(
    guide_org, owner, login_as, post
):
    post.actions(
        ("add-deal", new_deal("Its own deal", dealWith=LAN, value="2500", currency="VND")),
        ("add-deal", new_deal("Private deal", dealWith=LAN, permit={"status": 2})),
        (
            "add-deal",
            new_deal(
                "As a contact", dealWith={"name": "Someone else"}, contacts=[LAN], stage="Won"
            ),
        ),
        ("add-deal", new_deal("Not hers", dealWith={"name": "Nobody"})),
    )
    code = owner.get("/contacts/", {"q": "lan@example.com"}).context["rows"][0].url

    deals = section(owner.get(code).content, "Deals")
    assert names_listed(deals.encode()) == ["As a contact", "Private deal", "Its own deal"]
    assert "2,500 VND" in deals and "Won" in deals

    member_deals = section(login_as("member@example.com").get(code).content, "Deals")
    assert names_listed(member_deals.encode()) == ["As a contact", "Its own deal"]


def test_a_customers_page_lists_its_tickets_and_links_to_all_of_them(owner, post):
    contact = post.action("add-contact", LAN)
    post.actions(
        *[
            ("add-ticket", {"title": f"Issue {n:02d}", "body": "b", "email": "lan@example.com"})
            for n in range(12)
        ],
        ("add-ticket", {"title": "Someone else's", "body": "b", "name": "Other"}),
    )
    code = contact["record"]["customerId"]
    tickets = section(owner.get(f"/contacts/{code}/").content, "Tickets")
    assert names_listed(tickets.encode()) == [f"Issue {n:02d}" for n in range(11, 1, -1)]
    assert f'href="/tickets/?customer={code}">All 12 →' in tickets
    everything = owner.get("/tickets/", {"customer": code})
    assert len(names_listed(everything.content)) == 12
    assert b"Only those with" in everything.content


def test_a_customers_page_shows_its_messages_with_their_status(org, owner, settings):
    """A welcome email delivered over SMTP, a welcome SMS the gateway refuses, and a
    send-sms not yet sent: each with its status, attempts and error."""
    post = welcoming_poster(org)
    with smtp_server() as inbox, sms_gateway(400) as gateway:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        sms_set(org, provider="http", url=gateway.url, trial=None)
        contact = post.action(
            "add-contact",
            {
                "name": "Lan",
                "emails": [{"value": "lan@example.com"}],
                "phones": [{"value": "0905000001"}],
            },
        )
        Worker(name="test-worker").run_until_idle()
    post.action("send-sms", {"content": "Sale today", "phones": ["0905000001"]})

    messages = section(
        owner.get(f"/contacts/{contact['record']['customerId']}/").content, "Messages"
    )
    items = messages.split("<li>")[1:]
    assert len(items) == 3
    queued, failed, sent = items  # newest first
    assert 'badge-queued">queued<' in queued and "Sale today" in queued
    assert "0 attempts" in queued and "+84905000001" in queued
    assert 'badge-failed">failed<' in failed and "SMS to" in failed
    assert "gateway answered 400" in failed and "1 attempt" in failed
    assert 'badge-sent">sent<' in sent and "Email to" in sent and "lan@example.com" in sent
    assert "Welcome Lan" in sent  # its subject
    assert " · sent " in sent
    assert len(inbox.messages) == 1


def test_a_members_view_of_messages_does_not_link_to_the_outbox(org, login_as):
    post = welcoming_poster(org)
    contact = post.action("add-contact", LAN)
    page = login_as("member@example.com").get(f"/contacts/{contact['record']['customerId']}/")
    messages = section(page.content, "Messages")
    assert "lan@example.com" in messages
    assert 'href="/messages/' not in messages


def test_a_customers_page_costs_the_same_few_queries_with_many_related_records(
    guide_org, owner, django_assert_max_num_queries
):
    post = welcoming_poster(guide_org)
    sms_set(guide_org, provider="log", url=None, trial=None)
    contact = post.action(
        "add-contact",
        {"name": "Busy", "emails": [{"value": "busy@x.io"}], "phones": [{"value": "0905000001"}]},
    )
    busy = {"name": "Busy", "emails": [{"value": "busy@x.io"}]}
    post.actions(
        *[("add-deal", new_deal(f"D{n}", dealWith=busy)) for n in range(12)],
        *[
            ("add-ticket", {"body": f"T{n}", "email": "busy@x.io", "slaName": "custom"})
            for n in range(12)
        ],
        *[
            (
                "add-note",
                {
                    "email": "busy@x.io",
                    "body": f"N{n}",
                    "permit": {"status": 4, "users": [f"nhanvien{1 + n % 2}@beeiq.co"]},
                },
            )
            for n in range(8)
        ],
        *[("send-sms", {"content": f"S{n}", "phones": ["0905000001"]}) for n in range(12)],
    )
    with django_assert_max_num_queries(16):
        page = owner.get(f"/contacts/{contact['record']['customerId']}/")
    assert section(page.content, "Notes").count('id="note-') == 8
    assert len(names_listed(section(page.content, "Deals").encode())) == 10
    assert section(page.content, "Messages").count("<li>") == 10
