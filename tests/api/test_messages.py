"""GET /api/v1/messages[?customer=<code>] (SPEC §9): emails and SMS with their
status and attempts, for customers the reader may see; never another org's."""

from __future__ import annotations

from crmdp.messaging.models import Message
from crmdp.messaging.services import render_message
from crmdp.orgs.models import Role
from tests.api import reading
from tests.conftest import api_for
from tests.listeners.setups import other_org, welcoming_poster


def test_a_customers_messages_are_its_welcome_and_its_sms_newest_first(org, owner_api):
    post = welcoming_poster(org)
    contact = post.action(
        "add-contact",
        {
            "name": "Lan",
            "emails": [{"value": "lan@example.com"}],
            "phones": [{"value": "0905000001"}],
        },
    )
    post.action("add-contact", {"name": "Someone else", "phones": [{"value": "0905000002"}]})
    sent = post.action("send-sms", {"content": "Sale today", "phones": ["0905000001"]})

    listed = reading.messages(owner_api, contact["record"]["customerId"])

    assert [(m.channel, m.reason, m.to) for m in listed.results] == [
        ("sms", "send-sms", "+84905000001"),
        ("sms", "welcome", "+84905000001"),
        ("email", "welcome", "lan@example.com"),
    ]
    assert listed.results[0].id == sent["messageIds"][0]
    # A welcome's text is rendered by the worker, when it sends: empty while queued.
    assert (listed.results[1].body, listed.results[2].subject) == ("", "")
    assert listed.results[0].body == "Sale today"  # send-sms text comes as it is
    sms, email = (Message.objects.get(id=m.id) for m in listed.results[1:])
    render_message(sms)
    render_message(email)
    assert (sms.body, email.subject) == ("Hi Lan, welcome to Test Org", "Welcome Lan")
    for message in listed.results:
        assert (message.status, message.attempts, message.sent_at) == ("queued", 0, None)
        assert message.customer is not None
        assert message.customer.customer_id == contact["record"]["customerId"]


def test_members_see_the_messages_of_the_customers_they_may_see(org, owner_api, make_api):
    post = welcoming_poster(org)
    public, private = post.actions(
        ("add-contact", {"name": "Public", "emails": [{"value": "pub@example.com"}]}),
        (
            "add-contact",
            {"name": "Private", "emails": [{"value": "priv@example.com"}], "permit": {"status": 2}},
        ),
    )
    post.action("send-sms", {"content": "To nobody we know", "phones": ["0905000009"]})
    member = make_api("member@example.com")

    assert [m.to for m in reading.messages(member).results] == ["pub@example.com"]
    assert [m.to for m in reading.messages(member, public["record"]["customerId"]).results] == [
        "pub@example.com"
    ]
    reading.not_found(member, "/api/v1/messages", customer=private["record"]["customerId"])
    # Owners and admins see every message of the org, to customers or not.
    assert sorted(m.to for m in reading.messages(owner_api).results) == [
        "+84905000009",
        "priv@example.com",
        "pub@example.com",
    ]


def test_another_orgs_messages_are_never_visible(post, owner_api):
    ours = post.action("add-contact", {"name": "Ours", "phones": [{"value": "0905000001"}]})
    post.action("send-sms", {"content": "ours", "phones": ["0905000001"]})
    org2, post2 = other_org()
    # Their second contact: PID-2 names nothing in our org (codes count per org).
    _, theirs = post2.actions(
        ("add-contact", {"name": "Their first"}),
        ("add-contact", {"name": "Theirs", "phones": [{"value": "0905000001"}]}),
        sender="boss@other.example",
    )
    post2.action(
        "send-sms", {"content": "theirs", "phones": ["0905000001"]}, sender="boss@other.example"
    )

    assert [m.body for m in reading.messages(owner_api).results] == ["ours"]
    reading.not_found(owner_api, "/api/v1/messages", customer=theirs["record"]["customerId"])
    their_api = api_for(org2, "boss@other.example", Role.OWNER)
    assert [m.body for m in reading.messages(their_api).results] == ["theirs"]
    # Our PID-1 is, in their org, their own first contact: none of our messages.
    assert reading.messages(their_api, ours["record"]["customerId"]).results == []


def test_messages_of_an_unknown_customer_are_not_found(owner_api):
    reading.not_found(owner_api, "/api/v1/messages", customer="PID-404")
