"""Bounded cost per request and per sender (issue 13, point 8).

A leaked URL, or a sender gone wrong, must not be able to buy unbounded work, storage
or lock time: a cap on the work in one request, refusals kept small and few, stored
responses capped, deliveries forgotten after a retention period, and a default rate
limit for new listeners.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.listeners.models import Delivery, IdempotencyRecord, Listener
from crmdp.listeners.services import ListenerSettings, listener_create
from tests.conftest import SENDER, Poster


def envelope(*items: dict) -> dict:
    return {"senderUser": SENDER, "data": list(items)}


def contact(n: int) -> dict:
    return {"actionType": "add-contact", "data": {"name": f"C{n}"}}


def deal_with_contacts(count: int) -> dict:
    return {
        "actionType": "add-deal",
        "data": {
            "name": "Big deal",
            "stage": "New",
            "dealWith": {"name": "Lan"},
            "contacts": [
                {"name": f"P{n}", "emails": [{"value": f"p{n}@x.example"}]} for n in range(count)
            ],
        },
    }


# -- the work in one request -------------------------------------------------------------


def test_exactly_the_work_limit_is_processed_and_one_item_more_is_413(post, settings):
    settings.CRMDP_MAX_WORK_ITEMS = 12
    # 2 deals × (1 + dealWith + 4 contacts) = 12
    assert post(envelope(*[deal_with_contacts(4)] * 2)).status == 200
    refused = post(envelope(deal_with_contacts(4), deal_with_contacts(5)))
    assert refused.status == 413
    error = refused.json["error"]
    assert error["code"] == "too_much_work"
    assert "13 work items" in error["message"]
    assert "the limit is 12 (CRMDP_MAX_WORK_ITEMS)" in error["message"]
    assert error["details"] == [{"field": "data", "message": "at most 12 work items per request"}]


def test_send_sms_phones_count_as_work(post, settings):
    settings.CRMDP_MAX_WORK_ITEMS = 3
    sms = {"actionType": "send-sms", "data": {"content": "hi", "phones": ["1", "2", "3", "4"]}}
    assert post(envelope(sms)).json["error"]["code"] == "too_much_work"


def test_the_costliest_request_under_the_default_is_refused_unread_in_well_under_a_second(post):
    # Two deals of 1,000 contacts each fit every other limit (1,000 per list, 500
    # actions, 1 MiB) and would hold the write lock for seconds.
    body = envelope(deal_with_contacts(999), deal_with_contacts(999))
    started = time.monotonic()
    refused = post(body)
    assert time.monotonic() - started < 1
    assert refused.status == 413
    assert "2002 work items" in refused.json["error"]["message"]
    assert Customer.objects.count() == 0


# -- refused requests --------------------------------------------------------------------


@pytest.fixture
def guarded(org) -> Poster:
    listener = listener_create(
        org=org, settings=ListenerSettings(name="Office only", allowed_ips=["203.0.113.7"])
    )
    return Poster(Client(), listener)


def test_a_refused_request_is_kept_truncated(guarded, settings):
    settings.CRMDP_REFUSED_LOG_BYTES = 4096
    body = json.dumps(envelope(*[contact(n) for n in range(400)])).encode()
    assert len(body) > 10_000
    assert guarded.raw(body, REMOTE_ADDR="198.51.100.5").status == 403
    kept = Delivery.objects.get()
    assert bytes(kept.body) == body[:4096]
    assert kept.body_size == len(body)
    assert kept.response["error"]["code"] == "ip_not_allowed"


def test_refusals_are_kept_at_most_the_limit_a_minute(guarded, settings):
    settings.CRMDP_REFUSED_LOG_LIMIT = 5
    statuses = [guarded.raw(b"{}", REMOTE_ADDR="198.51.100.5").status for _ in range(8)]
    assert statuses == [403] * 8  # every one answered the same
    assert Delivery.objects.count() == 5
    # A minute on, refusals are kept again; accepted requests never counted.
    Delivery.objects.update(received_at=timezone.now() - timedelta(seconds=61))
    assert guarded.raw(b"{}", REMOTE_ADDR="198.51.100.5").status == 403
    assert Delivery.objects.count() == 6
    assert guarded(envelope(contact(1)), REMOTE_ADDR="203.0.113.7").status == 200
    assert Delivery.objects.count() == 7


def test_requests_that_are_not_refusals_are_kept_whole(post, settings):
    settings.CRMDP_REFUSED_LOG_BYTES = 16
    body = b'{"senderUser": "' + SENDER.encode() + b'", "data": [' + b" " * 100 + b"]"
    assert post.raw(body).status == 400  # invalid JSON: the sender's own mistake
    assert bytes(Delivery.objects.get().body) == body


# -- stored responses --------------------------------------------------------------------


def test_one_stored_response_is_capped_and_says_so(post, settings):
    settings.CRMDP_MAX_STORED_RESPONSE_BYTES = 4000
    answered = post(envelope(*[contact(n) for n in range(60)]), HTTP_IDEMPOTENCY_KEY="k")
    assert answered.status == 200
    assert len(answered.json["results"]) == 60  # the sender gets all of it
    for stored in (Delivery.objects.get().response, IdempotencyRecord.objects.get().response):
        assert len(json.dumps(stored).encode()) <= 4000
        assert stored["truncated"] is True
        assert stored["requestId"] == answered.json["requestId"]
        assert stored["results"] == answered.json["results"][: len(stored["results"])]
        assert stored["resultsLeftOut"] == 60 - len(stored["results"]) > 0


def test_a_small_response_is_stored_whole(post):
    answered = post(envelope(contact(1)))
    assert Delivery.objects.get().response == answered.json


# -- retention ---------------------------------------------------------------------------


def test_prune_forgets_deliveries_past_the_retention_and_keys_past_24_hours(post, capsys):
    for n in range(3):
        post(envelope(contact(n)), HTTP_IDEMPOTENCY_KEY=f"k{n}")
    old, recent, new = Delivery.objects.order_by("id")
    Delivery.objects.filter(id=old.id).update(received_at=timezone.now() - timedelta(days=31))
    Delivery.objects.filter(id=recent.id).update(received_at=timezone.now() - timedelta(days=29))
    IdempotencyRecord.objects.filter(key="k0").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    call_command("prune", "--json")
    assert json.loads(capsys.readouterr().out) == {"deliveries": 1, "idempotencyRecords": 1}
    assert set(Delivery.objects.values_list("id", flat=True)) == {recent.id, new.id}
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"k1", "k2"}
    assert Customer.objects.count() == 3  # the records themselves stay


def test_prune_takes_the_retention_from_the_setting(post, settings):
    settings.CRMDP_DELIVERY_RETENTION_DAYS = 7
    post(envelope(contact(1)))
    Delivery.objects.update(received_at=timezone.now() - timedelta(days=8))
    call_command("prune")
    assert not Delivery.objects.exists()


# -- the default rate limit --------------------------------------------------------------


def test_a_new_listener_gets_the_default_rate_limit(org, settings):
    assert (
        listener_create(org=org, settings=ListenerSettings(name="a")).rate_limit_per_minute == 600
    )
    settings.CRMDP_LISTENER_RATE_LIMIT = 5
    limited = listener_create(org=org, settings=ListenerSettings(name="b"))
    assert limited.rate_limit_per_minute == 5
    poster = Poster(Client(), limited)
    assert [poster(envelope()).status for _ in range(6)] == [200] * 5 + [429]
    settings.CRMDP_LISTENER_RATE_LIMIT = 0
    assert (
        listener_create(org=org, settings=ListenerSettings(name="c")).rate_limit_per_minute is None
    )
    # An explicit choice stands, "no limit" included.
    chosen = ListenerSettings(name="d", rate_limit_per_minute=None)
    assert listener_create(org=org, settings=chosen).rate_limit_per_minute is None


def test_the_cli_gives_a_new_listener_the_default_rate_limit(org, capsys):
    call_command("listener", "create", "--org", str(org.id), "--name", "CLI", "--json")
    created = json.loads(capsys.readouterr().out)
    assert Listener.objects.get(id=created["id"]).rate_limit_per_minute == 600
