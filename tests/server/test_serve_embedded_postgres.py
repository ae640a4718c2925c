"""`crmdp serve --database embedded-postgres`: PostgreSQL with no server installed. The
server lives in the data directory, starts and stops with `crmdp serve`, and keeps
the data from one run to the next."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from crmdp.backends.embedded_postgres import EmbeddedPostgres
from tests.server.harness import CRMDP, OWNER, Server, Site, free_port

pytestmark = pytest.mark.server


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Private, as crmdp creates it (0700): under root the PostgreSQL server runs as
    # `nobody`, and `serve` must still let it reach its own directory inside.
    path = Path(tempfile.mkdtemp(prefix="crmdp-test-serve-pg-"))
    path.chmod(0o700)
    try:
        yield path
    finally:
        EmbeddedPostgres(path / "postgres").stop()
        shutil.rmtree(path)


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env.update(CRMDP_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", LOG_LEVEL="WARNING")
    return env


def serve(data_dir: Path) -> tuple[Server, str]:
    port = free_port()
    args = ["serve", "--database", "embedded-postgres", "--no-worker", "--processes", "1"]
    server = Server(
        [*args, "--port", str(port)],
        environment(data_dir),
        data_dir / "serve.log",
        "127.0.0.1",
        port,
    )
    server.wait_ready()
    url = re.search(r"PostgreSQL \(embedded, data in [^)]*\): (\S+)", server.log())
    assert url, server.log()
    return server, url.group(1)


def cli_json(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [str(CRMDP), *args], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)


def test_serve_runs_on_its_own_postgresql_and_keeps_the_data(data_dir: Path):
    server, url = serve(data_dir)
    try:
        with psycopg.connect(url) as conn:  # migrated by `serve`
            assert conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 10
        # Provisioned through the CLI against the same server, then used over HTTP.
        env = {**environment(data_dir), "DATABASE_URL": url}
        org = cli_json(env, "org", "create", "--name", "Embedded", "--owner", OWNER, "--json")
        listener = cli_json(
            env, "listener", "create", "--org", str(org["id"]), "--name", "Form", "--json"
        )
        site = Site(org["id"], org["owner"], org["apiToken"], listener["id"], listener["url"])
        created = server.client().listener(
            site, [("add-contact", {"name": "Kept", "emails": [{"value": "kept@x.example"}]})]
        )
        assert created.status == 200, created
        pid = EmbeddedPostgres(data_dir / "postgres").pid()
        assert pid is not None

        server.popen.send_signal(signal.SIGTERM)
        assert server.popen.wait(timeout=60) == 0
    finally:
        server.stop()
    # The PostgreSQL server stopped with it.
    assert EmbeddedPostgres(data_dir / "postgres").pid() is None
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)

    again, _ = serve(data_dir)
    try:
        found = again.client().customers(site, email="kept@x.example")
        assert [c["name"] for c in found] == ["Kept"]
    finally:
        again.stop()


def test_embedded_postgres_and_a_database_url_together_are_refused(data_dir: Path):
    env = {**environment(data_dir), "DATABASE_URL": "postgres://nobody@127.0.0.1:1/x"}
    done = subprocess.run(
        [str(CRMDP), "serve", "--database=embedded-postgres"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    assert "choose one" in done.stderr
    assert not (data_dir / "postgres").exists()
