from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandParser

from crmdp.lib.issues import Invalid
from crmdp.orgs.logins import login_unlock
from crmdp.orgs.management.provisioning import ProvisioningCommand, org_argument
from crmdp.orgs.models import Role, User
from crmdp.orgs.services import user_add, user_set_password
from crmdp.orgs.tokens import issue_token


def _add(parser: CommandParser) -> None:
    """add a user to an org (groups are created if missing); prints its API token"""
    org_argument(parser)
    parser.add_argument("--email", required=True)
    parser.add_argument("--role", default=Role.MEMBER, choices=Role.values)
    parser.add_argument("--group", action="append", default=[], metavar="G")
    parser.add_argument(
        "--password", help="a new login's password; an existing login keeps its own"
    )
    parser.add_argument("--name", default="", help="the person's full name in this org")


def _set_password(parser: CommandParser) -> None:
    """set a login's password (read from standard input unless --password is given)"""
    parser.add_argument("--email", required=True)
    parser.add_argument(
        "--password", help="the new password (visible to `ps`; prefer standard input)"
    )


def _unlock(parser: CommandParser) -> None:
    """lift the failed-login lock of an account (--email) and/or a client address (--client)"""
    parser.add_argument("--email", default="")
    parser.add_argument("--client", default="", metavar="ADDRESS")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise Invalid("password", "the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


class Command(ProvisioningCommand):
    help = "Add users to an org; set a login's password; lift a failed-login lock."
    verbs = {"add": _add, "set-password": _set_password, "unlock": _unlock}

    def verb_add(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        existed = User.objects.filter(email=options["email"].strip().lower()).exists()
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
        if existed and options["password"]:
            # Only the operator sees this: the login existed, so --password was not used.
            text += "\nThe login already existed and keeps its password (see `user set-password`)."
        return payload, text

    def verb_set_password(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        password = options["password"]
        if password is None:
            password = _read_password()
        try:
            validate_password(password)
        except ValidationError as exc:
            raise Invalid("password", " ".join(exc.messages)) from None
        user = user_set_password(email=options["email"], password=password)
        login_unlock(email=user.email)  # the person locked out can use the new one at once
        return {"email": user.email}, f"The password of {user.email} is set."

    def verb_unlock(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        email, client = options["email"].strip(), options["client"].strip()
        if not email and not client:
            raise Invalid("email", "name the account (--email) or the address (--client)")
        lifted = login_unlock(email=email, client=client)
        return {"lifted": lifted}, f"{lifted} lock(s) or count(s) lifted."
