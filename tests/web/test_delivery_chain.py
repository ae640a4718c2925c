"""Listener deliveries go through a shorter middleware chain (crmdp/web/handler.py):
what they answer, and what a sender or an operator sees of them, is the same as
through the whole chain. These requests go through the WSGI application that
`crmdp serve` runs, not Django's test client (whose handler has the whole chain)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections
from django.test import Client

import crmdp.listeners.views
import crmdp.web.outage
from crmdp.listeners.models import Listener
from crmdp.web.handler import Handler
from tests.conftest import SENDER

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = int(status.split()[0])
        self.headers = {name.lower(): value for name, value in headers}
        self.header_list = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture
def served() -> Handler:
    return Handler()


@contextmanager
def keeping_the_test_transaction() -> Iterator[None]:
    """As Django's test client does around each request: the test's transaction is
    not a connection for the request's end to close (it would, on PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call(
    app: Handler, method: str, path: str, body: bytes = b"", host: str = "localhost"
) -> Answer:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
        started.extend([status, headers])
        return io.BytesIO().write

    with keeping_the_test_transaction():
        chunks = app(environ, start_response)
        body_out = b"".join(chunks)
        chunks.close()
    return Answer(started[0], started[1], body_out)


def delivery(name: str) -> bytes:
    data = {"name": name, "emails": [{"type": "Work", "value": f"{name}@example.com"}]}
    action = {"actionType": "add-contact", "data": data}
    return json.dumps({"senderUser": SENDER, "data": [action]}).encode()


def test_a_delivery_carries_every_security_header_the_whole_chain_gives(
    served: Handler, listener: Listener
) -> None:
    short = call(served, "POST", listener.path, delivery("anna"))
    whole = Client().post(listener.path, delivery("binh"), content_type="application/json")
    assert short.status == whole.status_code == 200
    assert short.json()["results"][0]["status"] == "created"
    for name in SECURITY_HEADERS:
        assert short.headers[name.lower()] == whole.headers[name], name
    # The answer's own id, as through the whole chain.
    assert short.headers["x-request-id"] == short.json()["requestId"]
    # Nothing of the browser's machinery: no cookie, no Vary on one.
    assert "set-cookie" not in short.headers
    assert "cookie" not in short.headers.get("vary", "").lower()


def test_refusals_answer_alike_through_both_chains(served: Handler, listener: Listener) -> None:
    for method, path in (
        ("GET", listener.path),  # 405
        ("POST", "/listener/" + "x" * 43),  # no such listener
    ):
        short = call(served, method, path, delivery("chi"))
        whole = Client().generic(method, path, delivery("chi"), content_type="application/json")
        assert short.status == whole.status_code
        assert short.json()["error"]["code"] == json.loads(whole.content)["error"]["code"]
        for name in SECURITY_HEADERS:
            assert short.headers[name.lower()] == whole.headers[name], (path, name)


def test_a_delivery_with_a_host_not_allowed_is_refused(served: Handler, listener: Listener) -> None:
    answer = call(served, "POST", listener.path, delivery("dung"), host="evil.example")
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "bad_request"
    assert not Listener.objects.get(id=listener.id).deliveries.exists()


def test_a_lost_database_answers_a_delivery_503_with_retry_after(
    served: Handler, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(*args: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(crmdp.listeners.views, "receive", lost)
    monkeypatch.setattr(crmdp.web.outage, "database_answers", lambda: False)
    answer = call(served, "POST", listener.path, delivery("em"))
    assert answer.status == 503
    assert answer.headers["retry-after"] == "30"
    assert answer.json()["error"]["code"] == "unavailable"
    assert "content-security-policy" in answer.headers


def test_pages_still_go_through_the_browser_middleware(served: Handler, db: None) -> None:
    # The login page sets the CSRF cookie (CsrfViewMiddleware) and varies on it.
    answer = call(served, "GET", "/login/")
    assert answer.status == 200
    assert any(
        name.lower() == "set-cookie" and value.strip().startswith("csrftoken=")
        for name, value in answer.header_list
    )
    assert "cookie" in answer.headers["vary"].lower()
    # And a page's POST-only URL opened with GET still goes back (PostOnlyRedirect).
    assert call(served, "GET", "/logout/").status == 302
