"""Peak resident memory of each web process of a running `crmdp serve`, read from
/proc (Linux). `VmHWM` is the kernel's high-water mark of a process's RSS, so one
reading just before the server stops gives each process's peak over the run."""

from __future__ import annotations

from pathlib import Path


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _peak_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)  # given in kB
    except OSError:
        return None
    return None


def _is_gunicorn(pid: int) -> bool:
    try:
        return b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def peak_rss_per_web_process(serve_pid: int) -> list[float]:
    """Peak RSS in MiB of each gunicorn worker (the processes that answer requests)
    under `crmdp serve` at `serve_pid`, smallest first; empty without /proc."""
    masters = [pid for pid in _children(serve_pid) if _is_gunicorn(pid)]
    workers = [worker for master in masters for worker in _children(master)]
    return sorted(peak for pid in workers if (peak := _peak_mib(pid)) is not None)
