"""`crmdp serve` with TRUSTED_PROXIES set: it starts, and believes those proxies."""

from __future__ import annotations

import pytest

from tests.server.conftest import Deploy
from tests.server.harness import Call

pytestmark = pytest.mark.server


def test_serve_starts_with_trusted_proxies_and_takes_the_forwarded_address(deploy: Deploy):
    # gunicorn refused the list this setting used to be turned into: no server at all.
    env = deploy(TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8")
    site = env.provision()
    client = env.serve(processes=1).client()
    assert client.get("/healthz").status == 200
    body = (
        b'{"senderUser": "%s", "data": [{"actionType": "add-contact", "data": {"name": "P"}}]}'
        % site.owner.encode()
    )
    forwarded = (("X-Forwarded-For", "203.0.113.9"),)
    assert client.send(Call("POST", site.listener_path, body, forwarded)).status == 200
    deliveries = client.get(f"/api/v1/listeners/{site.listener_id}/deliveries", site.owner_token)
    assert deliveries.status == 200, deliveries
    assert deliveries.body["results"][0]["sourceIp"] == "203.0.113.9"
