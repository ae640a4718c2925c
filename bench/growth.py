"""`python -m bench growth [--engine E] [--sizes 0,200000,1000000] [--seconds S]`:
the single-request rate as the database grows (issue 19: at 1,000,000 customers
within 20% of the rate at 0). Each size is its own `python -m bench run` on a fresh
database; each run's JSON line is printed as it comes, then one JSON line for the
whole: the rate at each size, the drop at the largest and the peak RSS."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from bench.database import ROOT

TARGET_DROP = 0.20


def one_run(engine: str, mode: str, preload: int, seconds: float, processes: int | None) -> Any:
    command = [
        *(sys.executable, "-m", "bench", "run"),
        *("--engine", engine, "--mode", mode, "--clients", "4"),
        *("--preload", str(preload), "--seconds", str(seconds)),
    ]
    if processes:
        command += ["--server-processes", str(processes)]
    print("$", " ".join(command[1:]), file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def growth(args: argparse.Namespace) -> None:
    sizes = [int(size) for size in args.sizes.split(",")]
    runs = []
    for size in sizes:
        run = one_run(args.engine, "single", size, args.seconds, args.server_processes)
        print(json.dumps(run), flush=True)
        runs.append(run)
    first, last = runs[0]["actions_per_s"], runs[-1]["actions_per_s"]
    drop = 1 - last / first if first else None
    print(
        json.dumps(
            {
                "growth": args.engine,
                "mode": "single",
                "actions_per_s_by_preload": {str(r["preload"]): r["actions_per_s"] for r in runs},
                "ratio_row_wise_by_preload": {str(r["preload"]): r["ratio_row_wise"] for r in runs},
                "drop_at_largest": round(drop, 3) if drop is not None else None,
                "drop_target": TARGET_DROP,
                "drop_met": drop is not None and drop <= TARGET_DROP,
                "peak_rss_mib_max": max(r["peak_rss_mib_max"] or 0 for r in runs),
                "errors": sum(r["errors"] for r in runs),
            }
        )
    )


def add_parser(verbs: Any) -> None:
    parser = verbs.add_parser("growth", help="the single-request rate at several sizes")
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", default="0,200000,1000000")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--server-processes", type=int, default=None)
    parser.set_defaults(func=growth)
