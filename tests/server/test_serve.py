"""`crmdp serve` as an operator runs it: processes, threads, host and port, on
both engines, and what it costs the database in connections."""

from __future__ import annotations

import http.client
import signal
from pathlib import Path

import pytest

from crmdp.web.shape import default_shape
from tests.server.conftest import Deploy
from tests.server.harness import (
    ENGINES,
    POSTGRESQL,
    Call,
    group_members,
    process_tree,
    wait_for,
)

pytestmark = pytest.mark.server


@pytest.mark.parametrize("engine", ENGINES)
def test_serve_runs_the_web_processes_asked_for_on_the_host_and_port_given(
    deploy: Deploy, engine: str, tmp_path: Path
):
    home, runtime = tmp_path / "home", tmp_path / "run"
    runtime.mkdir()
    env = deploy(engine, ALLOWED_HOSTS="127.0.0.2", HOME=str(home), XDG_RUNTIME_DIR=str(runtime))
    site = env.provision()
    server = env.serve(3, 2, host="127.0.0.2")

    # The supervisor runs gunicorn alone (--no-worker), and gunicorn three workers.
    # (/healthz can answer from the first worker while gunicorn still forks the others.)
    (gunicorn,) = process_tree(server.pid)[server.pid]
    assert wait_for(lambda: len(process_tree(gunicorn)[gunicorn]) == 3, timeout=30)
    tree = process_tree(server.pid)
    assert all(tree[worker] == [] for worker in tree[gunicorn])

    client = server.client()
    created = client.listener(
        site, [("add-contact", {"name": "Served", "emails": [{"value": "s@x.example"}]})]
    )
    assert created.status == 200, created
    assert created.body["results"][0]["status"] == "created"
    assert [c["name"] for c in client.customers(site, email="s@x.example")] == ["Served"]
    # Bound to the host given, and only to it.
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection("127.0.0.1", server.port, timeout=5).connect()

    # No gunicorn control socket that a second server on this machine would take over.
    assert list(runtime.iterdir()) == [] and not (home / ".gunicorn").exists()

    # SIGTERM stops it cleanly, gunicorn and its workers with it (nothing orphaned).
    server.popen.send_signal(signal.SIGTERM)
    assert server.popen.wait(timeout=30) == 0
    assert wait_for(lambda: group_members(server.pid) == [], timeout=10)


@pytest.mark.parametrize("engine", ENGINES)
def test_serve_starts_the_default_shape_when_not_told(deploy: Deploy, engine: str):
    """Without --processes and --threads: two processes per core (at least 4, at
    most 8 on SQLite) of one thread each, as docs/operations.md says."""
    env = deploy(engine)
    site = env.provision()
    server = env.serve(None, None)
    expected = default_shape(engine)  # the engines are named as Django's vendors
    (gunicorn,) = process_tree(server.pid)[server.pid]
    assert wait_for(lambda: len(process_tree(gunicorn)[gunicorn]) == expected[0], timeout=30)
    command = Path(f"/proc/{gunicorn}/cmdline").read_bytes().split(b"\0")
    threads = command[command.index(b"--threads") + 1]
    assert (len(process_tree(gunicorn)[gunicorn]), int(threads)) == expected
    answered = server.client().listener(
        site, [("add-contact", {"name": "Shaped", "emails": [{"value": "shape@x.example"}]})]
    )
    assert answered.body["results"][0]["status"] == "created", answered


def test_persistent_postgres_connections_stay_within_processes_times_threads(deploy: Deploy):
    """Each web thread keeps one connection and reuses it (CONN_MAX_AGE); a burst of
    any size never opens more than processes × threads, and an idle server none."""
    processes, threads = 2, 4
    env = deploy(POSTGRESQL)
    site = env.provision()
    server = env.serve(processes, threads)
    client = server.client()
    # `serve` migrated, then closed its own connection; /healthz opened none.
    assert wait_for(lambda: env.database.sessions() == set(), timeout=10), env.database.sessions()

    def burst(number: int) -> None:
        calls = []
        for i in range(12):
            email = f"burst{number}-{i}@conn.example"
            calls += [
                site.call([("add-contact", {"name": f"Burst {i}", "emails": [{"value": email}]})]),
                Call(
                    "GET",
                    f"/api/v1/customers?email={email}",
                    None,
                    (("Authorization", f"Bearer {site.owner_token}"),),
                ),
                Call("GET", "/readyz"),
            ]
        for reply in client.together(calls):
            assert reply.status == 200, reply

    bound = processes * threads
    burst(1)
    first = env.database.sessions()
    assert 1 <= len(first) <= bound, first
    for number in range(2, 6):
        burst(number)
        now = env.database.sessions()
        assert len(now) <= bound, now
        # Reused, not replaced: every connection of the first burst is still there.
        assert first <= now
    server.stop()
    assert wait_for(lambda: env.database.sessions() == set(), timeout=10)
