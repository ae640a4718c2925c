"""The in-process limiter (unknown listener URLs, bad API tokens) is bounded: a flood
from ever new addresses cannot grow it without end."""

from __future__ import annotations

from crmdp.lib.throttle import SlidingLimit


def test_a_limiter_remembers_at_most_its_maximum_of_keys():
    limit = SlidingLimit(3, window=60, max_keys=100)
    for n in range(10_000):
        limit.hit(f"198.51.{n // 256}.{n % 256}", now=float(n) / 1000)
    assert len(limit._events) <= 100


def test_waiting_is_told_without_counting():
    limit = SlidingLimit(2, window=60)
    assert limit.wait("a", now=0) == 0
    limit.hit("a", now=0)
    limit.hit("a", now=1)
    assert limit.wait("a", now=2) == 58
    assert limit.wait("a", now=2) == 58  # asking twice counts nothing
    assert limit.wait("a", now=61) == 0
