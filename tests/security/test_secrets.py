"""Secrets: listener tokens are long, random and URL-safe; API tokens are never
kept, only their digests."""

from __future__ import annotations

import math
import string

from crmdp.listeners.models import Listener
from crmdp.listeners.services import ListenerSettings, listener_create, listener_regenerate
from crmdp.orgs.tokens import issue_token
from tests.listeners.test_hostile_input import text_columns

URL_SAFE = set(string.ascii_letters + string.digits + "-_")


def test_listener_tokens_carry_at_least_128_random_bits(org):
    listener = listener_create(org=org, settings=ListenerSettings(name="Form"))
    tokens = [listener.token]
    for _ in range(199):
        tokens.append(listener_regenerate(listener=listener).token)
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert set(token) <= URL_SAFE, token
        assert len(token) * math.log2(len(URL_SAFE)) >= 128, token
    # Random, not a counter or a timestamp: every position takes many values.
    for position in range(22):
        assert len({token[position] for token in tokens}) > 40, position
    assert Listener.objects.get().token == tokens[-1]


def test_api_tokens_are_kept_only_as_digests(org):
    token = issue_token(org.memberships.get())
    stored = [
        (model.__name__, column)
        for model, columns in text_columns().items()
        for row in model.objects.values(*columns)
        for column in columns
        if token in str(row[column]) or token[6:] in str(row[column])
    ]
    assert stored == []
