"""The outbox worker against real servers: retries, permanent failures, leases."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from crmdp.messaging.models import Message, MessageAttempt
from crmdp.messaging.services import sms_set
from crmdp.messaging.worker import Policy, claim, deliver
from tests.conftest import Poster
from tests.messaging.conftest import run_worker, welcome_sample
from tests.messaging.servers import sms_gateway


@pytest.fixture
def post_welcome(welcome):
    return Poster(Client(), welcome)


def _customer_history(owner_api, code):
    return [line["text"] for line in owner_api.get(f"/api/v1/customers/{code}").json["history"]]


def test_gateway_failing_twice_then_accepting_delivers_once_after_three_attempts(
    org, post_welcome, fast_retries, owner_api
):
    with sms_gateway(503, 503, 200) as gateway:
        sms_set(org, provider="http", url=gateway.url, trial=None)
        code = post_welcome(welcome_sample()).json["results"][0]["record"]["customerId"]
        run_worker()
    sms = Message.objects.get(channel="sms")
    assert (sms.status, sms.attempts) == ("sent", 3)
    assert len(gateway.requests) == 3 and len(gateway.accepted) == 1
    assert [a.outcome for a in sms.attempt_log.order_by("number")] == ["retry", "retry", "sent"]
    assert "Welcome SMS sent to +84333456789 (3 attempts)." in _customer_history(owner_api, code)


def test_gateway_refusing_with_400_fails_at_once_and_history_says_why(org, post_welcome, owner_api):
    with sms_gateway(400) as gateway:
        sms_set(org, provider="http", url=gateway.url, trial=None)
        code = post_welcome(welcome_sample()).json["results"][0]["record"]["customerId"]
        run_worker()
    sms = Message.objects.get(channel="sms")
    assert (sms.status, sms.attempts) == ("failed", 1)
    assert "gateway answered 400" in sms.last_error
    assert any(
        text.startswith("Welcome SMS to +84333456789 failed after 1 attempt: gateway answered 400")
        for text in _customer_history(owner_api, code)
    )
    api_message = owner_api.get("/api/v1/messages", customer=code).json["results"]
    assert {(m["channel"], m["status"]) for m in api_message} >= {("sms", "failed")}


def test_temporary_failures_end_as_failed_after_the_last_attempt(
    org, post_welcome, fast_retries, settings
):
    settings.CRMDP_MAX_ATTEMPTS = 4
    with sms_gateway(503) as gateway:
        sms_set(org, provider="http", url=gateway.url, trial=None)
        post_welcome(welcome_sample())
        run_worker()
    sms = Message.objects.get(channel="sms")
    assert (sms.status, sms.attempts) == ("failed", 4)
    assert len(gateway.requests) == 4


def test_unreachable_gateway_is_a_temporary_failure(org, post_welcome):
    sms_set(org, provider="http", url="http://127.0.0.1:9/unreachable", trial=None)
    post_welcome(welcome_sample())
    run_worker()
    sms = Message.objects.get(channel="sms")
    assert sms.status == "queued" and sms.attempts == 1
    assert "gateway unreachable" in sms.last_error
    assert sms.next_attempt_at > timezone.now()  # waiting out its back-off


def test_failed_trial_sms_gives_the_allowance_back(org, post_welcome, settings):
    settings.CRMDP_TRIAL_SMS_PROVIDER = "http"
    with sms_gateway(400) as gateway:
        settings.CRMDP_TRIAL_SMS_URL = gateway.url
        sms_set(org, provider=None, url=None, trial=5)
        post_welcome(welcome_sample())
        org.refresh_from_db()
        assert org.sms_trial_remaining == 4
        run_worker()
    org.refresh_from_db()
    assert org.sms_trial_remaining == 5


def test_first_retry_comes_within_about_five_seconds_and_backs_off_exponentially():
    policy = Policy(lease=timedelta(seconds=60), retry_base=2, max_attempts=8)
    delays = [policy.backoff(n).total_seconds() for n in range(1, 8)]
    assert 1.6 <= delays[0] <= 2.4
    assert all(later > earlier for earlier, later in itertools.pairwise(delays))
    assert delays[-1] <= 2 * 64 * 1.2


def test_a_leased_message_is_not_claimed_again_until_its_lease_expires(org, post_welcome):
    sms_set(org, provider="log", url=None, trial=None)
    post_welcome(welcome_sample())
    policy = Policy(lease=timedelta(seconds=60), retry_base=1, max_attempts=8)
    first_token, first = claim(10, policy)
    _, second = claim(10, policy)
    assert len(first) == 2 and second == []
    # The first worker "dies": its lease runs out, and another worker takes over.
    Message.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    third_token, third = claim(10, policy)
    assert {m.id for m in third} == {m.id for m in first}
    for message in third:
        assert deliver(message, third_token, policy, "second worker") == "sent"
    # The first worker, back late, finds its lease gone when it renews it before
    # sending: it sends nothing and records nothing over the new owner's outcome.
    assert deliver(first[0], first_token, policy, "first worker") == "lost"
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert all(m.attempts == 2 for m in Message.objects.all())
    assert MessageAttempt.objects.filter(worker="first worker").count() == 0
