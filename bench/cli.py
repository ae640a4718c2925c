"""`python -m bench run --engine sqlite|postgres --preload N --mode single|batch
--clients C --seconds S [--server-processes P]`: start `crmdp serve` on a fresh
database, preload it, drive it over HTTP, measure the raw-SQL ceiling on the same
database, and print a table and, last, one JSON line."""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import time
import urllib.request
import uuid

from bench import ceiling, floor, growth, profile, rowsbench, table, waits
from bench.database import CRMDP, ROOT, bench_site, preload
from bench.load import LoadResult, drive
from bench.memory import peak_rss_per_web_process
from crmdp.web.shape import default_shape

SENDER = "bench@example.com"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("crmdp serve did not come up")


def run(args: argparse.Namespace) -> dict[str, object]:
    site = bench_site(args.engine, SENDER)
    database = site.database
    server = None
    try:
        ctx = ceiling.Context(site.org_id, site.owner_id, site.listener_id)
        preload_seconds = preload(database, site.org_id, site.owner_id, args.preload)

        # The product's own defaults unless told (crmdp/web/shape.py).
        default_processes, default_threads = default_shape(args.engine)
        processes = args.server_processes or default_processes
        threads = args.threads or default_threads
        port = free_port()
        server = subprocess.Popen(
            [
                *CRMDP,
                "serve",
                "--no-worker",
                "--no-migrate",
                "--port",
                str(port),
                "--processes",
                str(processes),
                "--threads",
                str(threads),
            ],
            env=database.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE if not args.verbose else None,
        )
        wait_until_up(port)
        batch = 100 if args.mode == "batch" else 1
        tag = uuid.uuid4().hex[:6]
        # Warm up: imports, connections, caches.
        drive(
            port,
            site.listener_path,
            SENDER,
            clients=args.clients,
            seconds=2,
            batch=batch,
            preload=args.preload,
            run_tag=tag + "w",
        )
        # The product and the two ceilings take turns in short slices rather than one
        # after the other: on a machine shared with other work, whatever else runs
        # then weighs on all three alike, and their ratio stays meaningful. The
        # server sits idle (no requests, no locks) while the ceiling runs.
        result = LoadResult()
        ceiling_seconds = max(3.0, args.seconds / 2) / args.slices
        row_wise_rates, set_based_rates = [], []
        for part in range(args.slices):
            piece = drive(
                port,
                site.listener_path,
                SENDER,
                clients=args.clients,
                seconds=args.seconds / args.slices,
                batch=batch,
                preload=args.preload,
                run_tag=f"{tag}{part}",
            )
            result.merge(piece)
            for rates, set_wise in ((row_wise_rates, False), (set_based_rates, True)):
                rates.append(
                    ceiling.measure(
                        database,
                        ctx,
                        clients=args.clients,
                        seconds=ceiling_seconds,
                        batch=100 if set_wise else batch,
                        preload=args.preload,
                        run_tag=f"{tag}{'s' if set_wise else 'r'}{part}",
                        set_wise=set_wise,
                    )
                )
        row_wise = sum(row_wise_rates) / len(row_wise_rates)
        set_based = sum(set_based_rates) / len(set_based_rates)
        peak_rss = peak_rss_per_web_process(server.pid)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server = None

        the_ceiling = set_based if args.mode == "batch" else row_wise
        summary: dict[str, object] = {
            "engine": args.engine,
            "preload": args.preload,
            "mode": args.mode,
            "clients": args.clients,
            "server_processes": processes,
            "server_threads": threads,
            "actions_per_s": round(result.actions_per_s, 1),
            "p50_ms": round(result.percentile(0.50), 2),
            "p99_ms": round(result.percentile(0.99), 2),
            "ceiling_actions_per_s": round(the_ceiling, 1),
            "ratio_to_ceiling": round(result.actions_per_s / the_ceiling, 3)
            if the_ceiling
            else None,
            # Both ceilings, for the two ratios: single-action requests
            # against the row-wise one, batches against the set-based one.
            "ceiling_row_wise_per_s": round(row_wise, 1),
            "ceiling_set_based_per_s": round(set_based, 1),
            "ratio_row_wise": round(result.actions_per_s / row_wise, 3) if row_wise else None,
            "ratio_set_based": round(result.actions_per_s / set_based, 3) if set_based else None,
            "peak_rss_mib_per_process": peak_rss,
            "peak_rss_mib_max": max(peak_rss, default=None),
            "errors": result.errors,
        }
        rows = [
            (
                "engine / preload",
                f"{args.engine} / {args.preload:,} customers (loaded in {preload_seconds:.1f} s)",
            ),
            (
                "mode / clients",
                f"{args.mode} ({batch} per request) / {args.clients} client threads",
            ),
            ("server", f"crmdp serve --processes {processes} --threads {threads}"),
            (
                "requests / actions",
                f"{result.requests:,} / {result.actions:,} in {result.seconds:.1f} s",
            ),
            ("listener actions/s", f"{result.actions_per_s:,.0f}"),
            (
                "latency p50 / p99",
                f"{result.percentile(0.5):.1f} ms / {result.percentile(0.99):.1f} ms per request",
            ),
            ("errors", str(result.errors)),
            ("peak RSS per web process", ", ".join(f"{mib:.0f} MiB" for mib in peak_rss) or "-"),
            ("raw SQL row-wise", f"{row_wise:,.0f} actions/s"),
            ("raw SQL set-based", f"{set_based:,.0f} actions/s"),
            (
                "ratio to ceiling",
                f"{summary['ratio_to_ceiling']} (vs {'set-based' if batch > 1 else 'row-wise'})",
            ),
        ]
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"{label:<{width}}  {value}")
        return summary
    finally:
        if server is not None:
            server.kill()
        if not args.keep:
            database.drop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    verbs = parser.add_subparsers(dest="verb", required=True)
    runner = verbs.add_parser("run", help="one benchmark run")
    runner.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    runner.add_argument("--preload", type=int, default=0)
    runner.add_argument("--mode", choices=["single", "batch"], default="single")
    runner.add_argument("--clients", type=int, default=4)
    runner.add_argument("--seconds", type=float, default=20)
    runner.add_argument("--server-processes", type=int, default=None)
    runner.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per server process (default: crmdp serve's)",
    )
    runner.add_argument(
        "--slices", type=int, default=4, help="turns the product and the ceilings take"
    )
    runner.add_argument("--keep", action="store_true", help="keep the database afterwards")
    runner.add_argument("--verbose", action="store_true", help="show the server's log")
    runner.set_defaults(func=lambda args: print(json.dumps(run(args))))
    profile.add_parser(verbs)
    table.add_parser(verbs)
    growth.add_parser(verbs)
    rowsbench.add_parser(verbs)
    floor.add_parser(verbs)
    waits.add_parser(verbs)
    args = parser.parse_args()
    args.func(args)
