"""The `typeform` format: Typeform's signed form_response webhook (issue 18)."""

from __future__ import annotations

import pytest

from crmdp.customers.models import Customer
from crmdp.listeners.formats.typeform import signature
from crmdp.listeners.models import Delivery
from crmdp.listeners.services import delivery_replay
from crmdp.notes.models import Note
from crmdp.orgs.models import User
from tests.conftest import SENDER
from tests.listeners.formats import fixture, format_listener, poster

SECRET = "typeform-webhook-secret"


@pytest.fixture
def send(org):
    return poster(format_listener(org, "typeform", format_secret=SECRET))


def signed(send, body: bytes, secret: str = SECRET):
    return send.raw(body, HTTP_TYPEFORM_SIGNATURE=signature(secret, body))


def test_a_signed_response_becomes_a_lead_with_hidden_fields_as_attribution(send):
    answer = signed(send, fixture("typeform", "form_response.json"))
    assert answer.status == 200, answer
    lead = Customer.objects.get()
    assert (lead.name, lead.lastname, lead.company_lead) == ("Laura", "Diaz", "Diaz Bakery")
    assert lead.emails[0]["value"] == "laura@example.com"
    assert lead.phones[0]["value"] == "+15555555555"
    # An empty hidden field is not attribution.
    assert lead.attribution == {"utm_source": "newsletter", "utm_campaign": "winter-sale"}
    assert Note.objects.get(customer=lead).body == (
        "How big is your team?: 11-50\nAnything we should know?: We open a second shop in March."
    )


def test_the_signature_is_the_documented_one():
    # sha256=<base64 of HMAC-SHA256(secret, raw body)>, as Typeform documents it; the
    # value from `printf "{}" | openssl dgst -sha256 -hmac secret -binary | base64`.
    assert signature("secret", b"{}") == "sha256=dzJZAsrKgS3CWXM6rNBGtzgXNyx3e42VtAJkdHRRbhM="


def test_a_bad_signature_is_401_with_nothing_created(send):
    body = fixture("typeform", "form_response.json")
    answer = signed(send, body, secret="someone-elses")
    assert answer.status == 401
    assert answer.json["error"]["code"] == "invalid_signature"
    assert not Customer.objects.exists()
    assert Delivery.objects.get().format == "typeform"


def test_a_missing_signature_is_401(send):
    answer = send.raw(fixture("typeform", "form_response.json"))
    assert answer.status == 401
    assert "missing" in answer.json["error"]["message"]
    assert not Customer.objects.exists()


def test_a_signature_over_another_body_is_401(send):
    body = fixture("typeform", "form_response.json")
    tampered = body.replace(b"laura@example.com", b"eve@example.com")
    answer = send.raw(tampered, HTTP_TYPEFORM_SIGNATURE=signature(SECRET, body))
    assert answer.status == 401
    assert not Customer.objects.exists()


def test_typeform_retrying_an_event_gets_the_first_answer(send):
    body = fixture("typeform", "form_response.json")
    first = signed(send, body)
    again = signed(send, body)
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1


def test_an_accepted_delivery_replays_without_its_signature_header(send):
    signed(send, fixture("typeform", "form_response.json"))
    Customer.objects.all().delete()
    replay = delivery_replay(Delivery.objects.get(), by=User.objects.get(email=SENDER))
    assert replay.status == 200
    assert Customer.objects.count() == 1


def test_a_refused_delivery_replayed_is_refused_again(send):
    send.raw(fixture("typeform", "form_response.json"))  # unsigned: 401
    replay = delivery_replay(Delivery.objects.get(), by=User.objects.get(email=SENDER))
    assert replay.status == 401
    assert not Customer.objects.exists()
