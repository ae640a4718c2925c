"""`crmdp prune`: forget deliveries past their retention period (run it daily)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from crmdp.listeners.services import prune


class Command(BaseCommand):
    help = (
        "Delete deliveries older than CRMDP_DELIVERY_RETENTION_DAYS (30) and idempotency "
        "records older than 24 hours. Safe to run at any time, on any one node."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="keep this many days of deliveries "
            f"(default {settings.CRMDP_DELIVERY_RETENTION_DAYS})",
        )
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days is not None and days < 1:
            self.stderr.write("--days must be at least 1")
            raise SystemExit(2)
        pruned = prune(retention_days=days)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "deliveries": pruned.deliveries,
                        "idempotencyRecords": pruned.idempotency_records,
                    }
                )
            )
        else:
            self.stdout.write(
                f"{pruned.deliveries} deliveries and {pruned.idempotency_records} "
                "idempotency records deleted"
            )
