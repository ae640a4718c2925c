"""Bodies that break naive services get a clear answer, fast, and leave nothing
unreadable behind (the same corpus runs against `crmdp serve` in tests/server)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from crmdp.api.schemas import ErrorOut, ListenerResponse
from crmdp.customers.models import Customer
from crmdp.listeners.models import Delivery
from tests.conftest import SENDER, Poster, Response
from tests.listeners.hostile import Hostile, corpus

CORPUS = corpus(SENDER)
# "Doesn't hang", not a benchmark: the slowest of these takes a few hundredths.
SECONDS = 1.0


def send(post: Poster, case: Hostile, **headers: Any) -> tuple[Response, float]:
    extra = {"content_type": case.content_type} if case.content_type else {}
    started = time.monotonic()
    response = post.client.generic("POST", post.listener.path, case.body, **extra, **headers)
    seconds = time.monotonic() - started
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    return Response(response.status_code, parsed, dict(response.items())), seconds


def assert_answered(case: Hostile, response: Response) -> None:
    assert response.status == case.status, (case.name, response)
    if case.code is None:
        ListenerResponse.model_validate(response.json)
    else:
        ErrorOut.model_validate(response.json)
        assert response.json["error"]["code"] == case.code, (case.name, response)


@pytest.mark.parametrize("case", CORPUS, ids=str)
def test_a_hostile_body_gets_a_clear_answer_in_well_under_a_second(post, case):
    response, seconds = send(post, case)
    assert_answered(case, response)
    assert seconds < SECONDS, f"{case.name}: {seconds:.2f} s"


def test_a_refused_hostile_body_changes_nothing_but_is_logged(post):
    refused = [case for case in CORPUS if case.status != 200]
    for case in refused:
        send(post, case)
    assert not Customer.objects.exists()
    assert Delivery.objects.count() == len(refused)


def unclean(value: Any) -> bool:
    """A NUL or a lone surrogate anywhere in a text or JSON value."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(unclean(key) or unclean(item) for key, item in value.items())
    if isinstance(value, list):
        return any(unclean(item) for item in value)
    return False


def text_columns() -> dict[type[models.Model], list[str]]:
    """Every text and JSON column of every crmdp table."""
    found = {}
    for model in apps.get_models():
        if model.__module__.startswith("crmdp."):
            found[model] = [
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField | models.JSONField)
            ]
    return found


def unclean_rows() -> list[str]:
    return [
        f"{model.__name__} {row['pk']}.{column}: {row[column]!r:.80}"
        for model, columns in text_columns().items()
        for row in model.objects.values("pk", *columns)
        for column in columns
        if unclean(row[column])
    ]


def test_the_scan_covers_customers_keys_history_and_deliveries():
    columns = {(model.__name__, name) for model, names in text_columns().items() for name in names}
    assert {
        ("Customer", "name"),
        ("Customer", "emails"),
        ("Customer", "custom_fields"),
        ("CustomerKey", "key"),
        ("HistoryEntry", "text"),
        ("Delivery", "content_type"),
        ("Delivery", "response"),
        ("Delivery", "sender"),
        ("Delivery", "idempotency_key"),
    } <= columns
    assert unclean({"a": ["ok", "x\x00"]})
    assert unclean("lone \udc00")
    assert not unclean({"name": "Nguyễn Văn Lan 😀"})


def test_nothing_stored_after_the_corpus_holds_a_nul_or_a_lone_surrogate(post):
    for case in CORPUS:
        send(post, case)
    # Headers are the other way in: a NUL in the content type or the key.
    accepted = next(case for case in CORPUS if case.status == 200)
    send(post, Hostile("NUL in the content type", accepted.body, "text/plain\x00x", 200, None))
    send(post, accepted, HTTP_IDEMPOTENCY_KEY="key\x00")
    assert Customer.objects.exists()  # what was valid was stored, so the scan sees data
    assert Delivery.objects.count() == len(CORPUS) + 2
    assert unclean_rows() == []
