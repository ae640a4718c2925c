"""Auto email and SMS to customers newly created through a listener (SPEC §2, §6)."""

from __future__ import annotations

import pytest
from django.test import Client

from crmdp.customers.models import Customer
from crmdp.listeners.services import ListenerSettings, listener_create
from crmdp.messaging.models import Message
from crmdp.messaging.services import sms_set
from crmdp.orgs.models import CatalogKind
from crmdp.orgs.services import catalog_add
from tests.conftest import Poster, sample
from tests.listeners.guide_org import set_up_guide_org
from tests.messaging.conftest import run_worker, welcome_sample
from tests.messaging.servers import sms_gateway


@pytest.fixture
def post_welcome(welcome):
    return Poster(Client(), welcome)


@pytest.fixture
def gateway(org):
    with sms_gateway(200) as gateway:
        sms_set(org, provider="http", url=gateway.url, trial=None)
        yield gateway


def test_new_contact_gets_one_rendered_email_and_one_sms_duplicate_gets_none(
    post_welcome, smtp, gateway
):
    first = post_welcome(welcome_sample())
    second = post_welcome(welcome_sample())
    assert [first.json["results"][0]["status"], second.json["results"][0]["status"]] == [
        "created",
        "duplicate",
    ]
    # Nothing is sent inside the request: only the worker sends.
    assert smtp.messages == [] and gateway.requests == []

    assert run_worker() == 2

    assert len(smtp.messages) == 1
    email = smtp.messages[0]
    assert email["To"] == "huy.nguyen@htklabs.com"
    assert email["Subject"] == "Welcome to Test Org, Huy"
    assert "Hello Huy Nguyen (PID-" in email.get_payload()
    assert "we have huy.nguyen@htklabs.com" in email.get_payload()
    assert len(gateway.accepted) == 1
    sms = gateway.accepted[0]
    assert sms["to"] == "+84333456789"
    assert sms["text"] == "Hi Huy, Test Org has your number +84333456789"
    assert run_worker() == 0  # nothing left, nothing sent twice


def test_sent_messages_show_on_the_customer_timeline_and_in_the_api(
    post_welcome, smtp, gateway, owner_api
):
    code = post_welcome(welcome_sample()).json["results"][0]["record"]["customerId"]
    run_worker()
    history = [line["text"] for line in owner_api.get(f"/api/v1/customers/{code}").json["history"]]
    assert any(text.startswith("Welcome email sent to huy.nguyen@htklabs.com") for text in history)
    assert any(text.startswith("Welcome SMS sent to +84333456789") for text in history)
    messages = owner_api.get("/api/v1/messages", customer=code).json["results"]
    assert {(m["channel"], m["status"], m["attempts"]) for m in messages} == {
        ("email", "sent", 1),
        ("sms", "sent", 1),
    }


def test_provider_request_carries_the_message_id_as_idempotency_key(post_welcome, gateway):
    post_welcome(welcome_sample())
    run_worker()
    message = Message.objects.get(channel="sms")
    request = gateway.requests[0]
    assert request["body"]["idempotencyKey"] == f"crmdp-msg-{message.id}"
    assert request["headers"]["Idempotency-Key"] == f"crmdp-msg-{message.id}"


def test_customer_without_email_or_phone_gets_no_message(post_welcome, smtp, gateway):
    post_welcome.action("add-contact", {"name": "Quiet", "passport": "Q1"})
    assert Message.objects.count() == 0


def test_invalid_email_gets_no_welcome_email(post_welcome, smtp):
    post_welcome.action("add-contact", {"name": "Typo", "emails": [{"value": "typo@@example.com"}]})
    assert not Message.objects.filter(channel="email").exists()


def test_an_invalid_phone_is_never_sent_a_welcome_sms(post_welcome, gateway):
    # The guide's own sample number: possible in length, valid in no numbering plan.
    result = post_welcome(sample("add-contact")).json["results"][0]
    assert result["status"] == "created"
    assert Message.objects.filter(channel="email").count() == 1
    assert not Message.objects.filter(channel="sms").exists()
    run_worker()
    assert gateway.requests == []


def test_every_way_of_creating_a_customer_gets_the_welcome(post_welcome, org, smtp):
    set_up_guide_org(org)
    post_welcome.actions(
        ("add-lead", {"name": "Lead", "emails": [{"value": "lead@example.com"}]}),
        (
            "add-contact",
            {
                "name": "Staff",
                "emails": [{"value": "staff@example.com"}],
                "companyContact": {"name": "Acme", "emails": [{"value": "office@acme.example"}]},
            },
        ),
        (
            "add-deal",
            {
                "name": "Order 1",
                "stage": "New",
                "dealWith": {"name": "Buyer", "emails": [{"value": "buyer@example.com"}]},
                "contacts": [{"name": "Helper", "emails": [{"value": "helper@example.com"}]}],
            },
        ),
        ("add-ticket", {"body": "Help", "name": "Asker", "email": "asker@example.com"}),
    )
    run_worker()
    assert sorted(message["To"] for message in smtp.messages) == [
        "asker@example.com",
        "buyer@example.com",
        "helper@example.com",
        "lead@example.com",
        "office@acme.example",
        "staff@example.com",
    ]


def test_existing_customers_linked_by_other_actions_get_no_welcome(post_welcome, org, smtp):
    set_up_guide_org(org)
    post_welcome.action(
        "add-contact", {"name": "Known", "emails": [{"value": "known@example.com"}]}
    )
    run_worker()
    smtp.messages.clear()
    post_welcome.actions(
        (
            "add-deal",
            {"name": "D", "stage": "New", "dealWith": {"emails": [{"value": "known@example.com"}]}},
        ),
        ("add-ticket", {"body": "Hi", "email": "known@example.com"}),
    )
    run_worker()
    assert smtp.messages == []


def test_no_sms_when_the_org_cannot_send_sms_and_the_email_still_goes(post_welcome, org, smtp):
    sms_set(org, provider=None, url=None, trial=0)
    result = post_welcome(welcome_sample()).json["results"][0]
    assert result["status"] == "created"
    assert any("SMS is not set up" in w["message"] for w in result["warnings"])
    run_worker()
    assert Message.objects.filter(channel="sms").count() == 0
    assert len(smtp.messages) == 1


def test_trial_allowance_pays_for_welcome_sms_through_the_platform_provider(
    post_welcome, org, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    sms_set(org, provider=None, url=None, trial=2)
    post_welcome.action("add-contact", {"name": "A", "phones": [{"value": "0905000001"}]})
    org.refresh_from_db()
    assert org.sms_trial_remaining == 1
    run_worker()
    # The platform's trial provider is `log` by default: it records the SMS.
    assert '"to": "+84905000001"' in (tmp_path / "sms.log").read_text()


def test_listener_without_auto_messages_queues_nothing(post, smtp):
    post(sample("add-contact"))
    assert Message.objects.count() == 0


def test_a_customer_whose_action_fails_never_gets_its_message(post_welcome, org, smtp):
    catalog_add(org=org, kind=CatalogKind.STAGE, name="New")
    result = post_welcome.action(
        "add-deal",
        {
            "name": "Order",
            "stage": "New",
            # Created first, with an email: its welcome is queued ...
            "dealWith": {"name": "Ghost", "emails": [{"value": "ghost@example.com"}]},
            # ... then this contact, which has no name to be created with, fails the action.
            "contacts": [{"emails": [{"value": "nameless@example.com"}]}],
        },
    )
    assert result["status"] == "error"
    assert not Customer.objects.filter(name="Ghost").exists()
    assert not Message.objects.exists()
    run_worker()
    assert smtp.messages == []


def test_templates_see_the_title_too(org, smtp):
    listener = listener_create(
        org=org,
        settings=ListenerSettings(
            name="Titles", email_enabled=True, email_subject="For {{ title }}", email_body="."
        ),
    )
    Poster(Client(), listener).action(
        "add-contact", {"name": "T", "title": "Director", "emails": [{"value": "t@example.com"}]}
    )
    run_worker()
    assert smtp.messages[0]["Subject"] == "For Director"
