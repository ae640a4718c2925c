"""Real servers for tests and benchmarks: `crmdp serve` (gunicorn) as a subprocess on
a database of its own, provisioned through the real CLI, spoken to over HTTP.

    with deployment(tmp_dir) as env:            # or deployment(tmp_dir, "postgresql")
        site = env.provision()                  # crmdp org create / listener create --json
        server = env.serve(processes=4)         # ready (GET /healthz) when it returns
        replies = server.client().together([site.call([("add-contact", {...})])] * 16)
        worker = env.spawn("worker")            # any other crmdp process, same database
        worker.kill()                           # SIGKILL (a crash); .stop() is SIGTERM first
        server.kill(); server = env.restart(server)   # crashed, then back on the same port
    # every process stopped, the database dropped

The engine is the test run's (DATABASE_URL) unless named: SQLite is a file in the
deployment's data directory, PostgreSQL a fresh database `crmdp_srv_<random>` on the
run's server (or TEST_DATABASE_URL's, or CRMDP_TEST_POSTGRES_URL's: scripts/test.sh's
embedded server on the SQLite pass; else 127.0.0.1:5432). The pytest-django test
database is never touched. Nothing here skips: an unreachable PostgreSQL fails.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

CRMDP = Path(sys.executable).with_name("crmdp")  # the installed console script
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
ENGINES = (SQLITE, POSTGRESQL)
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
OWNER = "owner@race.example"


def run_engine() -> str:
    """The engine this test run is on (CI runs the suite once per engine)."""
    return POSTGRESQL if _is_postgres(os.environ.get("DATABASE_URL", "")) else SQLITE


def postgres_url() -> str:
    """A PostgreSQL server to create server databases on: the run's own, else
    TEST_DATABASE_URL or CRMDP_TEST_POSTGRES_URL, else the local default."""
    for name in ("DATABASE_URL", "TEST_DATABASE_URL", "CRMDP_TEST_POSTGRES_URL"):
        if _is_postgres(os.environ.get(name, "")):
            return os.environ[name]
    return DEFAULT_POSTGRES_URL


def _is_postgres(url: str) -> bool:
    return url.split(":", 1)[0] in {"postgres", "postgresql", "pgsql"}


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- databases --------------------------------------------------------------------------


@dataclass
class ServerDatabase:
    """The database one or more server processes share. `url` is the DATABASE_URL
    they get (empty for SQLite: the file in their CRMDP_DATA_DIR)."""

    engine: str
    url: str
    name: str
    _admin_url: str = ""

    @classmethod
    def create(cls, engine: str | None = None) -> ServerDatabase:
        engine = engine or run_engine()
        if engine == SQLITE:
            return cls(SQLITE, "", "crmdp.sqlite3")
        if engine != POSTGRESQL:
            raise ValueError(f"unknown engine {engine!r}; one of {ENGINES}")
        base = postgres_url()
        admin = _with_database(base, "postgres")
        name = f"crmdp_srv_{secrets.token_hex(5)}"
        # No try/except: when the run is on PostgreSQL and it cannot be reached, the
        # test fails here (never a skip).
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return cls(POSTGRESQL, _with_database(base, name), name, admin)

    def drop(self) -> None:
        if self.engine != POSTGRESQL:
            return
        with psycopg.connect(self._admin_url, autocommit=True, connect_timeout=10) as conn:
            # FORCE ends connections a killed server may have left behind.
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )

    def __enter__(self) -> ServerDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop()

    def block(self, data_dir: Path) -> None:
        """Make the database unreachable (an outage) until `unblock`. PostgreSQL: no
        new connections and the open ones cut. SQLite: the file cannot be opened,
        which only connections opened afterwards notice."""
        if self.engine == SQLITE:
            path = data_dir / self.name
            path.rename(path.with_suffix(".away"))
            path.mkdir()  # a directory where the file was: every open fails
            return
        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(
                    sql.Identifier(self.name)
                )
            )
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [self.name],
            )

    def unblock(self, data_dir: Path) -> None:
        if self.engine == SQLITE:
            path = data_dir / self.name
            path.rmdir()
            path.with_suffix(".away").rename(path)
            return
        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(
                    sql.Identifier(self.name)
                )
            )

    def sessions(self) -> set[int]:
        """PostgreSQL: the backend pids of the connections open on this database now."""
        assert self.engine == POSTGRESQL
        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.name]
            ).fetchall()
        return {int(row[0]) for row in rows}

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """PostgreSQL: run one statement on this database (for tests that must look
        below the API, e.g. at pg_locks)."""
        assert self.engine == POSTGRESQL
        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(statement, list(params))
            return cursor.fetchall() if cursor.description else []


# -- HTTP -------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    def __repr__(self) -> str:
        return f"<{self.status} {json.dumps(self.body)[:600]}>"


@dataclass(frozen=True)
class Call:
    """One HTTP request, made later (so that many can be released at once)."""

    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


class Client:
    """A small HTTP client for one server: a fresh connection per request."""

    def __init__(self, host: str, port: int, timeout: float = 60) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    def connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        conn.connect()
        return conn

    def send(self, call: Call, conn: http.client.HTTPConnection | None = None) -> Reply:
        conn = conn or self.connect()
        try:
            headers = dict(call.headers)
            if call.body is not None:
                headers.setdefault("Content-Type", "application/json")
            conn.request(call.method, call.path, body=call.body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            return Reply(response.status, body, dict(response.getheaders()))
        finally:
            conn.close()

    def get(self, path: str, token: str | None = None, **query: str) -> Reply:
        headers = (("Authorization", f"Bearer {token}"),) if token else ()
        return self.send(
            Call("GET", path + (f"?{urlencode(query)}" if query else ""), None, headers)
        )

    def customers(self, site: Site, **query: str) -> list[dict[str, Any]]:
        """The read API's search, as the org's owner sees it (every page)."""
        reply = self.get("/api/v1/customers", site.owner_token, **query)
        assert reply.status == 200, reply
        found = list(reply.body["results"])
        while reply.body.get("next"):
            next_url = urlsplit(reply.body["next"])
            path = next_url.path + (f"?{next_url.query}" if next_url.query else "")
            reply = self.send(
                Call("GET", path, None, (("Authorization", f"Bearer {site.owner_token}"),))
            )
            assert reply.status == 200, reply
            found += reply.body["results"]
        return found

    def customer(self, site: Site, code: str) -> dict[str, Any]:
        reply = self.get(f"/api/v1/customers/{code}", site.owner_token)
        assert reply.status == 200, reply
        return dict(reply.body)

    def listener(self, site: Site, actions: Sequence[tuple[str, Any]]) -> Reply:
        return self.send(site.call(actions))

    def together(self, calls: Sequence[Call]) -> list[Reply]:
        """Send `calls` at the same instant, one thread each: every connection is open
        before a barrier releases them all. Replies come back in the order of `calls`;
        a request that could not be made raises here."""
        barrier = threading.Barrier(len(calls))
        replies: list[Reply | None] = [None] * len(calls)
        failures: list[BaseException] = []

        def one(index: int) -> None:
            try:
                conn = self.connect()
                barrier.wait(timeout=30)
                replies[index] = self.send(calls[index], conn)
            except BaseException as exc:  # re-raised in the calling thread below
                failures.append(exc)
                barrier.abort()

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        return [reply for reply in replies if reply is not None]


# -- processes --------------------------------------------------------------------------


@dataclass
class Site:
    """What `provision()` made: an org, its owner's API token, one listener."""

    org_id: int
    owner: str
    owner_token: str
    listener_id: int
    listener_path: str

    def call(self, actions: Sequence[tuple[str, Any]], sender: str | None = None) -> Call:
        body = {
            "senderUser": sender or self.owner,
            "data": [{"actionType": kind, "data": data} for kind, data in actions],
        }
        return Call("POST", self.listener_path, json.dumps(body).encode())


class Process:
    """One `crmdp …` subprocess with its own process group (gunicorn's workers
    included), its output in a log file."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log_path: Path) -> None:
        self.args = list(args)
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.popen = subprocess.Popen(
            [str(CRMDP), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def log(self, last: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-last:]

    def stop(self, grace: float = 30) -> int:
        """SIGTERM (a graceful stop), then SIGKILL to whatever is left of the group."""
        if self.running():
            self.popen.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        self.kill()
        return self.popen.returncode

    def kill(self) -> None:
        """SIGKILL the whole group at once: a crash, as a test of recovery wants it."""
        # Only while the group is known to be ours: the supervisor is alive, or some of
        # its group is (a group id is not reused while it has members).
        if self.running() or group_members(self.popen.pid):
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)
        self._log.close()


class Server(Process):
    """`crmdp serve` on one port."""

    def __init__(
        self, args: Sequence[str], env: dict[str, str], log_path: Path, host: str, port: int
    ) -> None:
        super().__init__(args, env, log_path)
        self.host, self.port = host, port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, timeout: float = 60) -> Client:
        return Client(self.host, self.port, timeout)

    def wait_ready(self, timeout: float = 90) -> None:
        """Until /healthz answers 200; fails with the server's log if it never does."""
        deadline = time.monotonic() + timeout
        client = self.client(timeout=5)
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(
                    f"`crmdp {' '.join(self.args)}` exited with {self.popen.returncode}:\n"
                    + self.log()
                )
            try:
                if client.get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"`crmdp {' '.join(self.args)}` did not answer:\n" + self.log())

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class ServerEnv:
    """Everything the processes of one deployment share: the database, the data
    directory (SQLite file, secret key) and the environment variables."""

    database: ServerDatabase
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            # The test run's own database settings must not leak into the server.
            if key not in {"DATABASE_URL", "CRMDP_TEST_DATABASE_NAME"}
        }
        env.update(
            CRMDP_DATA_DIR=str(self.data_dir),
            DJANGO_SETTINGS_MODULE="crmdp.settings",
            PYTHONUNBUFFERED="1",
            LOG_LEVEL="WARNING",
            # Race and crash tests send far more than a listener's default 600
            # requests a minute; a test of the limit sets its own.
            CRMDP_LISTENER_RATE_LIMIT="0",
            # The tests' SMS gateways listen on loopback.
            CRMDP_OUTBOUND_ALLOW_PRIVATE="1",
        )
        if self.database.url:
            env["DATABASE_URL"] = self.database.url
        env.update(self.extra_env)
        return env

    def cli(self, *args: str, check: bool = True, timeout: float = 120) -> Any:
        """Run `crmdp ARGS` to completion; parsed JSON when `--json` was given."""
        done = subprocess.run(
            [str(CRMDP), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"crmdp {' '.join(args)} → {done.returncode}\n{done.stderr}")
        if "--json" in args:
            return json.loads(done.stdout)
        return done

    def provision(self, org_name: str = "Race Org", owner: str = OWNER) -> Site:
        """Migrate, then an org and a listener through the real CLI."""
        self.cli("migrate", "--verbosity", "0")
        org = self.cli("org", "create", "--name", org_name, "--owner", owner, "--json")
        listener = self.cli(
            "listener", "create", "--org", str(org["id"]), "--name", "Race form", "--json"
        )
        return Site(org["id"], org["owner"], org["apiToken"], listener["id"], listener["url"])

    def spawn(self, *args: str, name: str | None = None) -> Process:
        """Any long-running `crmdp` command (a worker, say) against this database."""
        name = name or f"{args[0]}-{len(self.processes)}"
        process = Process(args, self.env, self.data_dir / f"{name}.log")
        self.processes.append(process)
        return process

    def serve(
        self,
        processes: int | None = 2,
        threads: int | None = 4,
        *extra: str,
        host: str = "127.0.0.1",
        wait: bool = True,
    ) -> Server:
        """`crmdp serve --no-worker --processes N --threads T` on a free port, ready
        when returned; `None` leaves that option to serve's default."""
        shape = [
            part
            for option, value in (("--processes", processes), ("--threads", threads))
            if value is not None
            for part in (option, str(value))
        ]
        for attempt in range(3):
            port = free_port()
            args = [
                "serve",
                "--no-worker",
                "--host",
                host,
                "--port",
                str(port),
                *shape,
                *extra,
            ]
            log_path = self.data_dir / f"serve-{port}.log"
            server = Server(args, self.env, log_path, host, port)
            self.processes.append(server)
            if not wait:
                return server
            try:
                server.wait_ready()
                return server
            except RuntimeError:
                server.stop()
                # Another process may have taken the port between probe and bind.
                if attempt == 2 or "Address already in use" not in server.log():
                    raise
        raise AssertionError("unreachable")

    def restart(self, server: Server, wait: bool = True) -> Server:
        """`server`'s command again, on the same port and log file: what a supervisor
        does after a crash, so that clients retry the address they know."""
        again = Server(server.args, self.env, server.log_path, server.host, server.port)
        self.processes.append(again)
        if wait:
            again.wait_ready()
        return again

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()


@contextmanager
def deployment(data_dir: Path, engine: str | None = None, **extra_env: str) -> Iterator[ServerEnv]:
    """A fresh database and data directory; every process started in it is stopped
    and the database dropped on the way out."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database = ServerDatabase.create(engine)
    env = ServerEnv(database, data_dir, dict(extra_env))
    try:
        yield env
    finally:
        try:
            env.stop_all()
        finally:
            database.drop()


def wait_for(condition: Callable[[], bool], timeout: float = 30, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def _proc_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, the fields after the command name) for every process."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended while we looked
            # The command name (field 2) may hold spaces; the other fields follow ')'.
            yield int(entry.name), stat.rsplit(")", 1)[1].split()


def group_members(group: int) -> list[int]:
    """The live processes of process group `group`."""
    return [pid for pid, fields in _proc_stats() if int(fields[2]) == group and fields[0] != "Z"]


def process_tree(root: int) -> dict[int, list[int]]:
    """{pid: [child pids]} for `root` and everything under it (read from /proc)."""
    parents = {pid: int(fields[1]) for pid, fields in _proc_stats()}
    tree: dict[int, list[int]] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        tree[pid] = sorted(child for child, parent in parents.items() if parent == pid)
        todo += tree[pid]
    return tree
