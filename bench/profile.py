"""`python -m bench profile --engine sqlite|postgres --preload N --mode single|batch
--requests R`: the listener in-process (Django's test client, no HTTP server, one
thread) on a fresh, preloaded database, first timed, then under cProfile. Shows where
a request's time goes: which part is the database and which is Python."""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
import uuid
from pathlib import Path
from typing import Any

from bench.database import bench_site, preload
from bench.workload import Workload

SENDER = "bench@example.com"


def profile(args: argparse.Namespace) -> None:
    site = bench_site(args.engine, SENDER)
    try:
        seconds = preload(site.database, site.org_id, site.owner_id, args.preload)
        print(f"preloaded {args.preload:,} customers in {seconds:.1f} s")
        _in_process(site.database.env, site.listener_path, args)
    finally:
        site.database.drop()


def _in_process(env: dict[str, str], path: str, args: argparse.Namespace) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmdp.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    batch = 100 if args.mode == "batch" else 1
    workload = Workload(0, args.preload, uuid.uuid4().hex[:6])

    def one() -> None:
        body = {"senderUser": SENDER, "data": [workload.action() for _ in range(batch)]}
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]

    for _ in range(20):  # warm up: imports, caches, the connection
        one()
    # Counted with a wrapper, which sees every statement; the ORM's query log would
    # be reset when the test client closes the connection after the request.
    queries: list[str] = []

    def count(execute: Any, sql: str, *rest: Any) -> Any:
        queries.append(sql)
        return execute(sql, *rest)

    with connection.execute_wrapper(count):
        one()
    if os.environ.get("BENCH_SHOW_QUERIES"):  # the statements of one request
        for sql in queries:
            print("  ", sql[:200])
    backend = _backend_cpu(connection)
    began, cpu_began, backend_began = time.perf_counter(), time.process_time(), backend()
    for _ in range(args.requests):
        one()
    elapsed = time.perf_counter() - began
    backend_ms = (backend() - backend_began) * 1000 / args.requests
    # This process's CPU time, the database's own work included for SQLite (in
    # process) and not for PostgreSQL: steadier than the wall clock on a shared
    # machine, so it is what before/after comparisons of Python-side costs use.
    cpu_ms = (time.process_time() - cpu_began) * 1000 / args.requests
    actions = args.requests * batch
    print(
        f"{args.mode}: {actions:,} actions in {elapsed:.2f} s = {actions / elapsed:,.0f} actions/s"
        f" in one thread, {cpu_ms:.3f} ms CPU per request, {len(queries)} queries per request"
        + (
            f", {backend_ms:.3f} ms CPU of the PostgreSQL backend"
            if args.engine == "postgres"
            else ""
        )
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        one()
    profiler.disable()
    if args.save:
        profiler.dump_stats(args.save)  # for pstats or snakeviz
    _report(profiler, args.top)


def _backend_cpu(connection: Any) -> Any:
    """A function giving the CPU seconds (user + system) used so far by the
    PostgreSQL server process serving `connection` (0 on SQLite): on a machine
    where the server shares the cores, the product's cost is both processes'."""
    if connection.vendor != "postgresql":
        return lambda: 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    ticks = os.sysconf("SC_CLK_TCK")

    def seconds() -> float:
        # /proc/<pid>/stat: fields 14 and 15 are utime and stime, after the
        # parenthesised command name (which may hold spaces).
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    return seconds


def _report(profiler: cProfile.Profile, top: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue())


def add_parser(verbs: Any) -> None:
    parser = verbs.add_parser("profile", help="the listener in-process, under cProfile")
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--preload", type=int, default=0)
    parser.add_argument("--mode", choices=["single", "batch"], default="single")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--top", type=int, default=30, help="functions to list")
    parser.add_argument("--save", metavar="FILE", help="also write the cProfile stats to FILE")
    parser.set_defaults(func=profile)
