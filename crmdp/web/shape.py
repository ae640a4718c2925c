"""How many web processes `crmdp serve` starts, and how many threads each runs,
when not told (`--processes`, `--threads`). Plain so that the benchmark (bench/)
starts the same server the product does."""

from __future__ import annotations

import os


def default_shape(vendor: str, cores: int | None = None) -> tuple[int, int]:
    """(processes, threads per process) for a database `vendor` on `cores` cores.

    One thread per process, two processes per core, at least 4. Threads share their
    process's GIL: a thread whose statement the database has answered (or that has
    just got SQLite's write lock) waits for a sibling that is reading a request in
    Python, up to the interpreter's 5 ms switch interval, at each of a request's
    round trips; and on SQLite it holds the write lock meanwhile. Measured on 2
    cores, 4 clients, single-action requests (bench/README.md, issue 19): SQLite
    287-308 actions/s with 4 × 1 against 229-250 with 2 × 4, PostgreSQL 204-252
    against 174-179 with 4 × 4; SQLite's batches of 100 gained as much, PostgreSQL's
    (few round trips per action) stayed level. The process count keeps requests
    side by side instead. On SQLite, past 8 processes they would only
    queue on the one write lock.
    """
    cores = cores or os.cpu_count() or 2
    processes = max(4, 2 * cores)
    if vendor == "sqlite":
        processes = min(processes, 8)
    return processes, 1
