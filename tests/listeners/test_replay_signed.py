"""Signed requests are replay-proof (issue 13, point 7).

The signature covers webhook-id, webhook-timestamp and the body, not
Idempotency-Key. Someone who captured one signed request could, within its five
minutes, send it again under a fresh Idempotency-Key and have it run twice. With
a signing secret the webhook-id is therefore the dedupe key, whatever
Idempotency-Key says.
"""

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


def _signed(post, secret, body: bytes, message_id: str, **headers: str):
    at = int(time.time())
    return post.raw(
        body,
        HTTP_WEBHOOK_ID=message_id,
        HTTP_WEBHOOK_TIMESTAMP=str(at),
        HTTP_WEBHOOK_SIGNATURE=sign(secret, message_id, at, body),
        **headers,
    )


def test_a_captured_request_sent_again_under_a_new_idempotency_key_runs_once(post, secret):
    body = json.dumps(sample("add-contact")).encode()
    first = _signed(post, secret, body, "msg_1", HTTP_IDEMPOTENCY_KEY="sender-key-1")
    replay = _signed(post, secret, body, "msg_1", HTTP_IDEMPOTENCY_KEY="attacker-key-2")
    assert first.status == 200
    assert replay.json == first.json
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1


def test_dropping_the_idempotency_key_does_not_help_either(post, secret):
    body = json.dumps(sample("add-contact")).encode()
    _signed(post, secret, body, "msg_1", HTTP_IDEMPOTENCY_KEY="sender-key-1")
    replay = _signed(post, secret, body, "msg_1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1


def test_a_new_message_is_not_taken_for_a_repeat_because_of_its_idempotency_key(post, secret):
    # The sender's own header is ignored on a signed listener, both ways.
    first = _signed(
        post,
        secret,
        json.dumps(sample("add-contact")).encode(),
        "msg_1",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    second = _signed(
        post,
        secret,
        json.dumps(sample("add-lead")).encode(),
        "msg_2",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert (first.status, second.status) == (200, 200)
    assert "Idempotent-Replayed" not in second.headers
    assert [d.status for d in Delivery.objects.order_by("id")] == [200, 200]


def test_an_unsigned_listener_still_honours_idempotency_key(post, listener):
    body = json.dumps(sample("add-contact")).encode()
    post.raw(body, HTTP_IDEMPOTENCY_KEY="k1")
    again = post.raw(body, HTTP_IDEMPOTENCY_KEY="k2")
    assert "Idempotent-Replayed" not in again.headers  # a new key is a new request
    assert again.json["results"][0]["status"] == "duplicate"
