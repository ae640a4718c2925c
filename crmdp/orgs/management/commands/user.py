from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from crmdp.api.auth import issue_token
from crmdp.orgs.management.provisioning import ProvisioningCommand, org_argument
from crmdp.orgs.models import Role
from crmdp.orgs.services import user_add


def _add(parser: CommandParser) -> None:
    """add a user to an org (groups are created if missing); prints its API token"""
    org_argument(parser)
    parser.add_argument("--email", required=True)
    parser.add_argument("--role", default=Role.MEMBER, choices=Role.values)
    parser.add_argument("--group", action="append", default=[], metavar="G")
    parser.add_argument("--password")
    parser.add_argument("--name", default="", help="the person's full name")


class Command(ProvisioningCommand):
    help = "Add users to an org."
    verbs = {"add": _add}

    def verb_add(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        membership = user_add(
            org=self.org(options),
            email=options["email"],
            role=options["role"],
            groups=options["group"],
            password=options["password"],
            full_name=options["name"],
        )
        token = issue_token(membership)
        payload = {"email": membership.user.email, "role": membership.role, "apiToken": token}
        who = f"{membership.user.email} is {membership.role} of {membership.org.name}"
        text = f"{who}\nAPI token: {token}"
        return payload, text
