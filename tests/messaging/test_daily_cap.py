"""A per-org daily SMS cap: a leaked listener URL cannot run up the bill."""

from __future__ import annotations

from crmdp.messaging.models import Message
from crmdp.messaging.services import sms_set


def _send(post, *numbers):
    return post.action("send-sms", {"content": "Sale today", "phones": list(numbers)})


def test_send_sms_past_the_daily_cap_is_refused_and_queues_nothing(post, org):
    sms_set(org, provider="log", daily_cap=3)
    assert _send(post, "0905000001", "0905000002")["status"] == "queued"
    refused = _send(post, "0905000003", "0905000004")
    assert refused["status"] == "error"
    assert "daily SMS cap of 3" in refused["errors"][0]["message"]
    assert Message.objects.count() == 2
    assert _send(post, "0905000003")["status"] == "queued"  # exactly up to the cap


def test_the_default_cap_comes_from_the_settings(post, org, settings):
    settings.CRMDP_SMS_DAILY_CAP = 1
    sms_set(org, provider="log")
    assert _send(post, "0905000001")["status"] == "queued"
    assert _send(post, "0905000002")["status"] == "error"


def test_yesterdays_messages_do_not_count(post, org):
    from datetime import timedelta

    from django.utils import timezone

    sms_set(org, provider="log", daily_cap=1)
    _send(post, "0905000001")
    Message.objects.update(created_at=timezone.now() - timedelta(days=1))
    assert _send(post, "0905000002")["status"] == "queued"
