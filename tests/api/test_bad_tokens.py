"""Guessing API tokens: a client address that sends too many bad ones is answered
429 (Retry-After) for the rest of the minute, good token or not; other addresses
are not affected."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

import crmdp.api.auth
from crmdp.lib.throttle import SlidingLimit


def get(token: str, address: str) -> tuple[int, dict[str, str]]:
    response = Client(REMOTE_ADDR=address).get(
        "/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    return response.status_code, dict(response.items())


def test_past_the_bad_token_limit_an_address_gets_429_whatever_it_sends(owner_api):
    limit = settings.CRMDP_API_BAD_TOKEN_LIMIT
    assert limit == 30
    guesser = "203.0.113.20"
    statuses = [get(f"crmdp_guess{n}", guesser)[0] for n in range(limit)]
    assert statuses == [401] * limit
    status, headers = get("crmdp_one-more", guesser)
    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 60
    # Once limited, even a good token waits: the answer says nothing about tokens.
    assert get(owner_api.token, guesser)[0] == 429
    assert get(owner_api.token, "192.0.2.44")[0] == 200
    assert get("crmdp_guess", "192.0.2.44")[0] == 401


def test_good_tokens_are_never_counted(owner_api):
    for _ in range(settings.CRMDP_API_BAD_TOKEN_LIMIT + 5):
        assert get(owner_api.token, "192.0.2.45")[0] == 200


def test_a_limit_of_zero_counts_nothing(owner_api, monkeypatch):
    monkeypatch.setattr(crmdp.api.auth, "_bad_tokens", SlidingLimit(0))
    for n in range(40):
        assert get(f"crmdp_guess{n}", "203.0.113.21")[0] == 401
    assert get(owner_api.token, "203.0.113.21")[0] == 200
