"""add-ticket (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from crmdp.customers.matching import CUSTOMER_KINDS, TICKET_ORDER, find_by
from crmdp.customers.models import Customer, Kind
from crmdp.customers.reading import CustomerInput
from crmdp.customers.services import Linked, customer_create
from crmdp.deals.models import Deal
from crmdp.history.services import HistoryBuffer, Origin, Writer
from crmdp.lib.issues import join_path
from crmdp.orgs.models import CatalogItem, Series, UserGroup
from crmdp.tickets.models import Ticket, TicketStatus

TITLE_LENGTH = 80
_TITLE_MAX = 500  # Ticket.title's max_length (PostgreSQL refuses longer, SQLite would keep it)


@dataclass
class TicketInput:
    path: str
    body: str
    title: str | None
    customer: CustomerInput
    lead: bool
    deal_id: int | None = None
    group: UserGroup | None = None
    sla: CatalogItem | None = None
    channel: CatalogItem | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class TicketResult:
    ticket: Ticket
    customer: Linked | None
    deal: Deal | None


def default_title(body: str) -> str:
    """The start of the body: its first line, cut at a word near TITLE_LENGTH."""
    first = " ".join(body.strip().splitlines()[0].split()) if body.strip() else ""
    if len(first) <= TITLE_LENGTH:
        return first
    cut = first[: TITLE_LENGTH - 1].rsplit(" ", 1)[0]
    return cut + "…"


def ticket_add(w: Writer, data: TicketInput) -> TicketResult:
    linked = _ticket_customer(w, data)
    deal = None
    if data.deal_id is not None:
        deal = Deal.objects.filter(org=w.org, number=data.deal_id).first()
        if deal is None:
            w.warnings.warn(join_path(data.path, "dealId"), f"no deal {data.deal_id}; not linked")
    title = data.title
    if title and len(title) > _TITLE_MAX:
        message = f"longer than {_TITLE_MAX} characters; the start of the body is used"
        w.warnings.warn(join_path(data.path, "title"), message)
        title = None
    now = timezone.now()
    sla = data.sla
    ticket = Ticket.objects.create(
        org=w.org,
        number=w.numbers.take(Series.TICKET),
        title=title or default_title(data.body),
        body=data.body,
        customer=linked.customer if linked else None,
        deal=deal,
        group=data.group,
        sla=sla,
        first_response_due=_due(now, sla.first_response_minutes if sla else None),
        resolution_due=_due(now, sla.resolution_minutes if sla else None),
        channel=data.channel,
        tags=data.tags,
        custom_fields=data.custom_fields,
        owner=w.origin.actor,
        created_by_listener=w.origin.listener,
        created_at=now,
    )
    w.history.add(
        f"Created by {w.origin.describe()} with status {TicketStatus(ticket.status).label}.",
        ticket=ticket,
    )
    if deal is not None:
        # Shown with the ticket's customer: whoever may not see it, may not see this.
        w.history.add(
            f"Ticket {ticket.code} “{ticket.title}” opened through {w.origin.describe()}.",
            deal=deal,
            mentions_customer=linked.customer if linked else None,
        )
    if linked is not None:
        w.history.add(
            f"Ticket {ticket.code} “{ticket.title}” opened through {w.origin.describe()}.",
            customer=linked.customer,
        )
    return TicketResult(ticket, linked, deal)


def _due(start: datetime, minutes: int | None) -> datetime | None:
    return start + timedelta(minutes=minutes) if minutes else None


def _ticket_customer(w: Writer, data: TicketInput) -> Linked | None:
    """customerId → contactId → passport → email → phone; else, when a name, email
    or phone is given, a new customer through this listener; else none."""
    who = data.customer
    kinds = (Kind.LEAD,) if data.lead else CUSTOMER_KINDS
    match = find_by(w.keys, kinds, who, TICKET_ORDER)
    if match is not None:
        return Linked(Customer.objects.get(id=match.customer_id), created=False, match=match)
    if not (who.name or who.emails or who.phones):
        w.warnings.warn(
            data.path,
            "no customer matches and none is described (name, email or phone); "
            "the ticket has no customer",
        )
        return None
    if not who.name:
        # A customer needs a name: it is named after what identifies it.
        named = who.emails[0][1].value if who.emails else who.phones[0][1].value
        who = replace(who, name=named)
        w.warnings.warn(
            join_path(data.path, "name"), f"no name given; the new customer is named {named!r}"
        )
    kind = Kind.LEAD if data.lead else (Kind.ACCOUNT if who.wants_account else Kind.CONTACT)
    return Linked(customer_create(w, who, kind, why=" for a ticket"), created=True)


def ticket_set_status(*, ticket: Ticket, status: str, origin: Origin) -> bool:
    """Move a ticket to another status, with a history line naming who did it.
    Returns whether anything changed (setting the status it has is no change)."""
    new = TicketStatus(status)  # ValueError for a status that does not exist
    with transaction.atomic():
        # Locked: two people changing one ticket at once each see the other's change.
        current = Ticket.objects.select_for_update().get(id=ticket.id, org_id=origin.org.id)
        if current.status == new:
            return False
        old = TicketStatus(current.status)
        current.status = new
        current.save(update_fields=["status"])
        history = HistoryBuffer(origin)
        history.add(f"Status: {old.label} → {new.label}, by {origin.describe()}.", ticket=current)
        history.flush()
    ticket.status = new
    return True
