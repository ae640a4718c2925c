from __future__ import annotations

from collections.abc import Iterator

import pytest

from crmdp.listeners.models import Listener
from crmdp.listeners.services import ListenerSettings, listener_create, source_named
from crmdp.messaging.worker import Worker
from crmdp.orgs.models import Org
from tests.conftest import sample
from tests.messaging.servers import smtp_server


@pytest.fixture
def smtp(settings) -> Iterator:
    """A real SMTP server, and Django's SMTP backend pointed at it."""
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = inbox.port
        settings.DEFAULT_FROM_EMAIL = "crm@example.com"
        yield inbox


@pytest.fixture
def fast_retries(settings) -> None:
    """Retries are due at once, so a test needn't wait out the back-off."""
    settings.CRMDP_RETRY_BASE_SECONDS = 0


@pytest.fixture
def welcome(org: Org) -> Listener:
    """A listener with both auto messages on."""
    return listener_create(
        org=org,
        settings=ListenerSettings(
            name="Shop",
            default_contact_source=source_named(org, "Shop"),
            email_enabled=True,
            email_subject="Welcome to {{ org }}, {{ name }}",
            email_body="Hello {{ name }} {{ lastname }} ({{ customerId }}), we have {{ email }}.",
            sms_enabled=True,
            sms_text="Hi {{ name }}, {{ org }} has your number {{ phone }}",
        ),
    )


def run_worker() -> int:
    """Send everything that is due, as `crmdp worker` would; returns how many were handled."""
    return Worker(name="test-worker").run_until_idle()


# The guide's sample phone, 01234567890, is of Vietnam's old 11-digit mobile plan and
# is no valid number today (never sent an SMS, SPEC §4): messages go to a valid one.
VALID_PHONE, VALID_E164 = "0333 456 789", "+84333456789"


def welcome_sample() -> dict:
    """The guide's add-contact sample with a phone that can be sent an SMS."""
    body = sample("add-contact")
    body["data"][0]["data"]["phones"] = [{"type": "Mobile", "value": VALID_PHONE}]
    return body
