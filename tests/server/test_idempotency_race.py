"""The same Idempotency-Key arriving twice at the same moment, at a real server on
the test run's engine (SQLite: one process, threads; PostgreSQL: several
processes): one request is processed, the other gets its stored answer or 409."""

from __future__ import annotations

import json
import threading
from urllib.parse import quote

import pytest

from tests.server.live import Answer, LiveServer, Tenant

ROUNDS = 8


def race(served: LiveServer, path: str, body: bytes, key: str) -> list[Answer]:
    start = threading.Barrier(2)
    answers: list[Answer] = []

    def send() -> None:
        start.wait()
        answers.append(served.send(path, body, {"Idempotency-Key": key}))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.server
def test_two_requests_with_one_key_at_once_create_one_customer(
    served: LiveServer, tenant: Tenant
) -> None:
    for round_ in range(ROUNDS):
        name = f"Race {round_} {tenant.listener_token[:6]}"
        # Only a name: nothing to match on, so without the key each request would
        # create a contact of its own.
        body = json.dumps(
            {
                "senderUser": tenant.owner,
                "data": [{"actionType": "add-contact", "data": {"name": name}}],
            }
        ).encode()
        answers = race(served, tenant.listener_path, body, f"race-{round_}")
        assert len(answers) == 2
        first, second = sorted(answers, key=lambda a: "idempotent-replayed" in a.headers)
        assert first.status == 200, first
        assert "idempotent-replayed" not in first.headers
        assert first.json["results"][0]["status"] == "created"
        if second.status == 409:
            assert second.json["error"]["code"] == "idempotency_conflict"
        else:
            assert second.status == 200, second
            assert second.headers["idempotent-replayed"] == "true"
            assert second.json == first.json
        found = served.request(
            "GET",
            f"/api/v1/customers?q={quote(name)}",
            headers={"Authorization": f"Bearer {tenant.api_token}"},
        )
        assert [c["name"] for c in found.json["results"]] == [name], found


@pytest.mark.server
def test_without_a_key_the_same_body_twice_creates_two_contacts(
    served: LiveServer, tenant: Tenant
) -> None:
    # So one contact above is the key's doing, not matching's.
    name = f"No key {tenant.listener_token[:6]}"
    body = json.dumps(
        {
            "senderUser": tenant.owner,
            "data": [{"actionType": "add-contact", "data": {"name": name}}],
        }
    ).encode()
    for answer in race(served, tenant.listener_path, body, ""):
        assert answer.status == 200, answer
    found = served.request(
        "GET",
        f"/api/v1/customers?q={quote(name)}",
        headers={"Authorization": f"Bearer {tenant.api_token}"},
    )
    assert len(found.json["results"]) == 2
