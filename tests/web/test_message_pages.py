"""Messages: the org's outbox for owners and admins, by status and channel, and a
message's page with each attempt at sending it."""

from __future__ import annotations

import pytest

from crmdp.messaging.models import Message
from crmdp.messaging.services import sms_set
from crmdp.messaging.worker import Worker
from crmdp.orgs.models import Role
from tests.listeners.setups import other_org, welcoming_poster
from tests.messaging.servers import sms_gateway, smtp_server
from tests.web.conftest import names_listed


@pytest.fixture
def outbox(org, settings):
    """Two customers welcomed by email (delivered) and SMS (refused by the gateway),
    then an SMS queued by send-sms and not yet sent."""
    post = welcoming_poster(org)
    with smtp_server() as inbox, sms_gateway(400) as gateway:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        sms_set(org, provider="http", url=gateway.url, trial=None)
        post.actions(
            (
                "add-contact",
                {
                    "name": "Lan",
                    "emails": [{"value": "lan@example.com"}],
                    "phones": [{"value": "0905000001"}],
                },
            ),
            ("add-contact", {"name": "Hoa", "emails": [{"value": "hoa@example.com"}]}),
        )
        Worker(name="test-worker").run_until_idle()
    post.action("send-sms", {"content": "Sale today", "phones": ["0905000009"]})
    return post


def test_the_outbox_lists_every_message_newest_first_with_its_status(owner, outbox):
    page = owner.get("/messages/")
    assert names_listed(page.content) == [
        "+84905000009",
        "hoa@example.com",
        "+84905000001",
        "lan@example.com",
    ]
    rows = page.content.decode()
    assert rows.count('badge-sent">sent<') == 2
    assert rows.count('badge-failed">failed<') == 1
    assert rows.count('badge-queued">queued<') == 1
    assert "gateway answered 400" in rows


def test_the_outbox_is_filtered_by_status_and_channel(owner, outbox):
    def listed(**params: object) -> list[str]:
        return names_listed(owner.get("/messages/", params).content)

    assert listed(status="failed") == ["+84905000001"]
    assert listed(status="queued") == ["+84905000009"]
    assert listed(status="sent") == ["hoa@example.com", "lan@example.com"]
    assert listed(channel="sms") == ["+84905000009", "+84905000001"]
    assert listed(channel="email", status="sent") == ["hoa@example.com", "lan@example.com"]
    assert listed(channel="sms", status="sent") == []
    # The status tabs keep the channel chosen.
    page = owner.get("/messages/", {"channel": "sms"}).content.decode()
    assert 'href="?channel=sms&amp;status=failed">Failed<' in page


def test_a_message_page_shows_each_attempt_and_why_it_failed(owner, outbox):
    failed = Message.objects.get(status="failed")
    page = owner.get(f"/messages/{failed.id}/").content.decode()
    assert "SMS to +84905000001" in page
    assert 'badge-failed">failed<' in page
    assert "Hi Lan" in page  # the text
    attempts = page[page.index('id="attempts-title"') :]
    assert "#1" in attempts and "test-worker" in attempts
    assert "gateway answered 400" in attempts
    assert f'href="/contacts/{failed.customer.code}/"' in page


def test_a_queued_message_has_not_been_tried(owner, outbox):
    queued = Message.objects.get(status="queued")
    page = owner.get(f"/messages/{queued.id}/").content.decode()
    assert "Not tried yet" in page
    assert "Sale today" in page


def test_members_cannot_open_the_outbox(login_as, outbox):
    member = login_as("member@example.com")
    assert member.get("/messages/").status_code == 403
    message = Message.objects.first()
    assert member.get(f"/messages/{message.id}/").status_code == 403
    assert b'href="/messages/"' not in member.get("/contacts/").content


def test_an_admin_opens_the_outbox(login_as, outbox):
    admin = login_as("admin@example.com", Role.ADMIN)
    assert len(names_listed(admin.get("/messages/").content)) == 4


def test_another_orgs_messages_are_not_shown(owner, outbox):
    _, post2 = other_org()
    post2.action(
        "add-contact",
        {"name": "Theirs", "phones": [{"value": "0905000111"}]},
        sender="boss@other.example",
    )
    theirs = post2.action(
        "send-sms", {"content": "theirs", "phones": ["0905000111"]}, sender="boss@other.example"
    )
    assert owner.get(f"/messages/{theirs['messageIds'][0]}/").status_code == 404
    assert "+84905000111" not in names_listed(owner.get("/messages/").content)


def test_the_outbox_costs_the_same_few_queries_for_many_messages(
    org, owner, django_assert_max_num_queries
):
    post = welcoming_poster(org)
    sms_set(org, provider="log", url=None, trial=None)
    post.actions(
        *[
            ("add-contact", {"name": f"P{n}", "emails": [{"value": f"p{n}@x.io"}]})
            for n in range(12)
        ]
    )
    with django_assert_max_num_queries(6):
        page = owner.get("/messages/")
    assert len(names_listed(page.content)) == 12


def test_a_queued_welcome_message_says_its_text_is_written_when_sent(org, owner):
    post = welcoming_poster(org)
    post.action("add-contact", {"name": "Mai", "emails": [{"value": "mai@example.com"}]})
    queued = Message.objects.get()
    page = owner.get(f"/messages/{queued.id}/").content.decode()
    assert "(written when it is sent)" in page
