"""A 500 names its request: the id in the reply (body and X-Request-Id header) is
the id in the server's log line that carries the traceback (and, for a listener,
the id of the delivery kept in its log)."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from crmdp.lib.request_ids import HEADER
from crmdp.listeners import batch
from crmdp.listeners.models import Delivery
from tests.conftest import sample


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a fault of ours")


# This module is the URLconf of the tests marked below: the product's routes, plus
# one that always fails, under the API and among the people's pages.
urlpatterns = [
    path("api/v1/fails", fails),
    path("fails", fails),
    path("", include("crmdp.urls")),
]
handler500 = "crmdp.api.errors.server_error"


def the_traceback_line(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    return record


@pytest.mark.urls(__name__)
def test_an_api_500_answers_the_id_its_log_line_names(db, caplog):
    response = Client(raise_request_exception=False).get("/api/v1/fails")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "internal_error"
    given = body["requestId"]
    assert response.headers[HEADER] == given
    assert uuid.UUID(given)
    assert the_traceback_line(caplog).getMessage() == (
        f"Internal Server Error: /api/v1/fails (request {given})"
    )


@pytest.mark.urls(__name__)
def test_a_page_500_shows_the_id_its_log_line_names(db, caplog):
    response = Client(raise_request_exception=False).get("/fails")
    assert response.status_code == 500
    given = response.headers[HEADER]
    assert f"<code>{given}</code>" in response.content.decode()
    assert the_traceback_line(caplog).getMessage().endswith(f"(request {given})")


def test_every_answer_has_its_own_id(db):
    client = Client()
    first, second = client.get("/login/"), client.get("/api/v1/customers")
    assert first.status_code == 200 and second.status_code == 401
    assert uuid.UUID(first.headers[HEADER]) != uuid.UUID(second.headers[HEADER])


def test_a_listener_answer_carries_one_id_in_body_header_and_log(post):
    answer = post(sample("add-contact"))
    assert answer.status == 200
    given = answer.json["requestId"]
    assert answer.headers[HEADER] == given
    assert Delivery.objects.get().request_id == uuid.UUID(given)


def test_a_listener_500_answers_the_id_its_log_line_and_delivery_name(post, monkeypatch, caplog):
    def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr(batch, "write", fails)
    answer = post(sample("add-contact"))
    assert answer.status == 500
    assert answer.json["error"]["code"] == "internal_error"
    given = answer.json["requestId"]
    assert answer.headers[HEADER] == given
    (line,) = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert line.getMessage().startswith(f"request {given} to listener ")
    kept = Delivery.objects.get()
    assert (kept.status, str(kept.request_id)) == (500, given)
