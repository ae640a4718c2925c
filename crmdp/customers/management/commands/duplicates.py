"""`crmdp duplicates`: records that share an identity key and are likely one person."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crmdp.customers.renormalising import describe, duplicate_groups
from crmdp.lib.issues import Invalid
from crmdp.orgs.models import Org
from crmdp.orgs.services import find_org


class Command(BaseCommand):
    help = (
        "List records of the same org that share a contactId, passport, email or phone "
        "(after normalisation): likely one person. Nothing is merged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="ORG", help="only this org (id or name)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        org_ids = None
        if options["org"]:
            try:
                org_ids = [find_org(options["org"]).id]
            except Invalid as exc:
                raise CommandError(f"--org: {exc.message}") from None
        groups = duplicate_groups(org_ids=org_ids)
        names = dict(
            Org.objects.filter(id__in={g.org_id for g in groups}).values_list("id", "name")
        )
        if options["json"]:
            payload = {
                "groups": [
                    {
                        "org": names[group.org_id],
                        "matchedOn": group.matched_on,
                        "value": group.value,
                        "records": [describe(customer) for customer in group.customers],
                    }
                    for group in groups
                ]
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        if not groups:
            self.stdout.write(
                "No duplicates: no two records share a contactId, passport, email or phone."
            )
            return
        for group in groups:
            records = ", ".join(
                f"{customer.code} {customer.display_name}" for customer in group.customers
            )
            self.stdout.write(f"{names[group.org_id]}\t{group.matched_on} {group.value}\t{records}")
        self.stdout.write(f"{len(groups)} shared keys; nothing was merged.")
