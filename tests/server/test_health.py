"""The probes a load balancer uses (crmdp/web/health.py), against a real server."""

from __future__ import annotations

import pytest

from tests.server.conftest import Deploy
from tests.server.harness import POSTGRESQL, Call, run_engine

pytestmark = pytest.mark.server


def test_healthz_and_readyz_answer_ok_on_a_migrated_server(deploy: Deploy):
    env = deploy()
    env.provision()
    client = env.serve(processes=1).client()
    health, ready = client.get("/healthz"), client.get("/readyz")
    assert (health.status, health.body) == (200, {"status": "ok"})
    assert (ready.status, ready.body) == (200, {"status": "ok"})
    assert ready.headers["Cache-Control"] == "no-store"
    # HEAD works too (some balancers probe with it); other methods do not.
    assert client.send(Call("HEAD", "/readyz")).status == 200
    assert client.send(Call("POST", "/healthz", b"{}")).status == 405


def test_readyz_is_503_naming_the_migration_while_one_is_unapplied(deploy: Deploy):
    env = deploy()
    env.provision()
    client = env.serve(processes=1).client()
    env.cli("migrate", "customers", "0001", "--verbosity", "0")

    ready = client.get("/readyz")
    assert ready.status == 503
    assert ready.body["status"] == "unavailable"
    assert ready.body["reason"] == "migrations"
    # It and whatever depends on it (deals, history, …) are listed.
    assert "customers.0002_key_collation_c" in ready.body["unapplied"]
    assert client.get("/healthz").status == 200  # the process itself is fine

    env.cli("migrate", "--verbosity", "0")
    assert client.get("/readyz").status == 200


def test_readyz_is_503_while_the_database_is_down_and_recovers_after(deploy: Deploy):
    # The outage on SQLite is a file that cannot be opened, which only new connections
    # meet: here each request opens its own (on PostgreSQL the connections are cut).
    env = deploy() if run_engine() == POSTGRESQL else deploy(CRMDP_CONN_MAX_AGE="0")
    site = env.provision()
    client = env.serve(processes=2).client()
    # Every web thread gets a connection first (persistent ones, on PostgreSQL): they
    # must notice the outage rather than answer from a dead connection.
    client.together([Call("GET", "/readyz")] * 8)

    env.database.block(env.data_dir)
    try:
        for _ in range(8):
            ready = client.get("/readyz")
            assert ready.status == 503, ready
            assert ready.body["reason"] == "database"
            # The reply names no host, user or path: the details are in the log.
            assert env.database.name not in str(ready.body)
        assert client.get("/healthz").status == 200
    finally:
        env.database.unblock(env.data_dir)

    replies = client.together([Call("GET", "/readyz")] * 8)
    assert [reply.status for reply in replies] == [200] * 8
    assert client.listener(site, [("add-contact", {"name": "After the outage"})]).status == 200


def test_probes_answer_whatever_host_the_balancer_sends(deploy: Deploy):
    """Balancers probe with the instance's address as Host, which ALLOWED_HOSTS does
    not list; the probes answer, everything else still refuses that host."""
    env = deploy()
    site = env.provision()
    client = env.serve(processes=1).client()
    host = (("Host", "10.20.30.40:8000"),)
    assert client.send(Call("GET", "/healthz", None, host)).status == 200
    assert client.send(Call("GET", "/readyz", None, host)).status == 200
    refused = client.send(Call("GET", "/api/v1/customers", None, host))
    assert refused.status == 400
    assert client.send(Call("POST", site.listener_path, b"{}", host)).status == 400
