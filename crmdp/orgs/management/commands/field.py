from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from crmdp.orgs.management.provisioning import ProvisioningCommand, org_argument
from crmdp.orgs.models import FieldType, RecordType
from crmdp.orgs.services import field_add


def _add(parser: CommandParser) -> None:
    """define a custom field for contacts, leads, deals or tickets"""
    org_argument(parser)
    parser.add_argument("--record", required=True, choices=RecordType.values)
    parser.add_argument("--name", required=True)
    parser.add_argument("--type", required=True, choices=FieldType.values, dest="field_type")
    parser.add_argument("--choice", action="append", default=[], metavar="C")


class Command(ProvisioningCommand):
    help = "Define custom fields."
    verbs = {"add": _add}

    def verb_add(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        field = field_add(
            org=self.org(options),
            record_type=options["record"],
            name=options["name"],
            field_type=options["field_type"],
            choices=options["choice"],
        )
        payload = {
            "id": field.id,
            "record": field.record_type,
            "name": field.name,
            "type": field.field_type,
            "choices": field.choices,
        }
        return payload, f"{field.record_type} field {field.id} {field.name} ({field.field_type})"
