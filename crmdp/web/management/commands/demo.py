"""`crmdp demo`: a demo org that every sample request of the vendor guide works against."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from crmdp.listeners.models import Listener
from crmdp.listeners.services import ListenerSettings, listener_create, source_named
from crmdp.orgs.models import CatalogKind, FieldType, Membership, Org, Role
from crmdp.orgs.services import catalog_add, field_add, group_get_or_create, org_create, user_add
from crmdp.orgs.tokens import issue_token

SAMPLES = Path(__file__).resolve().parents[3] / "listeners" / "samples"
DEMO_ORG = "Demo"
OWNER = "huy.nguyenviet@htklabs.com"  # the senderUser of the guide's samples
PASSWORD = "crmdp-demo"
MEMBERS = [
    ("huy.nguyen@htklabs.com", Role.MEMBER, ["Nhom test"]),
    ("luyt.ngo@htklabs.com", Role.MEMBER, ["Nhom 1"]),
    ("viethuy110@gmail.com", Role.ADMIN, []),
    ("nhanvien1@beeiq.co", Role.MEMBER, ["Nhom 1"]),
    ("nhanvien2@beeiq.co", Role.MEMBER, ["Nhom 2", "Phong Kinh Doanh"]),
]


class Command(BaseCommand):
    help = "Create the demo org (once) and print how to log in and post a sample."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="create it, print nothing")
        # scripts/run.sh passes on what it gives `crmdp serve`, so that the banner names
        # the address the server really listens on (not SITE_URL's default :8000).
        parser.add_argument("--host", help="the host `crmdp serve` listens on")
        parser.add_argument("--port", type=int, help="the port `crmdp serve` listens on")

    def handle(self, *args: Any, **options: Any) -> None:
        listener = demo_listener()
        if options["quiet"]:
            return
        site = settings.SITE_URL
        if options["host"] or options["port"]:
            host = options["host"] or "127.0.0.1"
            site = f"http://{host}:{options['port'] or 8000}"
        url = f"{site}{listener.path}"
        owner = Membership.objects.get(org=listener.org, user__email=OWNER)
        token = issue_token(owner)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "CRM Data Platform demo",
                    f"  web UI:    {site}/   (log in as {OWNER} / {PASSWORD})",
                    f"  listener:  {url}",
                    "  try it:",
                    f"    curl -s -X POST {url} -H 'Content-Type: application/json' \\",
                    f"         --data @{SAMPLES / 'add-contact.json'}",
                    f"  read API:  curl -s -H 'Authorization: Bearer {token}' \\",
                    f"               {site}/api/v1/customers",
                    "",
                ]
            )
        )


@transaction.atomic
def demo_listener() -> Listener:
    """The demo org's listener, setting the org up on first use."""
    org = Org.objects.filter(name=DEMO_ORG).first()
    if org is None:
        org = _create_demo_org()
    listener = org.listeners.order_by("id").first()
    assert listener is not None
    return listener


def _create_demo_org() -> Org:
    org, _ = org_create(
        name=DEMO_ORG, owner_email=OWNER, password=PASSWORD, phone_region="VN", currency="VND"
    )
    for email, role, groups in MEMBERS:
        user_add(org=org, email=email, role=role, groups=groups, password=PASSWORD)
    group_get_or_create(org, "Nhom test")
    for stage in ("New", "Qualified", "Proposal", "Won", "Lost"):
        catalog_add(org=org, kind=CatalogKind.STAGE, name=stage)
    catalog_add(org=org, kind=CatalogKind.CATEGORY, name="UI Design")
    catalog_add(org=org, kind=CatalogKind.PACKAGE, name="Goi A")
    catalog_add(
        org=org,
        kind=CatalogKind.SLA,
        name="custom",
        first_response_minutes=60,
        resolution_minutes=1440,
    )
    field_add(org=org, record_type="contact", name="Referred By", field_type=FieldType.TEXT)
    field_add(org=org, record_type="lead", name="Referred By", field_type=FieldType.TEXT)
    field_add(org=org, record_type="deal", name="Booking source", field_type=FieldType.TEXT)
    listener_create(
        org=org,
        settings=ListenerSettings(
            name="Website form",
            default_tag="website",
            default_contact_source=source_named(org, "Website"),
            default_lead_source=source_named(org, "Website lead"),
        ),
    )
    return org
