"""A real `crmdp serve` (gunicorn and the outbox worker) for tests that must see what
a client sees: gunicorn's own answers, log output, concurrent requests.

Each server has its own database on the engine the test run uses: an SQLite file
in its data directory, or a fresh PostgreSQL database next to the test database
(dropped afterwards). It is provisioned through the `crmdp` command line, as an
operator would do it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<{self.status} in {self.seconds:.3f} s: {self.body[:300]!r}>"


def _postgres_admin_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path="/postgres", query=""))


@dataclass
class LiveServer:
    """`crmdp serve` on a free port; `stop()` ends it and removes its database."""

    root: Path
    access_log: bool = True
    worker: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    postgres_database: str | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "serve.log"

    def log_text(self) -> str:
        """Everything the server, gunicorn and the worker wrote (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    def start(self) -> LiveServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = {
            **os.environ,
            "CRMDP_DATA_DIR": str(self.root / "data"),
            "DEBUG": "",
            "PYTHONUNBUFFERED": "1",  # the log file is read while the server runs
            "CRMDP_OUTBOUND_ALLOW_PRIVATE": "1",  # the tests' SMS gateways are on loopback
            # The shared server's listeners take every test's requests: no default limit.
            "CRMDP_LISTENER_RATE_LIMIT": "0",
        }
        test_database = os.environ.get("DATABASE_URL", "")
        if test_database.startswith(("postgres://", "postgresql://")):
            self.postgres_database = f"crmdp_live_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(_postgres_admin_url(test_database), autocommit=True) as admin:
                admin.execute(f'create database "{self.postgres_database}"')
            parts = urlsplit(test_database)
            env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{self.postgres_database}"))
        else:
            env.pop("DATABASE_URL", None)  # an SQLite file in its own data directory
        env.update(self.extra_env)
        self.env = env
        # `serve` migrates before it listens, so a server that answers has its tables.
        command = [sys.executable, "-m", "crmdp", "serve", "--port", str(self.port)]
        if self.access_log:
            command.append("--access-log")
        if not self.worker:
            command.append("--no-worker")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"crmdp serve stopped:\n{self.log_text()}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"crmdp serve did not listen:\n{self.log_text()}") from None
                time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.postgres_database:
            admin_url = _postgres_admin_url(os.environ["DATABASE_URL"])
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'drop database if exists "{self.postgres_database}" with (force)')
            self.postgres_database = None

    def sql(self, statement: str) -> None:
        """Run one statement on the server's database, behind its back."""
        if self.postgres_database:
            with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
                conn.execute(statement)  # type: ignore[arg-type]
            return
        with contextlib.closing(sqlite3.connect(self.root / "data" / "crmdp.sqlite3")) as conn:
            conn.execute(statement)
            conn.commit()

    def crmdp(self, *args: str, json_output: bool = True) -> Any:
        """Run the operator's command line against this server's database."""
        command = [sys.executable, "-m", "crmdp", *args]
        if json_output:
            command.append("--json")
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return json.loads(done.stdout) if json_output else done.stdout

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Answer:
        """One request on a fresh connection; the answer and how long it took."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        return Answer(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            content,
            time.monotonic() - started,
        )

    def send(
        self, path: str, body: bytes, headers: dict[str, str] | None = None, timeout: float = 10
    ) -> Answer:
        """POST `body` with these headers exactly (no HTTP client in between): the body
        goes out from another thread while the answer is read, so a server that
        answers before reading everything (413) is heard, not met with a broken pipe."""
        given = {name.lower() for name in headers or {}}
        lines = [f"POST {path} HTTP/1.1", "Connection: close"]
        if "host" not in given:
            lines.append(f"Host: 127.0.0.1:{self.port}")
        if "content-length" not in given and "transfer-encoding" not in given:
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        started = time.monotonic()
        conn = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            conn.sendall(head)
            sender = threading.Thread(target=_send_quietly, args=(conn, body), daemon=True)
            sender.start()
            response = http.client.HTTPResponse(conn, method="POST")
            response.begin()
            try:
                content = response.read()
            except (ConnectionResetError, http.client.IncompleteRead) as cut:
                content = getattr(cut, "partial", b"")
            seconds = time.monotonic() - started
            headers_seen = {name.lower(): value for name, value in response.getheaders()}
        finally:
            conn.close()
        return Answer(response.status, headers_seen, content, seconds)

    def raw(self, data: bytes, timeout: float = 10) -> tuple[bytes, float]:
        """Send bytes as they are (no HTTP client in between); the answer's head (and
        whatever body came with it), and when its first byte arrived."""
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
            conn.sendall(data)
            received = conn.recv(65536)
            seconds = time.monotonic() - started
            # The server may keep the connection open (waiting for a body it will not
            # read): take what arrives in a moment, then stop.
            conn.settimeout(0.3)
            with contextlib.suppress(TimeoutError, ConnectionResetError):
                while chunk := conn.recv(65536):
                    received += chunk
        return received, seconds


def _send_quietly(conn: socket.socket, body: bytes) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(body)


@dataclass
class Tenant:
    """One org on a live server: its owner's API token and a listener."""

    org_id: int
    owner: str
    api_token: str
    listener_id: int
    listener_token: str
    records: list[dict[str, Any]] = field(default_factory=list)  # what the samples made

    @property
    def listener_path(self) -> str:
        return f"/listener/{self.listener_token}"


SAMPLES = Path(__file__).resolve().parents[2] / "crmdp" / "listeners" / "samples"
# One process sets up both orgs (each `crmdp` command would start Django again).
_SET_UP = """
import json
from crmdp.orgs.tokens import issue_token
from crmdp.listeners.services import ListenerSettings, listener_create
from crmdp.orgs.services import org_create
from crmdp.web.management.commands.demo import OWNER, demo_listener

def described(listener, owner):
    membership = listener.org.memberships.get(user__email=owner)
    return {"org_id": listener.org_id, "owner": owner, "api_token": issue_token(membership),
            "listener_id": listener.id, "listener_token": listener.token}

org, _ = org_create(name="Live Org", owner_email="owner@live.example")
plain = listener_create(org=org, settings=ListenerSettings(name="Live Org form"))
print(json.dumps({"demo": described(demo_listener(), OWNER),
                  "plain": described(plain, "owner@live.example")}))
"""


def tenants(server: LiveServer) -> tuple[Tenant, Tenant]:
    """A plain org with a listener, and the demo org (the guide's users, stages and
    fields, as `crmdp demo` makes it) with every sample request of the guide posted
    to its listener, so that reads find real records."""
    printed = server.crmdp("shell", "--verbosity", "0", "-c", _SET_UP, json_output=False)
    made = json.loads(printed)
    plain, demo = Tenant(**made["plain"]), Tenant(**made["demo"])
    for sample in sorted(SAMPLES.glob("*.json")):
        if sample.name.startswith("broken"):
            continue
        answer = server.request("POST", demo.listener_path, sample.read_bytes())
        assert answer.status == 200, (sample.name, answer)
        demo.records += [r["record"] for r in answer.json["results"] if r["record"]]
    return plain, demo
