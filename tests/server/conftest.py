"""Fixtures that start real `crmdp serve` processes (see harness.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.server.harness import (
    POSTGRESQL,
    SQLITE,
    Client,
    Server,
    ServerEnv,
    Site,
    deployment,
    run_engine,
)
from tests.server.live import LiveServer, Tenant, tenants

# Web processes per engine for the race tests: on PostgreSQL writers really run side
# by side; on SQLite several processes share one file and its single write lock.
RACE_PROCESSES = {POSTGRESQL: 4, SQLITE: 2}


@dataclass
class External:
    """A deployment started by hand (docs/operations.md), named in a JSON file by
    CRMDP_RACE_TARGET: {"url": "http://host:port", "listener": "/listener/…",
    "token": "<owner's API token>", "org": <org id>, "owner": "<owner's email>"}.
    Its logs are not ours to read."""

    host: str
    port: int
    log_path: Path | None = None

    def client(self, timeout: float = 60) -> Client:
        return Client(self.host, self.port, timeout)


@dataclass
class Running:
    """A provisioned deployment with one server answering."""

    env: ServerEnv
    server: Server | External
    site: Site

    @property
    def engine(self) -> str:
        return self.env.database.engine

    def client(self, timeout: float = 60) -> Client:
        return self.server.client(timeout)


Deploy = Callable[..., ServerEnv]


@pytest.fixture
def deploy(tmp_path: Path) -> Iterator[Deploy]:
    """`deploy(engine=None, **env)`: a fresh database (the run's engine unless named)
    and data directory; its processes are stopped and its database dropped after the
    test."""
    with ExitStack() as stack:
        count = 0

        def make(engine: str | None = None, **extra_env: str) -> ServerEnv:
            nonlocal count
            count += 1
            return stack.enter_context(
                deployment(tmp_path / f"deploy-{count}", engine, **extra_env)
            )

        yield make


def _external() -> Running | None:
    target = os.environ.get("CRMDP_RACE_TARGET")
    if not target:
        return None
    spec = json.loads(Path(target).read_text())
    url = urlsplit(spec["url"])
    site = Site(spec["org"], spec["owner"], spec["token"], 0, spec["listener"])
    return Running(None, External(url.hostname or "127.0.0.1", url.port or 80), site)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def race_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One multi-process server on the run's engine, shared by a module's tests (each
    test uses identities of its own) — or, with CRMDP_RACE_TARGET, a deployment
    started by hand."""
    external = _external()
    if external is not None:
        yield external
        return
    engine = run_engine()
    # INFO: the server logs each retried transaction, which the tests count.
    with deployment(tmp_path_factory.mktemp("race"), engine, LOG_LEVEL="INFO") as env:
        site = env.provision()
        server = env.serve(processes=RACE_PROCESSES[engine])
        yield Running(env, server, site)


# -- one shared `crmdp serve` (with its worker) for tests that need a server but
# not a fresh one (tests/server/live.py)


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`crmdp serve --access-log` with its outbox worker, on its own database."""
    server = LiveServer(tmp_path_factory.mktemp("served")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def both_tenants(served: LiveServer) -> tuple[Tenant, Tenant]:
    return tenants(served)


@pytest.fixture(scope="session")
def tenant(both_tenants: tuple[Tenant, Tenant]) -> Tenant:
    """An org ("Live Org") with a listener and nothing else."""
    return both_tenants[0]


@pytest.fixture(scope="session")
def demo(both_tenants: tuple[Tenant, Tenant]) -> Tenant:
    """The demo org, with the guide's sample requests already posted."""
    return both_tenants[1]
