"""`python -m bench waits --seconds S`: what the PostgreSQL sessions of the running
benchmarks (databases `crmdp_bench_*`) are doing, sampled every 20 ms. Run it beside
`bench run --engine postgres` once its load has started: the average number of
sessions in each state per sample shows whether the product waits for its own locks
(`Lock:advisory`, `Lock:transactionid`), for the disk (`IO:WALSync`), or for the web
processes (`Client:ClientRead`, idle: Python is the limit)."""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from typing import Any

from bench.database import PG_URL

_SESSIONS = (
    "SELECT coalesce(wait_event_type, '-') || ':' || coalesce(wait_event, '-') || ':' "
    "|| coalesce(state, '-') FROM pg_stat_activity "
    "WHERE datname LIKE 'crmdp_bench_%' AND backend_type = 'client backend' "
    "AND pid <> pg_backend_pid()"
)


def sample(seconds: float, every: float = 0.02) -> tuple[int, Counter[str]]:
    """(samples that saw a benchmark session, {state: sessions seen in it})."""
    import psycopg

    seen: Counter[str] = Counter()
    samples = 0
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as admin:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            states = [state for (state,) in admin.execute(_SESSIONS).fetchall()]
            if states:
                samples += 1
                seen.update(states)
            time.sleep(every)
    return samples, seen


def waits(args: argparse.Namespace) -> None:
    samples, seen = sample(args.seconds)
    if not samples:
        raise SystemExit("no benchmark session seen: start `bench run --engine postgres` first")
    per_sample = {state: round(count / samples, 2) for state, count in seen.most_common()}
    for state, sessions in per_sample.items():
        print(f"{sessions:6.2f} sessions per sample  {state}")
    print(json.dumps({"samples": samples, "sessions_per_sample": per_sample}))


def add_parser(verbs: Any) -> None:
    parser = verbs.add_parser("waits", help="what the benchmark's PostgreSQL sessions wait for")
    parser.add_argument("--seconds", type=float, default=12)
    parser.set_defaults(func=waits)
