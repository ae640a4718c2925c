"""`python -m bench.slowloris`: do slow clients stop a server from answering?

Starts the web server as `crmdp serve` runs it (2 processes × 4 threads, SQLite),
opens 64 slow-loris connections (a request line, then one header byte every two
seconds, never finishing), then sends 20 normal listener requests one after the
other and prints how many were answered and how fast. Then the same against
gunicorn's plain gthread worker, for comparison.

    python -m bench.slowloris [--slow 64] [--normal 20] [--budget 10]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.cli import free_port
from bench.database import ROOT, bench_site

SENDER = "slowloris@example.com"
BUFFERING = "crmdp.web.buffering.BufferingWorker"
PLAIN = "gthread"


class SlowClients:
    """`count` connections that each send a request line and then a header byte every
    `every` seconds, forever (until stopped): the slow-loris attack. With `body`,
    whole headers announcing a 1,000-byte body, then the body a byte at a time."""

    def __init__(
        self, port: int, path: str, count: int, every: float = 2.0, body: bool = False
    ) -> None:
        self.port, self.path, self.count, self.every = port, path, count, every
        self.body = body
        self.sockets: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def start(self) -> SlowClients:
        for _ in range(self.count):
            conn = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            head = f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            if self.body:
                head += "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            conn.sendall(head.encode())
            self.sockets.append(conn)
        self.thread.start()
        return self

    def _trickle(self) -> None:
        while not self.stopping.wait(self.every):
            for conn in self.sockets:
                # A closed connection is the server's answer to a slow client.
                with contextlib.suppress(OSError):
                    conn.send(b" " if self.body else b"X")

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for conn in self.sockets:
            conn.close()


def normal_request(
    port: int, path: str, name: str, timeout: float, sender: str = SENDER
) -> float | None:
    """One listener POST on a fresh connection; seconds to a 200, or None."""
    body = json.dumps(
        {"senderUser": sender, "data": [{"actionType": "add-contact", "data": {"name": name}}]}
    ).encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            conn.sendall(request)
            reply = conn.recv(65536)
    except OSError:
        return None
    if not reply.startswith(b"HTTP/1.1 200"):
        return None
    return time.monotonic() - started


@contextmanager
def server(env: dict[str, str], worker_class: str, port: int) -> Iterator[None]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "crmdp.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            worker_class,
            "--threads",
            "4",
            "--config",
            "python:crmdp.web.gunicorn_conf",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1)  # both processes up
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def measure(env: dict[str, str], path: str, worker_class: str, args: argparse.Namespace) -> dict:
    port = free_port()
    with server(env, worker_class, port):
        # Warm up: the first request of a process imports and connects.
        for n in range(4):
            normal_request(port, path, f"warm {n}", 10)
        slow = SlowClients(port, path, args.slow).start()
        try:
            time.sleep(1)
            latencies: list[float] = []
            tried = 0
            budget_ends = time.monotonic() + args.budget
            while tried < args.normal and time.monotonic() < budget_ends:
                tried += 1
                answered = normal_request(
                    port, path, f"normal {tried}", max(0.1, budget_ends - time.monotonic())
                )
                if answered is not None:
                    latencies.append(answered)
        finally:
            slow.stop()
    return {
        "worker": worker_class,
        "slowClients": args.slow,
        "tried": tried,
        "answered": len(latencies),
        "medianMs": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "maxMs": round(max(latencies) * 1000, 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=64, help="slow-loris connections")
    parser.add_argument("--normal", type=int, default=20, help="normal requests to send")
    parser.add_argument("--budget", type=float, default=10, help="seconds for the normal ones")
    args = parser.parse_args()
    site = bench_site("sqlite", SENDER)
    env = {**site.database.env, "DJANGO_SETTINGS_MODULE": "crmdp.settings"}
    try:
        for worker_class in (BUFFERING, PLAIN):
            result = measure(env, site.listener_path, worker_class, args)
            print(
                f"{result['worker']:40} {result['slowClients']} slow clients: "
                f"{result['answered']}/{result['tried']} normal requests answered "
                f"in {args.budget:g} s; median {result['medianMs']} ms, max {result['maxMs']} ms"
            )
    finally:
        site.database.drop()


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmdp.settings")
    main()
