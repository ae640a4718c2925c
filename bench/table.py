"""`python -m bench table [--seconds S] [--preload N]`: one run of each row of the
issue's target table (and each on an empty database, for the drop as data grows),
every run a separate `python -m bench run`, then the results as a Markdown table
for bench/README.md."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from bench.database import ROOT


@dataclass(frozen=True)
class Row:
    label: str
    engine: str
    mode: str
    target: str
    target_per_s: float
    processes: int | None = None


ROWS = [
    Row("single, 4 clients, SQLite", "sqlite", "single", "≥ 400/s, p99 ≤ 50 ms", 400),
    Row("single, 4 clients, PostgreSQL", "postgres", "single", "≥ 300/s", 300, processes=4),
    Row("batch of 100, SQLite", "sqlite", "batch", "≥ 5,000/s", 5000),
    Row("batch of 100, PostgreSQL", "postgres", "batch", "≥ 3,000/s", 3000),
]


def _run(row: Row, preload: int, seconds: float) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench",
        "run",
        "--engine",
        row.engine,
        "--mode",
        row.mode,
        "--clients",
        "4",
        "--preload",
        str(preload),
        "--seconds",
        str(seconds),
    ]
    if row.processes:
        command += ["--server-processes", str(row.processes)]
    print("$", " ".join(command[1:]), flush=True)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    print(done.stdout, flush=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def table(args: argparse.Namespace) -> None:
    lines = [
        f"| path | target | empty: actions/s | {args.preload:,}: actions/s | p50 / p99 ms"
        " | raw-SQL ceiling/s | ratio to ceiling | drop as data grows | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        empty = _run(row, 0, args.seconds)
        full = _run(row, args.preload, args.seconds)
        drop = 1 - full["actions_per_s"] / empty["actions_per_s"]
        lines.append(
            f"| {row.label} | {row.target} | {empty['actions_per_s']:,.0f}"
            f" | {full['actions_per_s']:,.0f} | {full['p50_ms']:.1f} / {full['p99_ms']:.1f}"
            f" | {full['ceiling_actions_per_s']:,.0f} | {full['ratio_to_ceiling']:.2f}"
            f" | {drop:.0%} | {empty['errors'] + full['errors']} |"
        )
    print("\n".join(lines))


def add_parser(verbs: Any) -> None:
    parser = verbs.add_parser("table", help="every row of the target table, as Markdown")
    parser.add_argument("--preload", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.set_defaults(func=table)
