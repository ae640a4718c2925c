from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.db import transaction

from crmdp.listeners.models import Listener, default_rate_limit
from crmdp.listeners.services import (
    ListenerSettings,
    listener_create,
    source_named,
)
from crmdp.orgs.management.provisioning import ProvisioningCommand, org_argument, positive_int


def _create(parser: CommandParser) -> None:
    """a new listener; prints its id, token and URL path"""
    org_argument(parser)
    parser.add_argument("--name", required=True, help="what the listener is for")
    parser.add_argument("--allow-ip", action="append", default=[], metavar="CIDR")
    parser.add_argument("--default-tag", default="", metavar="T")
    parser.add_argument(
        "--contact-source", metavar="S", help="created if the org has no such source"
    )
    parser.add_argument("--lead-source", metavar="S", help="created if the org has no such source")
    parser.add_argument("--email-subject", default="", metavar="S")
    parser.add_argument("--email-body", default="", metavar="B")
    parser.add_argument("--sms-text", default="", metavar="T")
    parser.add_argument("--rate-limit", type=positive_int, metavar="PER_MINUTE")
    parser.add_argument(
        "--signed",
        action="store_true",
        help="require Standard Webhooks signatures (prints the secret)",
    )


def _list(parser: CommandParser) -> None:
    """an org's listeners"""
    org_argument(parser)


class Command(ProvisioningCommand):
    help = "Create and list listeners."
    verbs = {"create": _create, "list": _list}
    flags = {
        "allowed_ips": "allow-ip",
        "default_contact_source": "contact-source",
        "default_lead_source": "lead-source",
        "rate_limit_per_minute": "rate-limit",
    }

    def verb_create(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        org = self.org(options)
        email_on = bool(options["email_subject"] or options["email_body"])
        # One transaction: a source named here is not left behind when the
        # service refuses the listener.
        with transaction.atomic():
            listener = listener_create(
                org=org,
                settings=ListenerSettings(
                    name=options["name"],
                    allowed_ips=options["allow_ip"],
                    default_tag=options["default_tag"],
                    default_contact_source=source_named(org, options["contact_source"]),
                    default_lead_source=source_named(org, options["lead_source"]),
                    email_enabled=email_on,
                    email_subject=options["email_subject"],
                    email_body=options["email_body"],
                    sms_enabled=bool(options["sms_text"]),
                    sms_text=options["sms_text"],
                    rate_limit_per_minute=(
                        default_rate_limit()
                        if options["rate_limit"] is None
                        else options["rate_limit"]
                    ),
                ),
                signed=options["signed"],
            )
        payload: dict[str, Any] = {"id": listener.id, "token": listener.token, "url": listener.path}
        text = f"listener {listener.id} {listener.name!r}: {settings.SITE_URL}{listener.path}"
        if options["signed"]:
            payload["signingSecret"] = listener.signing_secret
            text += f"\nsigning secret: {payload['signingSecret']}"
        return payload, text

    def verb_list(self, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
        listeners = list(Listener.objects.filter(org=self.org(options)).order_by("id"))
        payload = {
            "listeners": [
                {"id": x.id, "name": x.name, "url": x.path, "enabled": x.enabled} for x in listeners
            ]
        }
        lines = [f"{x.id}\t{'on ' if x.enabled else 'off'}\t{x.name}\t{x.path}" for x in listeners]
        return payload, "\n".join(lines) or "(no listeners)"
