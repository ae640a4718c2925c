"""Requests to unknown listener URLs are answered 404, then slowed down."""

from __future__ import annotations

from django.test import Client

from crmdp.listeners import views


def test_scanning_for_tokens_gets_429_after_the_limit(db, settings, monkeypatch):
    monkeypatch.setattr(views, "_unknown_tokens", views.SlidingLimit(3))
    client = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [
        client.post(f"/listener/guess{i}", "{}", "application/json").status_code for i in range(5)
    ]
    assert statuses == [404, 404, 404, 429, 429]
    limited = client.post("/listener/guess9", "{}", "application/json")
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another address is not affected.
    other = Client(REMOTE_ADDR="198.51.100.4")
    assert other.post("/listener/guess1", "{}", "application/json").status_code == 404


def test_a_real_listener_still_answers_to_a_scanning_address(post, monkeypatch):
    monkeypatch.setattr(views, "_unknown_tokens", views.SlidingLimit(1))
    client = Client()
    client.post("/listener/nope1", "{}", "application/json")
    assert client.post("/listener/nope2", "{}", "application/json").status_code == 429
    assert post({"senderUser": "huy.nguyenviet@htklabs.com", "data": []}).status == 200
