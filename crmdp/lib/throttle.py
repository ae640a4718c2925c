"""A small in-process limiter: at most N events per key in a sliding minute.

Used where a shared (database) counter would cost more than what it protects,
e.g. requests to unknown listener tokens: each web process keeps its own count,
so the real limit is N per process, which is enough to stop a flood or a scan.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingLimit:
    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Count one event for `key`; returns 0, or the seconds to wait when over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.get(key)
            if events is None:
                if len(self._events) >= self.max_keys:
                    self._forget_idle(now)
                events = self._events[key] = deque()
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return max(events[0] + self.window - now, 0.001)
            events.append(now)
            return 0.0

    def wait(self, key: str, now: float | None = None) -> float:
        """The seconds `key` must still wait, without counting an event; 0: none."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.get(key)
            if events is None or len(events) < self.limit:
                return 0.0
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) < self.limit:
                return 0.0
            return max(events[0] + self.window - now, 0.001)

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]
        for key in idle:
            del self._events[key]
        if len(self._events) >= self.max_keys:  # still full: drop the oldest half
            for key in list(self._events)[: self.max_keys // 2]:
                del self._events[key]
