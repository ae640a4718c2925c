"""The listener's limits (SPEC §3): each configurable, each with a documented
default, each accepting exactly N and refusing N + 1 with a clear 4xx."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from crmdp.customers.models import Customer
from crmdp.listeners.models import Delivery
from tests.conftest import SENDER

CONFIGURATION = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def envelope(*items: dict) -> dict:
    return {"senderUser": SENDER, "data": list(items)}


def contact(**data) -> dict:
    return {"actionType": "add-contact", "data": {"name": "Lan", **data}}


@pytest.mark.parametrize(
    ("variable", "default"),
    [
        ("CRMDP_MAX_BODY_BYTES", 1024 * 1024),
        ("CRMDP_MAX_ACTIONS", 500),
        ("CRMDP_MAX_DEPTH", 32),
        ("CRMDP_MAX_STRING_LENGTH", 65536),
        ("CRMDP_MAX_LIST_ITEMS", 1000),
    ],
)
def test_each_limit_has_the_default_its_documentation_gives(variable, default):
    row = re.search(rf"^\| `{variable}` \| `(\d+)`", CONFIGURATION.read_text(), re.MULTILINE)
    assert row, f"{variable} is not in docs/configuration.md"
    assert int(row[1]) == default
    assert getattr(django_settings, variable) == default  # no variable set in the tests


def test_a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_413(post, settings):
    body = json.dumps(envelope(contact(bgInfo="x" * 500))).encode()
    settings.CRMDP_MAX_BODY_BYTES = len(body)
    assert post.raw(body).status == 200
    settings.CRMDP_MAX_BODY_BYTES = len(body) - 1
    refused = post.raw(body)
    assert refused.status == 413
    assert refused.json["error"]["code"] == "body_too_large"
    assert Customer.objects.count() == 1


class Tripwire:
    """A request body that records whether anyone read it."""

    def __init__(self) -> None:
        self.read_from = False

    def read(self, *args: object) -> bytes:
        self.read_from = True
        return b"{}"

    readline = read


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(post, settings):
    settings.CRMDP_MAX_BODY_BYTES = 1000
    body = Tripwire()
    response = post.client.generic(
        "POST",
        post.listener.path,
        b"",
        content_type="application/json",
        CONTENT_LENGTH="1001",
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert not body.read_from
    assert Delivery.objects.get().status == 413  # still in the delivery log


def test_exactly_the_action_limit_is_processed_and_one_more_is_413(post, settings):
    settings.CRMDP_MAX_ACTIONS = 5
    actions = [contact(passport=f"P{i}") for i in range(6)]
    refused = post(envelope(*actions))
    assert refused.status == 413
    assert refused.json["error"]["code"] == "too_many_actions"
    assert refused.json["error"]["details"] == [
        {"field": "data", "message": "at most 5 actions per request"}
    ]
    assert not Customer.objects.exists()
    accepted = post(envelope(*actions[:5]))
    assert accepted.status == 200
    assert Customer.objects.count() == 5


def test_a_string_of_exactly_the_limit_is_read_and_one_character_more_is_400(post, settings):
    settings.CRMDP_MAX_STRING_LENGTH = 40
    refused = post(envelope(contact(bgInfo="é" * 41)))
    assert refused.status == 400
    assert refused.json["error"]["details"] == [
        {"field": "data[0].data.bgInfo", "message": "the value is longer than 40 characters"}
    ]
    accepted = post(envelope(contact(bgInfo="é" * 40)))  # characters, not bytes
    assert accepted.status == 200
    assert Customer.objects.get().bg_info == "é" * 40


def test_a_list_of_exactly_the_item_limit_is_read_and_one_item_more_is_400(post, settings):
    settings.CRMDP_MAX_LIST_ITEMS = 3
    phones = [{"value": f"+8490500000{n}"} for n in range(4)]
    refused = post(envelope(contact(phones=phones)))
    assert refused.status == 400
    assert refused.json["error"]["details"] == [
        {"field": "data[0].data.phones", "message": "the list has 4 items; at most 3 are allowed"}
    ]
    assert Customer.objects.count() == 0
    accepted = post(envelope(contact(phones=phones[:3])))
    assert accepted.status == 200
    assert len(Customer.objects.get().phones) == 3


def test_the_item_limit_leaves_the_list_of_actions_to_the_action_limit(post, settings):
    settings.CRMDP_MAX_LIST_ITEMS = 3
    response = post(envelope(*(contact(name=f"N{n}") for n in range(5))))
    assert response.status == 200
    assert Customer.objects.count() == 5


def test_a_key_longer_than_the_string_limit_is_400(post, settings):
    settings.CRMDP_MAX_STRING_LENGTH = 40
    assert post(envelope(contact(**{"k" * 40: 1}))).status == 200
    refused = post(envelope(contact(**{"k" * 41: 1})))
    assert refused.status == 400
    assert "a key is longer than 40 characters" in refused.json["error"]["message"]


def nested(levels: int) -> object:
    value: object = "deep"
    for _ in range(levels):
        value = [value]
    return value


def test_exactly_the_depth_limit_is_read_and_one_level_more_is_400(post, settings):
    settings.CRMDP_MAX_DEPTH = 10
    # The envelope, `data`, the action and its `data` make four levels; `bgInfo`'s
    # innermost value sits at 4 + the number of arrays around it.
    accepted = post(envelope(contact(bgInfo=nested(6))))
    assert accepted.status == 200, accepted
    refused = post(envelope(contact(bgInfo=nested(7))))
    assert refused.status == 400
    assert refused.json["error"]["message"] == "the JSON is nested deeper than 10 levels"
    assert Customer.objects.count() == 1
