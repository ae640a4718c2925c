"""The garbage collector in a long-running process (a web process, `crmdp worker`).

A listener request allocates tens of thousands of short-lived objects (models, parsed
values, history lines). Reference counting frees nearly all of them; the cyclic
collector only ever finds the few cycles. With CPython's defaults it still ran a
young collection every 700 net allocations (438 per 60 batches of 100 actions) and,
now and then, a full one (3 per 60) that walked every object the process held:
110,000-160,000, nearly all of them Django, the apps and the URL patterns, which
live as long as the process.

Measured in process (a batch of 100 actions on SQLite, 60 requests, CPU per request,
3 rounds): 28.7, 33.3, 32.8 ms with the defaults against 26.0, 27.2, 29.0 ms settled.
"""

from __future__ import annotations

import gc

# Young collections after this many net allocations of container objects, not 700:
# a request's few cycles wait a little longer (a few MiB at most) to be found.
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Call once the process has loaded what it runs, before it serves. What is
    loaded by then lives as long as the process, so the collector stops walking it
    (it stays in memory and is freed at exit as before), and young collections run
    less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
