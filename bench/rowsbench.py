"""`python -m bench rows [--engine E] [--repeats R]`: does the listener's own row
insertion (`crmdp.backends.rows.insert`) still beat Django's `bulk_create`?

In-process on a fresh benchmark database, for each row kind the hot path writes and
at the sizes it writes them (one row for a single-action request, a batch's worth for
a batch of 100): the same freshly built instances are inserted by each way in turn,
alternating, each insert in a transaction that is rolled back (so the table does not
grow and no commit is timed). Prints the median microseconds per insert call of each
way and their ratio, one JSON line per case."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.database import bench_site

SENDER = "bench@example.com"


def rows_vs_bulk_create(args: argparse.Namespace) -> None:
    site = bench_site(args.engine, SENDER)
    try:
        os.environ.update(site.database.env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmdp.settings")
        import django

        django.setup()
        _measure(site.org_id, site.owner_id, site.listener_id, args)
    finally:
        site.database.drop()


def _measure(org_id: int, owner_id: int, listener_id: int, args: argparse.Namespace) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from crmdp.backends import rows
    from crmdp.customers.models import Customer, CustomerKey
    from crmdp.history.models import HistoryEntry
    from crmdp.listeners.models import Delivery

    request_id = uuid.uuid4()

    def customers(count: int) -> list[Any]:
        now = timezone.now()
        return [
            rows.build(
                Customer,
                id=10**9 + n,
                org_id=org_id,
                kind="contact",
                name=f"Rows {n}",
                emails=[{"type": "Work", "value": f"r{n}@example.com"}],
                phones=[{"type": "Mobile", "value": f"+849{n:08d}", "e164": f"+849{n:08d}"}],
                owner_id=owner_id,
                number=10**9 + n,
                created_at=now,
                updated_at=now,
            )
            for n in range(count)
        ]

    # Foreign keys are checked at commit, and nothing here commits: a key may point
    # at customer 1 whether or not it exists.
    def keys(count: int) -> list[Any]:
        return [
            rows.build(
                CustomerKey, org_id=org_id, key=f"email:k{n}@x.com", kind="contact", customer_id=1
            )
            for n in range(count)
        ]

    def history(count: int) -> list[Any]:
        return [
            rows.build(
                HistoryEntry,
                org_id=org_id,
                text=f"Created via listener {n}",
                listener_id=listener_id,
                actor_id=owner_id,
                request_id=request_id,
            )
            for n in range(count)
        ]

    def deliveries(count: int) -> list[Any]:
        return [
            rows.build(
                Delivery,
                listener_id=listener_id,
                org_id=org_id,
                request_id=uuid.uuid4(),
                body=b'{"senderUser": "x", "data": []}',
                status=200,
                response={"results": []},
                outcomes={"created": 1},
                received_at=timezone.now(),
            )
            for _ in range(count)
        ]

    cases: list[tuple[str, Callable[[int], list[Any]], int, bool]] = [
        ("customer", customers, 1, False),
        ("customer", customers, 50, False),
        ("customer key", keys, 3, False),
        ("customer key", keys, 300, False),
        ("history line", history, 1, False),
        ("history line", history, 100, False),
        ("delivery (id returned)", deliveries, 1, True),
    ]

    def timed(insert: Callable[[list[Any]], Any], objects: list[Any]) -> float:
        with transaction.atomic():
            began = time.perf_counter()
            insert(objects)
            spent = time.perf_counter() - began
            transaction.set_rollback(True)
        return spent

    for label, make, size, return_ids in cases:
        model = type(make(1)[0])
        ours: list[float] = []
        django_s: list[float] = []
        for repeat in range(args.repeats):
            # Alternate who goes first, so drift and warm caches favour neither.
            pair = [
                (ours, lambda objs, r=return_ids: rows.insert(objs, return_ids=r)),
                (django_s, lambda objs, m=model: m.objects.bulk_create(objs)),
            ]
            for spent, insert in pair if repeat % 2 else reversed(pair):
                spent.append(timed(insert, make(size)))
        ours_us = statistics.median(ours) * 1e6
        django_us = statistics.median(django_s) * 1e6
        print(
            json.dumps(
                {
                    "engine": connection.vendor,
                    "rows_of": label,
                    "rows_per_insert": size,
                    "rows_insert_us": round(ours_us, 1),
                    "bulk_create_us": round(django_us, 1),
                    "bulk_create_over_rows": round(django_us / ours_us, 2),
                    "repeats": args.repeats,
                }
            ),
            flush=True,
        )


def add_parser(verbs: Any) -> None:
    parser = verbs.add_parser("rows", help="crmdp.backends.rows.insert against bulk_create")
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeats", type=int, default=300)
    parser.set_defaults(func=rows_vs_bulk_create)
