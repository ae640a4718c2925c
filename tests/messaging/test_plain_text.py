"""Plain text is plain (issue 13, point 11): emails and SMS are not HTML, a name
cannot add an email header, and a message that can never be built fails once."""

from __future__ import annotations

import pytest
from django.test import Client

from crmdp.messaging.models import Message
from crmdp.messaging.services import sms_set
from tests.conftest import Poster
from tests.messaging.conftest import run_worker
from tests.messaging.servers import sms_gateway


@pytest.fixture
def post_welcome(welcome):
    return Poster(Client(), welcome)


def test_an_apostrophe_and_angle_brackets_reach_email_and_sms_unescaped(org, post_welcome, smtp):
    with sms_gateway(200) as gateway:
        sms_set(org, provider="http", url=gateway.url)
        post_welcome.action(
            "add-contact",
            {
                "name": "O'Brien",
                "lastname": '& <Sons> "Ltd"',
                "emails": [{"value": "obrien@example.com"}],
                "phones": [{"value": "0905000001"}],
            },
        )
        run_worker()
    email = smtp.messages[0]
    assert email["Subject"] == "Welcome to Test Org, O'Brien"
    assert 'Hello O\'Brien & <Sons> "Ltd" (PID-' in email.get_payload()
    assert gateway.accepted[0]["text"].startswith("Hi O'Brien, Test Org has your number")


def test_a_line_break_in_a_name_cannot_add_a_header_or_a_recipient(org, post_welcome, smtp):
    post_welcome.action(
        "add-contact",
        {
            "name": "Huy\r\nBcc: victim@evil.example\r\nX-Injected: yes",
            "emails": [{"value": "huy@example.com"}],
        },
    )
    run_worker()
    assert len(smtp.messages) == 1
    email = smtp.messages[0]
    assert smtp.envelopes[0].rcpt_tos == ["huy@example.com"]
    assert email["Bcc"] is None and email["X-Injected"] is None
    assert email["Subject"] == "Welcome to Test Org, Huy Bcc: victim@evil.example X-Injected: yes"
    assert Message.objects.get().status == "sent"


def test_a_message_that_can_never_be_built_fails_once_with_the_reason(org, smtp, fast_retries):
    # A row no service writes today (an address with a line break), as an older
    # version or a bug might have left it: retrying it would fail forever.
    message = Message.objects.create(
        org=org,
        channel="email",
        to="huy@example.com\nBcc: victim@evil.example",
        subject="Hello",
        body="Hi",
        reason="welcome",
    )
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error.startswith("the email cannot be built: ")
    assert smtp.messages == []
