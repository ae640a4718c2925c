"""Creating and changing listeners (SPEC §2)."""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import CharField, QuerySet
from django.utils import timezone

from crmdp.lib import signatures, templating
from crmdp.lib.issues import Invalid
from crmdp.lib.netaddr import parse_network
from crmdp.listeners import format_settings
from crmdp.listeners.envelope import IDEMPOTENCY_WINDOW, Inbound
from crmdp.listeners.formats.mapped import check_map
from crmdp.listeners.models import (
    Creates,
    Delivery,
    Format,
    IdempotencyRecord,
    Listener,
    default_rate_limit,
    new_token,
)
from crmdp.listeners.receiving import receive
from crmdp.orgs.models import CatalogItem, CatalogKind, Membership, Org, Role, User
from crmdp.orgs.services import catalog_get_or_create

log = logging.getLogger(__name__)


@dataclass
class ListenerSettings:
    """Everything an owner or admin sets on a listener: the one list of them, which the
    settings form (crmdp/web/listener_form.py) and `crmdp listener create` both fill.
    A new setting is a model field, a line here, a rule in `validate()` if it has one,
    and a flag on the command."""

    name: str
    allowed_ips: Sequence[str] = ()
    default_tag: str = ""
    default_contact_source: CatalogItem | None = None
    default_lead_source: CatalogItem | None = None
    email_enabled: bool = False
    email_subject: str = ""
    email_body: str = ""
    sms_enabled: bool = False
    sms_text: str = ""
    # None: no limit. Unless given, CRMDP_LISTENER_RATE_LIMIT (600 a minute).
    rate_limit_per_minute: int | None = dataclasses.field(default_factory=default_rate_limit)
    # How bodies are read (crmdp.listeners.formats) and the formats' own settings.
    format: str = Format.ACTIONS
    creates: str = Creates.LEAD
    redirect_url: str = ""
    redirect_hosts: Sequence[str] = ()
    embed_origins: Sequence[str] = ()
    form_fields: Sequence[str] = ()  # the hosted form's; empty: DEFAULT_FORM_FIELDS
    # google-ads' google_key, typeform's HMAC secret; empty: kept, or made up if none.
    format_secret: str = ""
    field_map: Mapping[str, str] = dataclasses.field(default_factory=dict)
    enabled: bool = True


# The settings a person types (`enabled` has its own switch and service).
SETTING_NAMES = tuple(f.name for f in dataclasses.fields(ListenerSettings) if f.name != "enabled")


def validate(settings: ListenerSettings, *, org: Org) -> list[Invalid]:
    """Every problem with `settings` for a listener of `org`, each naming its field (the
    UI shows them all beside their fields, the CLI the first with its flag)."""
    problems: list[Invalid] = []
    if not settings.name.strip():
        problems.append(Invalid("name", "a listener needs a name (what it is for)"))
    for field in ("name", "default_tag", "email_subject"):
        # The column's own width, so that PostgreSQL never refuses what was accepted here.
        column = Listener._meta.get_field(field)
        longest = column.max_length if isinstance(column, CharField) else None
        if longest is not None and len(getattr(settings, field).strip()) > longest:
            problems.append(Invalid(field, f"must be at most {longest} characters"))
    for entry in settings.allowed_ips:
        try:
            parse_network(entry)
        except ValueError as exc:
            problems.append(Invalid("allowed_ips", str(exc)))
    if "," in settings.default_tag:
        problems.append(Invalid("default_tag", "exactly one tag (no commas)"))
    for source, field in (
        (settings.default_contact_source, "default_contact_source"),
        (settings.default_lead_source, "default_lead_source"),
    ):
        if source is not None and source.kind != CatalogKind.SOURCE:
            problems.append(Invalid(field, "must be a customer source"))
        elif source is not None and source.org_id != org.id:
            # Tenants are walls: the same words as for an id that does not exist.
            problems.append(Invalid(field, "is not one of this org's customer sources"))
    templates = (
        ("email_subject", settings.email_enabled, settings.email_subject),
        ("email_body", settings.email_enabled, settings.email_body),
        ("sms_text", settings.sms_enabled, settings.sms_text),
    )
    for field, required, text in templates:
        if required and not text.strip():
            what = "auto email" if field.startswith("email") else "auto SMS"
            problems.append(Invalid(field, f"is required when {what} is on"))
        elif text.strip():
            try:
                templating.check(text)
            except templating.TemplateProblem as exc:
                problems.append(Invalid(field, str(exc)))
    if settings.rate_limit_per_minute is not None and settings.rate_limit_per_minute < 1:
        problems.append(Invalid("rate_limit_per_minute", "must be at least 1 request a minute"))
    problems += format_settings.check(
        format_name=settings.format,
        creates=settings.creates,
        redirect_url=settings.redirect_url,
        redirect_hosts=settings.redirect_hosts,
        embed_origins=settings.embed_origins,
        form_fields=settings.form_fields,
        format_secret=settings.format_secret,
        field_map=settings.field_map,
    )
    return problems


def _apply(listener: Listener, settings: ListenerSettings) -> None:
    problems = validate(settings, org=listener.org)
    if problems:
        raise problems[0]
    listener.name = settings.name.strip()
    listener.allowed_ips = [str(parse_network(entry)) for entry in settings.allowed_ips]
    listener.default_tag = settings.default_tag.strip()
    listener.default_contact_source = settings.default_contact_source
    listener.default_lead_source = settings.default_lead_source
    listener.email_enabled = settings.email_enabled
    listener.email_subject = settings.email_subject
    listener.email_body = settings.email_body
    listener.sms_enabled = settings.sms_enabled
    listener.sms_text = settings.sms_text
    listener.rate_limit_per_minute = settings.rate_limit_per_minute
    listener.format = settings.format
    listener.creates = settings.creates
    listener.redirect_url = settings.redirect_url.strip()
    listener.redirect_hosts = [format_settings.redirect_host(h) for h in settings.redirect_hosts]
    listener.embed_origins = [format_settings.embed_origin(o) for o in settings.embed_origins]
    listener.form_fields = format_settings.form_field_names(settings.form_fields)
    listener.field_map = check_map(dict(settings.field_map))
    if settings.format_secret.strip():
        listener.format_secret = settings.format_secret.strip()
    elif settings.format in format_settings.NEEDS_SECRET and not listener.format_secret:
        # Fail closed, never open: a key or signature secret the sender is told.
        listener.format_secret = new_token()
    listener.enabled = settings.enabled


def listener_create(
    *, org: Org, settings: ListenerSettings, actor: User | None = None, signed: bool = False
) -> Listener:
    """A new listener of `org`; `actor` is the owner or admin who made it (None: the
    operator, from the CLI). `signed`: requests must carry a Standard Webhooks
    signature, with a new secret (`listener.signing_secret`) to give the sender."""
    listener = Listener(org=org, created_by=actor)
    # Checked before the transaction: trying an org's templates (up to their time
    # budget each) never holds the write lock another org's request waits for.
    _apply(listener, settings)
    if signed:
        listener.signing_secret = signatures.new_secret()
    with transaction.atomic():
        listener.save()
    return listener


def listener_update(*, listener: Listener, settings: ListenerSettings) -> Listener:
    """Change a listener's settings; its URL, state and signing secret stay."""
    _apply(listener, settings)  # before the transaction, as in listener_create
    with transaction.atomic():
        listener.save()
    return listener


def listener_regenerate(*, listener: Listener) -> Listener:
    """A new secret URL; the old one answers 404 from the moment this commits."""
    listener.token = new_token()
    listener.save(update_fields=["token"])
    return listener


def listener_set_enabled(*, listener: Listener, enabled: bool) -> Listener:
    listener.enabled = enabled
    listener.save(update_fields=["enabled"])
    return listener


@transaction.atomic
def listener_delete(*, listener: Listener) -> None:
    """Delete a listener and its delivery log; the records it created stay, and their
    history still names it."""
    listener.delete()


def delivery_replay(delivery: Delivery, *, by: User) -> Delivery:
    """Run a stored request again, as a new delivery of the same listener.

    The stored raw body goes through the same `receive()` pipeline as any POST
    (same source address, so the same IP rule), and the new delivery is marked
    `replay_of` the old one. Matching makes a replay safe: what the first run
    created comes back as `duplicate`. Only the listener's owners and admins may
    replay, and a disabled listener accepts nothing, replays included.
    """
    listener = Listener.objects.select_related(
        "org", "default_contact_source", "default_lead_source"
    ).get(id=delivery.listener_id)
    manages = Membership.objects.filter(
        org_id=listener.org_id, user=by, is_active=True, role__in=(Role.OWNER, Role.ADMIN)
    ).exists()
    if not manages:
        raise Invalid("by", "only the org's owners and admins may replay deliveries")
    if not listener.enabled:
        raise Invalid("listener", "the listener is disabled; enable it to replay")
    body = bytes(delivery.body)
    reply = receive(
        listener,
        Inbound(
            source_ip=delivery.source_ip,
            content_type=delivery.content_type,
            declared_length=len(body),
            read_body=io.BytesIO(body).read,
            replay_of=delivery,
        ),
    )
    log.info("delivery %s replayed by %s (answer %s)", delivery.id, by.email, reply.status)
    request_id = reply.body.get("requestId")
    replay = Delivery.objects.filter(request_id=str(request_id)).first() if request_id else None
    if replay is None:  # only when even logging the failure failed
        raise Invalid("delivery", "the replay could not be stored; see the server log")
    return replay


def source_named(org: Org, name: str | None) -> CatalogItem | None:
    """The customer source called `name`, created if the org has none yet."""
    if not name or not name.strip():
        return None
    return catalog_get_or_create(org, CatalogKind.SOURCE, name)


def listener_set_signing(*, listener: Listener, signed: bool) -> str:
    """Require (with a new secret) or stop requiring signed requests; returns the
    secret to give the sender ("" when turned off). A new secret replaces the old
    at once."""
    listener.signing_secret = signatures.new_secret() if signed else ""
    listener.save(update_fields=["signing_secret"])
    return listener.signing_secret


@dataclass
class Pruned:
    deliveries: int
    idempotency_records: int


def prune(*, retention_days: int | None = None, batch: int = 1000) -> Pruned:
    """Delete deliveries older than the retention period (CRMDP_DELIVERY_RETENTION_DAYS,
    30 days) and idempotency records past their 24 hours. In batches, each its own
    transaction, so the write lock is never held long (SQLite has one)."""
    days = (
        django_settings.CRMDP_DELIVERY_RETENTION_DAYS if retention_days is None else retention_days
    )
    now = timezone.now()
    deliveries = _delete_in_batches(
        Delivery.objects.filter(received_at__lt=now - timedelta(days=days)), batch
    )
    records = _delete_in_batches(
        IdempotencyRecord.objects.filter(created_at__lt=now - IDEMPOTENCY_WINDOW), batch
    )
    return Pruned(deliveries, records)


def _delete_in_batches(rows: QuerySet[Any], batch: int) -> int:
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(rows.order_by("id").values_list("id", flat=True)[:batch])
            if not ids:
                return deleted
            rows.model.objects.filter(id__in=ids).delete()
        deleted += len(ids)
