"""A listener's IP allowlist behind a real server: headers a client can write do not
change the address it is judged by (no TRUSTED_PROXIES are configured here)."""

from __future__ import annotations

import json

import pytest

from tests.server.live import LiveServer, Tenant


@pytest.mark.server
def test_forwarding_headers_from_an_untrusted_peer_do_not_pass_the_allowlist(
    served: LiveServer, tenant: Tenant
) -> None:
    office = served.crmdp(
        "listener", "create", "--org", "Live Org", "--name", "Office", "--allow-ip", "203.0.113.7"
    )
    body = json.dumps({"senderUser": tenant.owner, "data": []}).encode()
    for header, value in [
        ("X-Forwarded-For", "203.0.113.7"),
        ("X-Forwarded-For", "203.0.113.7, 127.0.0.1"),
        ("Forwarded", "for=203.0.113.7"),
        ("X-Real-IP", "203.0.113.7"),
        ("Client-IP", "203.0.113.7"),
        ("X-Client-IP", "203.0.113.7"),
    ]:
        answer = served.send(office["url"], body, {header: value})
        assert answer.status == 403, (header, answer)
        assert answer.json["error"]["code"] == "ip_not_allowed"
        assert "127.0.0.1" in answer.json["error"]["message"]
