from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.db import transaction

from crmdp.listeners.formats.mapped import parse_map
from crmdp.listeners.models import Creates, Format, Listener, default_rate_limit
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
    parser.add_argument(
        "--format",
        choices=Format.values,
        default=Format.ACTIONS,
        help="how bodies are read (docs/listener.md, Formats); default actions",
    )
    parser.add_argument(
        "--create",
        choices=Creates.values,
        default=Creates.LEAD,
        help="what a form-like submission creates; default lead",
    )
    parser.add_argument("--redirect", default="", metavar="URL", help="form: a browser's next page")
    parser.add_argument(
        "--allow-redirect-host",
        action="append",
        default=[],
        metavar="HOST",
        help="form: a host _next may send a browser to (repeatable)",
    )
    parser.add_argument(
        "--embed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="form: a site that may frame the hosted form and post by script (repeatable)",
    )
    parser.add_argument(
        "--fields",
        default="",
        metavar="a,b,c",
        help="form: the hosted form's fields; default first_name,last_name,email,phone,message",
    )
    parser.add_argument(
        "--secret",
        default="",
        metavar="S",
        help="google-ads: the google_key; typeform: the HMAC secret (made up if not given)",
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="TARGET=PATH",
        help="mapped: where a target's value is (repeatable), e.g. email=contact.emails.0",
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
        "creates": "create",
        "redirect_url": "redirect",
        "redirect_hosts": "allow-redirect-host",
        "embed_origins": "embed-origin",
        "form_fields": "fields",
        "format_secret": "secret",
        "field_map": "map",
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
                    format=options["format"],
                    creates=options["create"],
                    redirect_url=options["redirect"],
                    redirect_hosts=options["allow_redirect_host"],
                    embed_origins=options["embed_origin"],
                    form_fields=[f for f in options["fields"].split(",") if f.strip()],
                    format_secret=options["secret"],
                    field_map=parse_map(options["map"]),
                ),
                signed=options["signed"],
            )
        payload: dict[str, Any] = {"id": listener.id, "token": listener.token, "url": listener.path}
        text = f"listener {listener.id} {listener.name!r}: {settings.SITE_URL}{listener.path}"
        if options["signed"]:
            payload["signingSecret"] = listener.signing_secret
            text += f"\nsigning secret: {payload['signingSecret']}"
        if listener.format != Format.ACTIONS:
            payload["format"] = listener.format
            text += f"\nformat: {listener.format}"
        if listener.format_secret:
            payload["secret"] = listener.format_secret
            what = "google_key" if listener.format == Format.GOOGLE_ADS else "secret"
            text += f"\n{what}: {listener.format_secret}"
        if listener.format == Format.FORM:
            payload["formUrl"] = f"/f/{listener.token}"
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
