"""`crmdp worker`: drain the outbox (run any number of these, on any hosts)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from crmdp.lib.heap import settle
from crmdp.messaging.worker import Worker


class Command(BaseCommand):
    help = "Send queued emails and SMS; runs until stopped (SIGTERM/SIGINT)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="send what is due, then exit")
        parser.add_argument("--name", help="this worker's name in the attempt log")
        parser.add_argument("--batch", type=int, default=10, help="messages claimed at a time")
        parser.add_argument(
            "--threads", type=int, help="sending threads (default: CRMDP_WORKER_THREADS, 4)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(name=options["name"], batch=options["batch"], threads=options["threads"])
        if options["once"]:
            handled = worker.run_until_idle()
            self.stdout.write(f"{handled} message(s) handled")
            return

        def stop(signum: int, frame: Any) -> None:
            # Finish the message in hand, then leave.
            worker.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        settle()  # what it loaded runs every message: out of the collector's walks
        worker.run_forever()
