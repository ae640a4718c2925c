"""Tickets (SPEC §5): add-ticket (and the UI's New ticket), and a ticket's status,
group and assignee. Services as in crmdp.customers.services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from crmdp.customers.locking import customer_locks
from crmdp.customers.matching import TICKET_ORDER
from crmdp.customers.models import Kind
from crmdp.customers.reading import CustomerInput
from crmdp.customers.services import Linked, customer_find_or_create
from crmdp.customers.writing import Batch, writing
from crmdp.deals.models import Deal
from crmdp.history.services import HistoryBuffer, Origin
from crmdp.lib.issues import Issue, join_path
from crmdp.orgs.models import CatalogItem, Series, User, UserGroup
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
    warnings: list[Issue] = field(default_factory=list)  # values that could not be used


def default_title(body: str) -> str:
    """The start of the body: its first line, cut at a word near TITLE_LENGTH."""
    first = " ".join(body.strip().splitlines()[0].split()) if body.strip() else ""
    if len(first) <= TITLE_LENGTH:
        return first
    cut = first[: TITLE_LENGTH - 1].rsplit(" ", 1)[0]
    return cut + "…"


def ticket_add(*, origin: Origin, data: TicketInput, batch: Batch | None = None) -> TicketResult:
    """A new ticket, its customer found (customerId → contactId → passport → email →
    phone; a known customer: `CustomerInput(path="", code=customer.code)`) or
    created from what describes it, or none; its deal by dealId, if given."""
    kind = Kind.LEAD if data.lead else Kind.CONTACT
    locks = customer_locks(data.customer, kind) if batch is None else ()
    with writing(origin, batch, locks=locks, numbering=True) as b:
        result = _ticket_add(origin, b, data)
    if batch is None:
        result.warnings = list(b.warnings)
    return result


def _ticket_add(origin: Origin, b: Batch, data: TicketInput) -> TicketResult:
    linked = customer_find_or_create(
        origin=origin,
        data=data.customer,
        lead=data.lead,
        order=TICKET_ORDER,
        why=" for a ticket",
        optional=True,
        batch=b,
    )
    deal = None
    if data.deal_id is not None:
        deal = Deal.objects.filter(org=origin.org, number=data.deal_id).first()
        if deal is None:
            b.warnings.warn(join_path(data.path, "dealId"), f"no deal {data.deal_id}; not linked")
    title = data.title
    if title and len(title) > _TITLE_MAX:
        message = f"longer than {_TITLE_MAX} characters; the start of the body is used"
        b.warnings.warn(join_path(data.path, "title"), message)
        title = None
    now = timezone.now()
    sla = data.sla
    ticket = Ticket.objects.create(
        org=origin.org,
        number=b.numbers.take(Series.TICKET),
        title=title or default_title(data.body),
        body=data.body,
        customer=linked.customer if linked else None,
        deal=deal,
        group=data.group,
        sla=sla,
        first_response_due=due_after(now, sla.first_response_minutes if sla else None),
        resolution_due=due_after(now, sla.resolution_minutes if sla else None),
        channel=data.channel,
        tags=data.tags,
        custom_fields=data.custom_fields,
        owner=origin.actor,
        created_by_listener=origin.listener,
        created_at=now,
    )
    b.history.add(
        f"Created by {origin.describe()} with status {TicketStatus(ticket.status).label}.",
        ticket=ticket,
    )
    if deal is not None:
        # Shown with the ticket's customer: whoever may not see it, may not see this.
        b.history.add(
            f"Ticket {ticket.code} “{ticket.title}” opened through {origin.describe()}.",
            deal=deal,
            mentions_customer=linked.customer if linked else None,
        )
    if linked is not None:
        b.history.add(
            f"Ticket {ticket.code} “{ticket.title}” opened through {origin.describe()}.",
            customer=linked.customer,
        )
    return TicketResult(ticket, linked, deal)


def due_after(start: datetime, minutes: int | None) -> datetime | None:
    return start + timedelta(minutes=minutes) if minutes else None


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


def ticket_set_group(*, origin: Origin, ticket: Ticket, group: UserGroup | None) -> bool:
    """Give a ticket to a group of its org (or to none), with a history line naming
    who did it. Returns whether anything changed; another org's group: ValueError."""
    if group is not None and group.org_id != origin.org.id:
        raise ValueError("not a group of the ticket's org")
    return _ticket_change(origin, ticket, "group", "Group", group, lambda g: g.name)


def ticket_set_assignee(*, origin: Origin, ticket: Ticket, assignee: User | None) -> bool:
    """Give a ticket to a member of its org (or to nobody), with a history line
    naming who did it. Returns whether anything changed; a non-member: ValueError."""
    if assignee is not None and not assignee.memberships.filter(org_id=origin.org.id).exists():
        raise ValueError("not a member of the ticket's org")
    return _ticket_change(origin, ticket, "assignee", "Assignee", assignee, lambda u: u.email)


def _ticket_change(
    origin: Origin,
    ticket: Ticket,
    attribute: str,
    label: str,
    value: Any,
    shown: Callable[[Any], str],
) -> bool:
    with transaction.atomic():
        # Locked: two people changing one ticket at once each see the other's change.
        current = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related(attribute)
            .get(id=ticket.id, org_id=origin.org.id)
        )
        old = getattr(current, attribute)
        if old == value:
            return False
        setattr(current, attribute, value)
        current.save(update_fields=[attribute])
        history = HistoryBuffer(origin)
        before = shown(old) if old is not None else "(none)"
        after = shown(value) if value is not None else "(none)"
        history.add(f"{label}: {before} → {after}, by {origin.describe()}.", ticket=current)
        history.flush()
    setattr(ticket, attribute, value)
    return True
