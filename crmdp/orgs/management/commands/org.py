from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from crmdp.orgs.management.provisioning import ProvisioningCommand
from crmdp.orgs.models import Org
from crmdp.orgs.services import org_create
from crmdp.orgs.tokens import issue_token


def _create(parser: CommandParser) -> None:
    """a new org and its owner; prints the org id and an API token for the owner"""
    parser.add_argument("--name", required=True)
    parser.add_argument("--owner", required=True, metavar="EMAIL")
    parser.add_argument("--password", help="the owner's password for the web UI")
    parser.add_argument(
        "--phone-region", default="VN", help="reads national phone numbers (default VN)"
    )
    parser.add_argument("--currency", default="VND", help="the default currency (default VND)")
    parser.add_argument(
        "--country", help="how dates and numbers are read (ISO code; default: the phone region)"
    )
    parser.add_argument(
        "--timezone", help="where epoch instants fall on the calendar (default: the country's)"
    )


def _list(parser: CommandParser) -> None:
    """every org"""


class Command(ProvisioningCommand):
    help = "Create and list orgs."
    verbs = {"create": _create, "list": _list}
    flags = {"email": "owner"}

    def verb_create(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        org, membership = org_create(
            name=options["name"],
            owner_email=options["owner"],
            password=options["password"],
            phone_region=options["phone_region"],
            currency=options["currency"],
            country=options["country"],
            timezone=options["timezone"],
        )
        token = issue_token(membership)
        payload = {
            "id": org.id,
            "name": org.name,
            "owner": membership.user.email,
            "apiToken": token,
        }
        text = (
            f"Created org {org.id} {org.name!r}, owner {membership.user.email}\nAPI token: {token}"
        )
        return payload, text

    def verb_list(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        orgs = list(Org.objects.order_by("id"))
        payload = {
            "orgs": [
                {
                    "id": o.id,
                    "name": o.name,
                    "phoneRegion": o.phone_region,
                    "country": o.country,
                    "timezone": o.timezone,
                }
                for o in orgs
            ]
        }
        return payload, "\n".join(f"{o.id}\t{o.name}" for o in orgs) or "(no orgs)"
