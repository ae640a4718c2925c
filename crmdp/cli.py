"""The `crmdp` command: Django's management commands, with the product's own
(`serve`, `worker`, `org`, `user`, `listener`, `catalog`, `field`, `sms`, `demo`,
`prune`)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmdp.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["crmdp", *(sys.argv[1:] if argv is None else argv)])
