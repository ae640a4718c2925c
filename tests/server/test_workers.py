"""Outbox workers as real processes against one database (SPEC §6): several drain
the outbox without sending anything twice, and a worker killed mid-send leaves its
message to another."""

from __future__ import annotations

import time

import pytest

from tests.messaging.servers import sms_gateway
from tests.server.conftest import Deploy
from tests.server.harness import Client, Site, wait_for

pytestmark = pytest.mark.server


def _messages(client: Client, site: Site) -> list[dict]:
    found: list[dict] = []
    path: str | None = "/api/v1/messages?limit=200"
    while path:
        reply = client.get(path, token=site.owner_token)
        assert reply.status == 200, reply
        found += reply.body["results"]
        path = reply.body["next"]
        if path:
            path = path[path.index("/api/") :]
    return found


def test_three_workers_send_300_queued_messages_each_exactly_once(deploy: Deploy):
    with sms_gateway(200) as gateway:
        env = deploy(CRMDP_WORKER_POLL_SECONDS="0.05")
        site = env.provision()
        env.cli("sms", "set", "--org", str(site.org_id), "--provider", "http", "--url", gateway.url)
        client = env.serve(processes=1).client()
        numbers = [f"+8490{n:07d}" for n in range(300)]
        reply = client.listener(site, [("send-sms", {"content": "Sale", "phones": numbers})])
        assert reply.status == 200, reply
        assert len(reply.body["results"][0]["messageIds"]) == 300

        workers = [env.spawn("worker", "--name", f"w{i}", "--batch", "5") for i in range(3)]
        assert wait_for(lambda: len(gateway.requests) >= 300, timeout=90)
        time.sleep(1)  # anything sent twice would arrive now
        for worker in workers:
            assert worker.stop() == 0

    keys = [request["body"]["idempotencyKey"] for request in gateway.requests]
    assert len(keys) == 300 and len(set(keys)) == 300  # each sent once, none twice
    messages = _messages(client, site)
    assert {(m["status"], m["attempts"]) for m in messages} == {("sent", 1)}
    assert len(messages) == 300


def test_a_worker_killed_mid_send_leaves_its_message_to_another_worker(deploy: Deploy):
    with sms_gateway(200, delay=4.0) as gateway:
        # A send's lease covers its whole deadline (6 s here), so the killed worker's
        # message is free again a few seconds after that.
        env = deploy(
            CRMDP_WORKER_LEASE_SECONDS="2", CRMDP_WORKER_POLL_SECONDS="0.1", CRMDP_SMS_TIMEOUT="6"
        )
        site = env.provision()
        env.cli("sms", "set", "--org", str(site.org_id), "--provider", "http", "--url", gateway.url)
        client = env.serve(processes=1).client()
        reply = client.listener(site, [("send-sms", {"content": "Hi", "phones": ["0905000001"]})])
        assert reply.status == 200, reply

        first = env.spawn("worker", "--name", "first")
        assert wait_for(lambda: len(gateway.requests) == 1, timeout=30)  # mid-send now
        first.kill()  # SIGKILL: no chance to record anything
        gateway.delay = 0.0

        second = env.spawn("worker", "--name", "second")
        assert wait_for(lambda: _messages(client, site)[0]["status"] == "sent", timeout=30)
        status = second.stop()
        assert status == 0, second.log()

    (message,) = _messages(client, site)
    assert (message["status"], message["attempts"]) == ("sent", 2)
    # Both attempts reached the gateway with the same idempotency key, so a gateway
    # that honours it delivered the SMS once.
    keys = {request["body"]["idempotencyKey"] for request in gateway.requests}
    assert keys == {f"crmdp-msg-{message['id']}"}
    assert len(gateway.requests) == 2
    assert len(gateway.delivered) == 1


def test_two_workers_and_a_slow_gateway_never_send_a_message_twice(deploy: Deploy):
    # Each send takes 4 s, twice the lease a claim gives: without renewing the lease
    # per message for the whole send, the other worker would take the message over
    # mid-send and send it again.
    with sms_gateway(200, delay=4.0) as gateway:
        env = deploy(
            CRMDP_WORKER_LEASE_SECONDS="2", CRMDP_WORKER_POLL_SECONDS="0.05", CRMDP_SMS_TIMEOUT="8"
        )
        site = env.provision()
        env.cli("sms", "set", "--org", str(site.org_id), "--provider", "http", "--url", gateway.url)
        client = env.serve(processes=1).client()
        numbers = [f"+8490600{n:04d}" for n in range(6)]
        reply = client.listener(site, [("send-sms", {"content": "Hi", "phones": numbers})])
        assert reply.status == 200, reply

        workers = [env.spawn("worker", "--name", f"w{i}", "--batch", "10") for i in range(2)]
        assert wait_for(
            lambda: {m["status"] for m in _messages(client, site)} == {"sent"}, timeout=90
        )
        time.sleep(5)  # a second send of any message would have arrived by now
        for worker in workers:
            assert worker.stop() == 0, worker.log()

    keys = [request["body"]["idempotencyKey"] for request in gateway.requests]
    assert len(keys) == 6 and len(set(keys)) == 6  # each sent once, none twice
    assert {(m["status"], m["attempts"]) for m in _messages(client, site)} == {("sent", 1)}
