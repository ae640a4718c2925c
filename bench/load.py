"""Driving a running `crmdp serve` over HTTP from C client threads."""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field

from bench.workload import Workload


@dataclass
class LoadResult:
    actions: int = 0
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def actions_per_s(self) -> float:
        return self.actions / self.seconds if self.seconds else 0.0

    def merge(self, other: LoadResult) -> None:
        self.actions += other.actions
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        self.latencies += other.latencies

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def drive(
    port: int,
    path: str,
    sender: str,
    *,
    clients: int,
    seconds: float,
    batch: int,
    preload: int,
    run_tag: str,
) -> LoadResult:
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    start = threading.Barrier(clients + 1)

    # Made here, so that one that cannot be made fails the run instead of leaving
    # the other clients waiting at the barrier.
    workloads = [Workload(index, preload, run_tag) for index in range(clients)]

    failures: list[BaseException] = []

    def client(index: int) -> None:
        try:
            drive_one(index)
        except BaseException as exc:  # reported below: a client lost is a rate wrong
            failures.append(exc)

    def drive_one(index: int) -> None:
        workload = workloads[index]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies: list[float] = []
        actions = requests = errors = 0
        start.wait()
        while time.perf_counter() < deadline:
            body = json.dumps(
                {"senderUser": sender, "data": [workload.action() for _ in range(batch)]}
            )
            began = time.perf_counter()
            try:
                connection.request("POST", path, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException):
                errors += batch
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            latencies.append(time.perf_counter() - began)
            requests += 1
            if response.status != 200:
                errors += batch
                continue
            results = json.loads(answer)["results"]
            actions += len(results)
            errors += sum(1 for r in results if r["status"] not in ("created", "duplicate"))
        with lock:
            result.actions += actions
            result.requests += requests
            result.errors += errors
            result.latencies += latencies

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError("a client of the load failed") from failures[0]
    result.seconds = time.perf_counter() - began
    return result
