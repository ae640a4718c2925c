"""`python -m bench floor`: the CPU one request costs over HTTP, the web processes'
and the client's, for requests from the cheapest to a real delivery.

Starts `crmdp serve --no-worker` on a fresh SQLite database and, for each kind of
request in turn, drives it from C client threads (as `run` does) and reads the
CPU time the server's processes used (/proc, every process under `crmdp serve`)
and the client's own. Kinds:

- `healthz`: GET /healthz, answered by the first middleware (the HTTP floor);
- `get405`: GET on the listener's URL: the whole middleware chain, URL routing
  and the view's 405, no database;
- `unknown404`: a POST of one action to a token no listener has: the body read,
  one query, a 404 (the unknown-token limit is lifted for the run);
- `single`: one add-contact action, as `run --mode single` sends.

CPU per request is what the machine's cores spend whatever else runs on them, so
on a shared machine it moves far less than requests per second.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.database import CRMDP, ROOT, bench_site
from bench.workload import Workload

SENDER = "bench@example.com"
_TICK = os.sysconf("SC_CLK_TCK")
Request = tuple[str, str, str | None]


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as children:
                todo += [int(child) for child in children.read().split()]
        except OSError:
            pass
    return found


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def _drive(
    port: int, make: Callable[[Workload], Request], clients: int, seconds: float
) -> tuple[int, dict[int, int]]:
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        workload = Workload(index, 0, uuid.uuid4().hex[:6])
        seen: dict[int, int] = {}
        while time.perf_counter() < deadline:
            method, path, body = make(workload)
            headers = {"Content-Type": "application/json"} if body else {}
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status == 200 and body:
                json.loads(answer)  # as `run` reads each answer
            seen[response.status] = seen.get(response.status, 0) + 1
        with lock:
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(statuses.values()), statuses


def floor(args: argparse.Namespace) -> None:
    site = bench_site("sqlite", SENDER)
    env = {**site.database.env, "CRMDP_UNKNOWN_TOKEN_LIMIT": "1000000000"}
    from bench.cli import free_port, wait_until_up

    port = free_port()
    command = [*CRMDP, "serve", "--no-worker", "--no-migrate", "--port", str(port)]
    command += ["--processes", str(args.server_processes), "--threads", str(args.threads)]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_until_up(port)
        path = site.listener_path
        if "://" in path:  # the listener's full URL: its path
            path = "/" + path.split("/", 3)[3]
        unknown = "/listener/" + "x" * 43

        def one_action(workload: Workload) -> str:
            return json.dumps({"senderUser": SENDER, "data": [workload.action()]})

        kinds: dict[str, Callable[[Workload], Request]] = {
            "healthz": lambda w: ("GET", "/healthz", None),
            "get405": lambda w: ("GET", path, None),
            "unknown404": lambda w: ("POST", unknown, one_action(w)),
            "single": lambda w: ("POST", path, one_action(w)),
        }
        for name in args.kinds.split(","):
            make = kinds[name]
            _drive(port, make, args.clients, 1.5)  # warm-up
            server_before = _cpu_seconds(_tree(server.pid))
            client_before, began = time.process_time(), time.perf_counter()
            requests, statuses = _drive(port, make, args.clients, args.seconds)
            elapsed = time.perf_counter() - began
            server_cpu = _cpu_seconds(_tree(server.pid)) - server_before
            client_cpu = time.process_time() - client_before
            line: dict[str, Any] = {
                "kind": name,
                "requests_per_s": round(requests / elapsed, 1),
                "server_cpu_ms_per_request": round(server_cpu * 1000 / requests, 3),
                "client_cpu_ms_per_request": round(client_cpu * 1000 / requests, 3),
                "statuses": statuses,
            }
            print(json.dumps(line), flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def add_parser(verbs: Any) -> None:
    parser = verbs.add_parser("floor", help="CPU per request over HTTP, cheapest to a delivery")
    parser.add_argument("--kinds", default="healthz,get405,unknown404,single")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--server-processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.set_defaults(func=floor)
