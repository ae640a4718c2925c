"""The `crmdp` command: Django's management commands, with the product's own
(`serve`, `worker`, `org`, `user`, `listener`, `catalog`, `field`, `sms`, `demo`,
`prune`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmdp.settings")
    from django.core.management import execute_from_command_line

    if not serves_embedded_postgres(args):
        execute_from_command_line(["crmdp", *args])
        return
    from crmdp.backends import embedded_postgres

    # The settings read DATABASE_URL when Django starts: the server must answer first.
    # The same directory as settings.DATA_DIR, which cannot be imported before that.
    data_dir = Path(os.environ.get("CRMDP_DATA_DIR", "data")).resolve()
    try:
        with embedded_postgres.serving(data_dir):
            execute_from_command_line(["crmdp", *args])
    except embedded_postgres.EmbeddedPostgresError as error:
        sys.exit(f"crmdp serve --database embedded-postgres: {error}")


def serves_embedded_postgres(args: Sequence[str]) -> bool:
    """Whether the command line is `serve … --database embedded-postgres …`."""
    if not args or args[0] != "serve":
        return False
    for index, arg in enumerate(args):
        if arg == "--database=embedded-postgres":
            return True
        if arg == "--database" and list(args[index + 1 : index + 2]) == ["embedded-postgres"]:
            return True
    return False
