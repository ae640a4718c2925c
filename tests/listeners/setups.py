"""What the deal, note, ticket and send-sms tests share: a listener that welcomes
new customers, a second org, and the smallest valid payloads."""

from __future__ import annotations

from typing import Any

from django.test import Client

from crmdp.listeners.services import ListenerSettings, listener_create, source_named
from crmdp.orgs.models import Org
from crmdp.orgs.services import org_create
from tests.conftest import Poster

WELCOME_EMAIL_SUBJECT = "Welcome {{ name }}"
WELCOME_SMS = "Hi {{ name }}, welcome to {{ org }}"


def welcoming_poster(org: Org, name: str = "Shop checkout") -> Poster:
    """A listener with the auto email and auto SMS to new customers on."""
    listener = listener_create(
        org=org,
        settings=ListenerSettings(
            name=name,
            default_tag="shop",
            default_contact_source=source_named(org, "Shop"),
            default_lead_source=source_named(org, "Shop lead"),
            email_enabled=True,
            email_subject=WELCOME_EMAIL_SUBJECT,
            email_body="Dear {{ name }}, thanks for your order.",
            sms_enabled=True,
            sms_text=WELCOME_SMS,
        ),
    )
    return Poster(Client(), listener)


def other_org(owner: str = "boss@other.example") -> tuple[Org, Poster]:
    """A second tenant with its own listener, to prove nothing crosses between orgs."""
    org, _ = org_create(name="Other Org", owner_email=owner)
    listener = listener_create(org=org, settings=ListenerSettings(name="Other form"))
    return org, Poster(Client(), listener)


def new_deal(name: str = "Booking-ID #0003", **fields: Any) -> dict[str, Any]:
    """An add-deal that can create: a stage the guide org has, and a customer."""
    return {
        "name": name,
        "stage": "New",
        "dealWith": {"name": "Lan", "emails": [{"value": "lan@example.com"}]},
        **fields,
    }


def fields_of(issues: list[dict[str, str]]) -> list[str]:
    return [issue["field"] for issue in issues]
