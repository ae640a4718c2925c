from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from crmdp.orgs.management.provisioning import ProvisioningCommand, org_argument, positive_int
from crmdp.orgs.models import CatalogKind
from crmdp.orgs.services import catalog_add, group_get_or_create

KINDS = [*CatalogKind.values, "group"]


def _add(parser: CommandParser) -> None:
    """add a source, stage, category, package, currency, SLA policy, channel or group"""
    org_argument(parser)
    parser.add_argument("kind", choices=KINDS, metavar="KIND", help=", ".join(KINDS))
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--first-response", type=positive_int, metavar="MIN", help="SLA: minutes")
    parser.add_argument("--resolution", type=positive_int, metavar="MIN", help="SLA: minutes")
    parser.add_argument(
        "--default", action="store_true", help="currency: make it the org's default"
    )


class Command(ProvisioningCommand):
    help = "Add entries to an org's catalogs."
    verbs = {"add": _add}
    flags = {"name": "NAME", "currency": "NAME", "group": "NAME", "sla": "first-response"}

    def verb_add(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        org = self.org(options)
        if options["kind"] == "group":
            group = group_get_or_create(org, options["name"])
            return {
                "id": group.id,
                "kind": "group",
                "name": group.name,
            }, f"group {group.id} {group.name}"
        item = catalog_add(
            org=org,
            kind=options["kind"],
            name=options["name"],
            first_response_minutes=options["first_response"],
            resolution_minutes=options["resolution"],
            default=options["default"],
        )
        payload: dict[str, Any] = {"id": item.id, "kind": item.kind, "name": item.name}
        if item.kind == CatalogKind.SLA:
            payload |= {
                "firstResponse": item.first_response_minutes,
                "resolution": item.resolution_minutes,
            }
        if item.kind == CatalogKind.CURRENCY:
            payload["default"] = item.is_default
        if item.kind == CatalogKind.STAGE:
            payload["position"] = item.position
        return payload, f"{item.get_kind_display()} {item.id} {item.name}"
