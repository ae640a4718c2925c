"""A listener's token is its only credential: requests of every kind go through a
real `crmdp serve --access-log`, and nothing the server, gunicorn or the outbox
worker writes may contain the token."""

from __future__ import annotations

import json
import secrets
import time

import pytest

from tests.server.live import LiveServer, Tenant


def wait_for(served: LiveServer, text: str, count: int = 1) -> str:
    deadline = time.monotonic() + 10
    while True:
        log = served.log_text()
        if log.count(text) >= count or time.monotonic() > deadline:
            return log
        time.sleep(0.1)


@pytest.mark.server
def test_no_listener_token_is_ever_written_to_the_logs(served: LiveServer, tenant: Tenant) -> None:
    token = tenant.listener_token
    unknown = secrets.token_urlsafe(24)  # 192 bits, as a real token
    path = tenant.listener_path
    valid = json.dumps(
        {"senderUser": tenant.owner, "data": [{"actionType": "add-contact", "data": {"name": "L"}}]}
    ).encode()
    before = served.log_text().count("[redacted]")
    answers = {
        "good": served.send(path, valid),
        "unknown token": served.send(f"/listener/{unknown}", valid),
        "bad body": served.send(path, b"{not json"),
        "unknown sender": served.send(path, valid.replace(tenant.owner.encode(), b"x@y.z")),
        "too large": served.send(path, b"{}", {"Content-Length": str(10**9)}),
        "GET": served.request("GET", path),
        "a path under the token": served.request("POST", f"{path}/more", valid),
        "NUL after the token": served.request("POST", f"{path}%00", valid),
        "percent-encoded slash": served.request("POST", f"/listener%2F{token}", valid),
        "percent-encoded letter": served.request("POST", f"/%6Cistener/{token}", valid),
        "in the query string": served.request("POST", f"{path}?next=/listener/{unknown}", valid),
        "bad Host": served.send(path, valid, {"Host": "evil.example"}),
        "as the referer": served.request("GET", "/login/", headers={"Referer": f"http://x{path}"}),
    }
    assert answers["good"].status == 200
    assert answers["unknown token"].status == 404
    assert answers["bad body"].status == 400
    assert answers["too large"].status == 413
    assert answers["bad Host"].status == 400
    # gunicorn refuses these itself, quoting the request line in its error log.
    for line in (f"POST {path} HTTP/1.1 junk", f"POST {path}\x01 HTTP/1.1", f"GET {path} HTTP/9"):
        reply, _ = served.raw(f"{line}\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert reply.startswith(b"HTTP/1.1 4"), reply[:100]
    # A 500: the delivery log's table is gone while a request is processed.
    served.sql("alter table listeners_delivery rename to listeners_delivery_away")
    try:
        failed = served.send(path, valid)
    finally:
        served.sql("alter table listeners_delivery_away rename to listeners_delivery")
    assert failed.status == 500, failed
    assert failed.json["error"]["code"] == "internal_error"

    log = wait_for(served, "Internal Server Error")
    log = wait_for(served, "[redacted]", before + len(answers) + 3)
    assert "Internal Server Error: /listener/[redacted]" in log  # Django's 5xx line ran
    assert "Invalid request from ip=127.0.0.1" in log  # gunicorn's refusals ran
    assert log.count("[redacted]") >= before + len(answers)  # the access log ran
    assert token not in log
    assert unknown not in log
