"""Listeners that require Standard Webhooks signatures (issue 8)."""

from __future__ import annotations

import json
import time

import pytest

from crmdp.customers.models import Customer
from crmdp.lib.signatures import sign
from crmdp.listeners.models import Delivery
from crmdp.listeners.services import listener_set_signing
from tests.conftest import sample


@pytest.fixture
def secret(listener):
    return listener_set_signing(listener=listener, signed=True)


def _signed(post, secret, body: bytes, *, message_id="msg_1", at=None, signature=None):
    at = int(time.time()) if at is None else at
    return post.raw(
        body,
        HTTP_WEBHOOK_ID=message_id,
        HTTP_WEBHOOK_TIMESTAMP=str(at),
        HTTP_WEBHOOK_SIGNATURE=signature or sign(secret, message_id, at, body),
    )


def test_a_correctly_signed_request_is_accepted(post, secret):
    response = _signed(post, secret, json.dumps(sample("add-contact")).encode())
    assert response.status == 200
    assert response.json["results"][0]["status"] == "created"


def test_an_unsigned_request_is_refused_with_401_and_logged(post, secret):
    response = post(sample("add-contact"))
    assert response.status == 401
    assert response.json["error"]["code"] == "invalid_signature"
    assert Customer.objects.count() == 0
    assert Delivery.objects.get().status == 401


def test_a_tampered_body_is_refused(post, secret):
    body = json.dumps(sample("add-contact")).encode()
    signature = sign(secret, "msg_1", int(time.time()), body)
    response = _signed(post, secret, body.replace(b"Huy", b"Eve"), signature=signature)
    assert response.status == 401
    assert "does not match" in response.json["error"]["message"]


def test_a_signature_older_than_five_minutes_is_refused(post, secret):
    response = _signed(post, secret, b'{"senderUser": "x", "data": []}', at=int(time.time()) - 301)
    assert response.status == 401
    assert "5 minutes" in response.json["error"]["message"]


def test_any_of_several_signatures_may_match_during_a_secret_rotation(post, secret):
    body = json.dumps(sample("add-contact")).encode()
    at = int(time.time())
    both = f"v1,bm90LXRoZS1yaWdodC1vbmU= {sign(secret, 'msg_1', at, body)}"
    assert _signed(post, secret, body, at=at, signature=both).status == 200


def test_webhook_id_is_an_idempotency_key(post, secret):
    body = json.dumps(sample("add-contact")).encode()
    first = _signed(post, secret, body, message_id="msg_42")
    again = _signed(post, secret, body, message_id="msg_42")
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1


def test_turning_signing_off_accepts_unsigned_requests_again(post, listener, secret):
    listener_set_signing(listener=listener, signed=False)
    assert post(sample("add-contact")).status == 200
