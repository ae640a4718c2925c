"""What the provisioning commands share: `--json`, `--org ORG`, one error style."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crmdp.lib.issues import Invalid
from crmdp.orgs.models import Org
from crmdp.orgs.services import find_org


class ProvisioningCommand(BaseCommand):
    """A command with verbs (`crmdp user add …`); each verb is a method `verb_<name>`."""

    verbs: dict[str, Callable[[CommandParser], None]] = {}
    # Service field names that are spelled differently on the command line
    # (upper case: a positional argument).
    flags: dict[str, str] = {}

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        for name, configure in self.verbs.items():
            sub = verbs.add_parser(name, help=configure.__doc__)
            sub.add_argument("--json", action="store_true", help="print one JSON object")
            configure(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"verb_{options['verb'].replace('-', '_')}")
        try:
            payload, text = handler(options)
        except Invalid as exc:
            flag = self.flags.get(exc.field, exc.field.replace("_", "-"))
            # A positional argument is named as the usage line shows it (NAME).
            where = flag if flag.isupper() else f"--{flag}"
            raise CommandError(f"{where}: {exc.message}") from None
        if options["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            self.stdout.write(text)

    @staticmethod
    def org(options: dict[str, Any]) -> Org:
        return find_org(options["org"])


def org_argument(parser: CommandParser) -> None:
    parser.add_argument("--org", required=True, metavar="ORG", help="the org's id or name")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value
