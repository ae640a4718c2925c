"""Idempotency-Key and per-listener rate limits (SPEC §3)."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.listeners.models import Delivery, IdempotencyRecord
from tests.conftest import sample


def test_repeat_with_same_key_and_body_returns_the_first_response_and_does_nothing(post):
    body = sample("add-contact")
    first = post(body, HTTP_IDEMPOTENCY_KEY="order-17")
    second = post(body, HTTP_IDEMPOTENCY_KEY="order-17")
    assert first.status == second.status == 200
    assert second.json == first.json  # the same requestId too
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1
    assert Delivery.objects.count() == 2  # both requests are in the log


def test_same_key_with_another_body_is_refused_with_422(post):
    post(sample("add-contact"), HTTP_IDEMPOTENCY_KEY="k1")
    other = sample("add-lead")
    response = post(other, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status == 422
    assert response.json["error"]["code"] == "idempotency_key_reused"
    assert Customer.objects.filter(kind="lead").count() == 0


def test_keys_are_per_listener(post, org):
    from django.test import Client

    from crmdp.listeners.services import ListenerSettings, listener_create
    from tests.conftest import Poster

    other = Poster(Client(), listener_create(org=org, settings=ListenerSettings(name="Other")))
    body = {
        "senderUser": sample("add-contact")["senderUser"],
        "data": [
            {
                "actionType": "add-lead",
                "data": {"name": "Lead", "emails": [{"value": "l@example.com"}]},
            }
        ],
    }
    assert post(body, HTTP_IDEMPOTENCY_KEY="same").json["results"][0]["status"] == "created"
    assert other(body, HTTP_IDEMPOTENCY_KEY="same").json["results"][0]["status"] == "duplicate"


def test_a_key_older_than_24_hours_is_forgotten(post):
    body = {
        "senderUser": sample("add-contact")["senderUser"],
        "data": [
            {
                "actionType": "add-lead",
                "data": {"name": "Lead", "emails": [{"value": "l@example.com"}]},
            }
        ],
    }
    post(body, HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = post(body, HTTP_IDEMPOTENCY_KEY="old")
    assert "Idempotent-Replayed" not in again.headers
    assert again.json["results"][0]["status"] == "duplicate"


def test_a_refused_request_is_not_remembered(post):
    body = sample("add-contact")
    body["senderUser"] = "stranger@example.com"
    assert post(body, HTTP_IDEMPOTENCY_KEY="k").status == 403
    body["senderUser"] = sample("add-contact")["senderUser"]
    assert post(body, HTTP_IDEMPOTENCY_KEY="k").json["results"][0]["status"] == "created"


def test_an_overlong_key_is_a_400(post):
    response = post(sample("add-contact"), HTTP_IDEMPOTENCY_KEY="x" * 201)
    assert response.status == 400
    assert response.json["error"]["code"] == "invalid_idempotency_key"


def test_past_the_rate_limit_answers_429_with_retry_after(post, listener):
    listener.rate_limit_per_minute = 2
    listener.save()
    body = {"senderUser": sample("add-contact")["senderUser"], "data": []}
    assert [post(body).status for _ in range(2)] == [200, 200]
    limited = post(body)
    assert limited.status == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # A minute later the window has moved on.
    Delivery.objects.update(received_at=timezone.now() - timedelta(seconds=61))
    assert post(body).status == 200


def test_refused_requests_do_not_use_up_the_limit(post, listener):
    listener.rate_limit_per_minute = 1
    listener.save()
    assert post.raw(b"not json").status == 400
    assert post({"senderUser": sample("add-contact")["senderUser"], "data": []}).status == 200
    assert json.loads(json.dumps(post.raw(b"{}").json))["error"]["code"] == "rate_limited"
