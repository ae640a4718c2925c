"""One slow gateway cannot stall the outbox (issue 13, point 4): with one worker
process and one org's SMS gateway trickling a byte every 5 s, another org's welcome
emails still go out within seconds, and the trickling send is cut at its total
deadline (CRMDP_SMS_TIMEOUT, 10 s) instead of lasting as long as the gateway likes.
A real `crmdp worker`, a real SMTP server and a real (slow) HTTP gateway."""

from __future__ import annotations

import time

import pytest

from tests.messaging.servers import smtp_server, trickling_gateway
from tests.server.conftest import Deploy
from tests.server.harness import wait_for

pytestmark = pytest.mark.server


def test_a_trickling_gateway_does_not_hold_up_another_orgs_emails(deploy: Deploy):
    with smtp_server() as inbox, trickling_gateway(every=5.0) as gateway:
        env = deploy(
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(inbox.port),
            CRMDP_WORKER_POLL_SECONDS="0.1",
        )
        slow = env.provision("Slow Org", "owner@slow.example")
        other = env.provision("Other Org", "owner@other.example")
        env.cli("sms", "set", "--org", str(slow.org_id), "--provider", "http", "--url", gateway.url)
        welcome = env.cli(
            "listener", "create", "--org", str(other.org_id), "--name", "Shop",
            "--email-subject", "Welcome {{ name }}", "--email-body", "Hello {{ name }}", "--json",
        )  # fmt: skip
        client = env.serve(processes=1).client()
        numbers = [f"+8490500{n:04d}" for n in range(8)]
        reply = client.listener(slow, [("send-sms", {"content": "Sale", "phones": numbers})])
        assert reply.status == 200, reply

        worker = env.spawn("worker", "--name", "only")
        assert wait_for(lambda: len(gateway.arrived) >= 1, timeout=60), worker.log()
        time.sleep(0.5)  # the slow org's sends are under way, trickling

        contacts = [
            ("add-contact", {"name": f"Guest {n}", "emails": [{"value": f"g{n}@example.com"}]})
            for n in range(5)
        ]
        other_site = type(other)(
            other.org_id, other.owner, other.owner_token, welcome["id"], welcome["url"]
        )
        started = time.monotonic()
        reply = client.listener(other_site, contacts)
        assert reply.status == 200, reply
        assert wait_for(lambda: len(inbox.messages) >= 5, timeout=60), worker.log()
        emails_after = time.monotonic() - started

        assert wait_for(lambda: len(gateway.cut_after) >= 1, timeout=60)
        cut_after = min(gateway.cut_after)
        assert worker.stop() == 0

    print(
        f"\noutbox isolation: the other org's 5 emails out {emails_after:.1f} s after they "
        f"were posted while the slow org's gateway trickled; trickling send cut at "
        f"{cut_after:.1f} s (CRMDP_SMS_TIMEOUT 10 s)"
    )
    assert sorted(m["To"] for m in inbox.messages) == [f"g{n}@example.com" for n in range(5)]
    assert emails_after < 5
    assert 9.5 <= cut_after <= 13
