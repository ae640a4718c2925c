"""A 500 names its request: the id in the reply (body and X-Request-Id header) is
the id at the end of the server's log line that carries the traceback."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from crmdp.lib.request_ids import HEADER


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
