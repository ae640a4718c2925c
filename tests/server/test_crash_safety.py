"""Crash safety (issue 8): clients post add-contacts with retries (the same
Idempotency-Key and body each time) while the web server and the outbox worker are
killed with SIGKILL, at random moments, again and again, and restarted. Afterwards
every request is present exactly once, what was answered 2xx is whole, each new
customer got one welcome email and one welcome SMS, and the SQLite file is intact.

The default is the short variant CI runs (3 crash rounds per engine). The long one:

    CRMDP_CRASH_ROUNDS=10 CRMDP_CRASH_REQUESTS=2000 CRMDP_DATA_DIR=$PWD/.test-data \\
        .venv/bin/pytest -p no:cacheprovider -s tests/server/test_crash_safety.py

(`-s` shows the figures; docs/security.md lists the knobs.)
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import random
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from tests.messaging.servers import Gateway, sms_gateway, smtp_server
from tests.server.conftest import Deploy
from tests.server.harness import (
    ENGINES,
    SQLITE,
    Call,
    Client,
    Process,
    Reply,
    Server,
    ServerEnv,
    Site,
    wait_for,
)

pytestmark = pytest.mark.server

ROUNDS = int(os.environ.get("CRMDP_CRASH_ROUNDS", "3"))
# The load goes on until the last crash round is over, and is at least this many
# requests.
REQUESTS = int(os.environ.get("CRMDP_CRASH_REQUESTS", "200"))
CLIENTS = int(os.environ.get("CRMDP_CRASH_CLIENTS", "4"))
# How long one request may take, retries included, before the test gives up on it.
REQUEST_DEADLINE = 120.0
LISTENER = "Crash form"
SMS_TEXT = "Hi {{ name }}, welcome"
ATTEMPTS = re.compile(r" \(\d+ attempts?\)(?=\.$)")


# -- the load ---------------------------------------------------------------------------


@dataclass
class Request:
    """One add-contact of one client, retried until it is answered 2xx."""

    number: int
    name: str
    email: str
    phone: str
    call: Call
    statuses: list[int] = field(default_factory=list)  # every answer, 2xx last
    refused: int = 0  # attempts while the server was down
    cut: int = 0  # attempts the crash cut off (reset, or no complete answer)
    answer: Reply | None = None  # the 2xx

    @property
    def customer_id(self) -> str:
        assert self.answer is not None
        return str(self.answer.body["results"][0]["record"]["customerId"])


def new_request(site: Site, client: int, number: int) -> Request:
    name = f"Crash {client}-{number}"
    email = f"crash-{client}-{number}@crash.example"
    phone = f"+8491{client:02d}{number:05d}"  # a Vietnamese mobile number, E.164
    data = {
        "name": name,
        "emails": [{"value": email}],
        "phones": [{"value": phone}],
        "tag": "crash-test",
    }
    call = site.call([("add-contact", data)])
    return Request(
        number, name, email, phone, replace(call, headers=(("Idempotency-Key", f"k-{email}"),))
    )


@dataclass
class Load:
    """CLIENTS threads, each sending its own requests one after another, until the
    crashes are over and at least REQUESTS were sent in all."""

    site: Site
    client: Client
    crashes_over: threading.Event
    stop: threading.Event = field(default_factory=threading.Event)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self) -> int:
        with self.lock:
            return sum(request.answer is not None for request in self.requests)

    def run_client(self, number: int) -> None:
        for count in itertools.count():
            if self.stop.is_set():
                return
            if self.crashes_over.is_set() and count * CLIENTS >= REQUESTS:
                return
            request = new_request(self.site, number, count)
            with self.lock:
                self.requests.append(request)
            self.send_until_answered(request)

    def send_until_answered(self, request: Request) -> None:
        """What a careful sender does: the same key and body again after a cut
        connection, a 5xx or a 409, until a 2xx (or another 4xx, which is a bug)."""
        deadline = time.monotonic() + REQUEST_DEADLINE
        while time.monotonic() < deadline and not self.stop.is_set():
            try:
                reply = self.client.send(request.call)
            except ConnectionRefusedError:
                request.refused += 1
                time.sleep(0.05)
                continue
            except (OSError, http.client.HTTPException):
                request.cut += 1
                time.sleep(0.05)
                continue
            request.statuses.append(reply.status)
            if 200 <= reply.status < 300:
                with self.lock:
                    request.answer = reply
                return
            if reply.status != 409 and reply.status < 500:
                return
            time.sleep(0.05)


# -- the crashes ------------------------------------------------------------------------


@dataclass
class Crashes:
    """Kills web and worker with SIGKILL at random moments, checks the SQLite file
    while both are down, and starts them again (the web on the same port)."""

    env: ServerEnv
    server: Server
    worker: Process
    load: Load | None = None
    rounds_done: int = 0
    acknowledged_before: list[int] = field(default_factory=list)
    integrity: list[list[str]] = field(default_factory=list)
    over: threading.Event = field(default_factory=threading.Event)

    def run(self, rounds: int) -> None:
        load = self.load
        assert load is not None
        try:
            for number in range(rounds):
                # Wait for the load to be well under way again, then a random moment.
                since = load.acknowledged()
                assert wait_for(lambda n=since + 10: load.acknowledged() >= n, timeout=60)
                time.sleep(random.uniform(0.2, 1.5))
                self.acknowledged_before.append(load.acknowledged())
                victims: list[Process] = [self.server, self.worker]
                random.shuffle(victims)
                victims[0].kill()
                time.sleep(random.uniform(0, 0.2))
                victims[1].kill()
                if self.env.database.engine == SQLITE:
                    self.integrity.append(sqlite_integrity(self.env))
                self.worker = start_worker(self.env, number + 1)
                self.server = self.env.restart(self.server)
                self.rounds_done += 1
        finally:
            self.over.set()


# Sending threads of each worker: each may have one message in hand when killed.
WORKER_THREADS = 2


def start_worker(env: ServerEnv, number: int) -> Process:
    return env.spawn("worker", "--name", f"crash-{number}", name=f"worker-{number}")


def sqlite_integrity(env: ServerEnv) -> list[str]:
    """PRAGMA integrity_check and foreign_key_check on the file, opened read-only."""
    path = env.data_dir / env.database.name
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        checked = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        broken = [repr(row) for row in conn.execute("PRAGMA foreign_key_check")]
    return checked + broken


# -- reading the outcome ----------------------------------------------------------------


def every_page(client: Client, site: Site, path: str) -> Iterator[dict[str, Any]]:
    """Every item of a read API list, as the org's owner sees it."""
    next_path: str | None = f"{path}?limit=200"
    while next_path:
        reply = client.get(next_path, token=site.owner_token)
        assert reply.status == 200, reply
        yield from reply.body["results"]
        next_path = reply.body["next"]
        if next_path:
            next_path = next_path[next_path.index("/api/") :]


def repeats(keys: list[str]) -> int:
    """How many deliveries repeated a key already delivered."""
    return sum(count - 1 for count in Counter(keys).values())


# -- the test ---------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_killed_web_and_worker_lose_no_answered_request_and_send_no_message_twice(
    deploy: Deploy, engine: str
):
    started = time.monotonic()
    with sms_gateway(200) as gateway, smtp_server() as inbox:
        env = deploy(
            engine,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(inbox.port),  # type: ignore[attr-defined]
            # A message leased by a killed worker is taken again once its lease ends:
            # the send's deadline (2 s here) and a margin.
            CRMDP_WORKER_LEASE_SECONDS="2",
            CRMDP_SMS_TIMEOUT="2",
            CRMDP_EMAIL_TIMEOUT="2",
            CRMDP_WORKER_THREADS=str(WORKER_THREADS),
            CRMDP_WORKER_POLL_SECONDS="0.1",
            CRMDP_RETRY_BASE_SECONDS="0.5",
        )
        site = provision(env, gateway)
        server = env.serve(2, 4, "--no-migrate")
        crashes = Crashes(env, server, start_worker(env, 0))
        load = Load(site, server.client(timeout=30), crashes.over)
        crashes.load = load
        failures: list[BaseException] = []

        def guarded(target: Any, *args: Any) -> None:
            try:
                target(*args)
            except BaseException as exc:  # re-raised in the test's thread below
                failures.append(exc)
                load.stop.set()

        threads = [threading.Thread(target=guarded, args=(crashes.run, ROUNDS))]
        threads += [
            threading.Thread(target=guarded, args=(load.run_client, n)) for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        requests = load.requests
        customers_made = len(requests)

        # Everything the outbox holds is sent by the last worker and recorded as sent,
        # then nothing more arrives (a repeat would come now). Reaching the gateway and
        # the inbox is not enough: a message a killed worker delivered but did not
        # record is sent again, and recorded, only once its lease has run out.
        def drained() -> bool:
            if len(gateway.delivered) < customers_made or (
                len({m["Message-ID"] for m in inbox.messages}) < customers_made
            ):
                return False
            listed = every_page(crashes.server.client(), site, "/api/v1/messages")
            statuses = [message["status"] for message in listed]
            return len(statuses) == 2 * customers_made and set(statuses) == {"sent"}

        load_over = time.monotonic()
        # A long run leaves thousands of messages for the last worker.
        assert wait_for(drained, timeout=max(120, customers_made / 20), every=0.5), (
            len(gateway.delivered),
            len(inbox.messages),
            customers_made,
        )
        drain_seconds = time.monotonic() - load_over
        time.sleep(1)
        assert crashes.worker.stop() == 0, crashes.worker.log()
        client = crashes.server.client()
        customers = list(every_page(client, site, "/api/v1/customers"))
        messages = list(every_page(client, site, "/api/v1/messages"))
        deliveries = list(
            every_page(client, site, f"/api/v1/listeners/{site.listener_id}/deliveries")
        )
        crashes.server.stop()
        if engine == SQLITE:
            crashes.integrity.append(sqlite_integrity(env))
        else:
            # No backend of a killed process lingers, holding locks and a connection.
            assert wait_for(lambda: env.database.sessions() == set(), timeout=30)
        web_log = crashes.server.log_path.read_text(errors="replace")

    # Every request was answered 2xx in the end, the first time it was processed or
    # as the stored first answer to a retry; no request was refused.
    unanswered = [(r.email, r.statuses, r.cut) for r in requests if r.answer is None]
    assert unanswered == []
    assert {r.answer.body["results"][0]["status"] for r in requests if r.answer} == {"created"}
    statuses = Counter(status for request in requests for status in request.statuses)
    assert set(statuses) <= {200, 409}, statuses  # no 5xx: a crash is a cut connection
    replayed = sum(
        request.answer.headers.get("Idempotent-Replayed") == "true"
        for request in requests
        if request.answer
    )

    # Each request is one customer, whole, with the code its answer named.
    by_email: dict[str, list[dict[str, Any]]] = {}
    for customer in customers:
        for entry in customer["emails"]:
            by_email.setdefault(entry["value"], []).append(customer)
    lost = [r.email for r in requests if r.email not in by_email]
    doubled = [r.email for r in requests if len(by_email.get(r.email, [])) > 1]
    assert lost == [] and doubled == []
    assert len(customers) == len(requests)
    # The delivery log, written in each request's transaction, shows each request
    # processed once: by the run whose answer the client holds (a replay is logged
    # as an answer given, with nothing processed).
    processed = Counter(d["requestId"] for d in deliveries if d["outcomes"])
    assert processed == Counter(r.answer.body["requestId"] for r in requests if r.answer)
    assert {d["status"] for d in deliveries} <= {200, 409}
    messages_of = {(m["customer"]["customerId"], m["channel"]): m for m in messages}
    for request in requests:
        (customer,) = by_email[request.email]
        assert customer["customerId"] == request.customer_id
        assert customer["name"] == request.name
        assert [p["e164"] for p in customer["phones"]] == [request.phone]
        assert customer["tags"] == ["crash-test"]
        # Its creation and each message's sending, once each (a request processed
        # twice would have added a "matched" line; attempts vary with the crashes).
        lines = sorted(ATTEMPTS.sub("", line["text"]) for line in customer["history"])
        assert lines == [
            f"Created by listener “{LISTENER}” (sender {site.owner}).",
            f"Welcome SMS sent to {request.phone}.",
            f"Welcome email sent to {request.email}.",
        ], lines
        for channel, to in (("sms", request.phone), ("email", request.email)):
            message = messages_of[(request.customer_id, channel)]
            assert (message["to"], message["status"]) == (to, "sent"), message

    # One email and one SMS per customer, each delivered; a delivery repeated with
    # the same key only where a killed worker had it in hand.
    assert len(messages) == 2 * len(requests)
    sms_keys = {f"crmdp-msg-{m['id']}" for m in messages if m["channel"] == "sms"}
    email_ids = {m["providerMessageId"] for m in messages if m["channel"] == "email"}
    assert set(gateway.delivered) == sms_keys
    assert {message["Message-ID"] for message in inbox.messages} == email_ids
    phones_reached = Counter(body["to"] for body in gateway.delivered.values())
    mailboxes_reached = Counter(
        message["To"] for message in {m["Message-ID"]: m for m in inbox.messages}.values()
    )
    sent_twice = sum(n > 1 for n in phones_reached.values()) + sum(
        n > 1 for n in mailboxes_reached.values()
    )
    assert sent_twice == 0
    repeated_sms = repeats([str(r["body"]["idempotencyKey"]) for r in gateway.requests])
    repeated_email = repeats([str(message["Message-ID"]) for message in inbox.messages])
    # A worker records each message as soon as it is sent, so a killed worker can
    # have at most the ones in hand (one per sending thread) sent and not recorded.
    assert repeated_sms + repeated_email <= crashes.rounds_done * WORKER_THREADS

    # The SQLite file is sound while web and worker lie dead after each crash, and
    # at the end.
    for checked in crashes.integrity:
        assert checked == ["ok"], checked
    assert "Traceback" not in web_log, web_log[-4000:]

    print(
        f"\ncrash safety on {engine}: {len(requests)} requests from {CLIENTS} clients, "
        f"{crashes.rounds_done} crash rounds (web and worker SIGKILLed), "
        f"2xx before each crash {crashes.acknowledged_before}, "
        f"retries: {sum(r.cut for r in requests)} cut off by a crash, "
        f"{sum(r.refused for r in requests)} refused while down, {statuses[409]} answered 409, "
        f"{replayed} answered by replay; records lost {len(lost)}, duplicated {len(doubled)}; "
        f"messages {len(messages)} (outbox drained {drain_seconds:.0f} s after the load), "
        f"sent twice {sent_twice} "
        f"(redelivered with the same key after a worker crash: {repeated_sms} SMS, "
        f"{repeated_email} emails); "
        + (
            f"integrity_check ok after each crash and at the end ({len(crashes.integrity)})"
            if engine == SQLITE
            else "no PostgreSQL session left behind"
        )
        + f"; {time.monotonic() - started:.0f} s"
    )


def provision(env: ServerEnv, gateway: Gateway) -> Site:
    """An org whose new contacts get a welcome email and a welcome SMS (through the
    test's gateway, with no daily cap in the way), and a listener that sends them."""
    env.cli("migrate", "--verbosity", "0")
    org = env.cli(
        "org", "create", "--name", "Crash Org", "--owner", "owner@crash.example", "--json"
    )
    env.cli(
        "sms", "set", "--org", str(org["id"]), "--provider", "http", "--url", gateway.url,
        "--daily-cap", "1000000", "--json",
    )  # fmt: skip
    listener = env.cli(
        "listener", "create", "--org", str(org["id"]), "--name", LISTENER,
        "--email-subject", "Welcome {{ name }}", "--email-body", "Hello {{ name }}",
        "--sms-text", SMS_TEXT, "--json",
    )  # fmt: skip
    return Site(org["id"], org["owner"], org["apiToken"], listener["id"], listener["url"])
