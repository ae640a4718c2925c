"""delivery_replay: a stored request run again through the same pipeline."""

from __future__ import annotations

import pytest

from crmdp.customers.models import Customer
from crmdp.history.models import HistoryEntry
from crmdp.lib.issues import Invalid
from crmdp.listeners.models import Delivery
from crmdp.listeners.services import delivery_replay, listener_set_enabled
from crmdp.orgs.models import Role, User
from crmdp.orgs.services import user_add
from tests.conftest import SENDER, sample


def owner_of(org) -> User:
    return org.memberships.get(user__email=SENDER).user


def test_a_replay_is_a_new_delivery_marked_as_one_and_finds_a_duplicate(org, listener, post):
    post(sample("add-contact"))
    original = Delivery.objects.get()
    replay = delivery_replay(original, by=owner_of(org))
    assert replay.id != original.id
    assert replay.replay_of == original
    assert replay.status == 200
    assert bytes(replay.body) == bytes(original.body)
    assert replay.source_ip == original.source_ip
    result = replay.response["results"][0]
    assert (result["status"], result["matchedOn"]) == ("duplicate", "passport")
    assert replay.outcomes == {"duplicate": 1}
    assert Customer.objects.count() == 1
    assert HistoryEntry.objects.filter(request_id=replay.request_id).exists()


def test_a_replay_of_a_request_whose_records_were_gone_creates_them_again(org, listener, post):
    post(sample("add-lead"))
    original = Delivery.objects.get()
    Customer.objects.all().delete()
    replay = delivery_replay(original, by=owner_of(org))
    assert replay.response["results"][0]["status"] == "created"
    assert Customer.objects.filter(kind="lead").count() == 1


def test_a_refused_request_is_refused_again_on_replay(org, listener, post):
    post.raw(b'{"senderUser": ')
    original = Delivery.objects.get()
    replay = delivery_replay(original, by=owner_of(org))
    assert replay.status == 400
    assert replay.replay_of == original
    assert replay.response["error"]["code"] == "invalid_body"


def test_a_member_may_not_replay(org, listener, post):
    post(sample("add-contact"))
    member = user_add(org=org, email="member@example.com", role=Role.MEMBER).user
    with pytest.raises(Invalid, match="owners and admins"):
        delivery_replay(Delivery.objects.get(), by=member)
    assert Delivery.objects.count() == 1


def test_a_disabled_listener_accepts_no_replay(org, listener, post):
    post(sample("add-contact"))
    listener_set_enabled(listener=listener, enabled=False)
    with pytest.raises(Invalid, match="disabled"):
        delivery_replay(Delivery.objects.get(), by=owner_of(org))
    assert Delivery.objects.count() == 1
