"""The ticket form's writes (New ticket, Edit on a ticket's page). Services as
those of crmdp.tickets.services: keyword-only, an explicit origin, their own
transaction and history line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.deals.editing import put_custom_fields, shown_change
from crmdp.deals.models import Deal
from crmdp.history.services import HistoryBuffer, Origin, change_recorder
from crmdp.orgs.models import CatalogItem, Series, User, UserGroup
from crmdp.orgs.numbering import take_number
from crmdp.tickets.models import Ticket, TicketStatus
from crmdp.tickets.services import due_after


@dataclass
class TicketForm:
    """A ticket as its form holds it, checked to be the org's."""

    title: str
    body: str = ""
    status: str = TicketStatus.NEW
    customer: Customer | None = None
    deal: Deal | None = None
    group: UserGroup | None = None
    assignee: User | None = None
    sla: CatalogItem | None = None
    channel: CatalogItem | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)


def ticket_create(*, origin: Origin, values: TicketForm) -> Ticket:
    """A ticket typed in by a member, as add-ticket creates one: numbered in the org,
    its SLA's due times counted from now, a line on its customer's and deal's
    timelines."""
    with transaction.atomic():
        now = timezone.now()
        sla = values.sla
        ticket = Ticket.objects.create(
            org=origin.org,
            number=take_number(origin.org.id, Series.TICKET),
            title=values.title,
            body=values.body,
            status=values.status,
            customer=values.customer,
            deal=values.deal,
            group=values.group,
            assignee=values.assignee,
            sla=sla,
            first_response_due=due_after(now, sla.first_response_minutes if sla else None),
            resolution_due=due_after(now, sla.resolution_minutes if sla else None),
            channel=values.channel,
            tags=values.tags,
            custom_fields=values.custom_fields,
            owner=origin.actor,
            created_at=now,
        )
        history = HistoryBuffer(origin)
        status = TicketStatus(ticket.status).label
        history.add(f"Created by {origin.describe()} with status {status}.", ticket=ticket)
        opened = f"Ticket {ticket.code} “{ticket.title}” opened by {origin.describe()}."
        if values.deal is not None:
            history.add(opened, deal=values.deal, mentions_customer=values.customer)
        if values.customer is not None:
            history.add(opened, customer=values.customer)
        history.flush()
    return ticket


def ticket_edit(*, origin: Origin, ticket: Ticket, values: TicketForm) -> list[str]:
    """Save a ticket's edit form, with one history line of the changes naming the
    member. A new SLA policy counts its due times from the ticket's creation."""
    with transaction.atomic():
        current = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("customer", "deal", "group", "assignee", "sla", "channel")
            .get(id=ticket.id, org_id=origin.org.id)
        )
        changes: list[str] = []
        put = change_recorder(current, changes, shown_change)

        old_status = TicketStatus(current.status).label
        if current.status != values.status:
            current.status = values.status
            changes.append(f"status: {old_status} → {TicketStatus(values.status).label}")
        put("title", "title", values.title)
        put("body", "body", values.body)
        put("customer", "customer", values.customer)
        put("deal", "deal", values.deal)
        put("group", "group", values.group)
        put("assignee", "assignee", values.assignee)
        if current.sla != values.sla:
            put("sla", "SLA", values.sla)
            sla = values.sla
            current.first_response_due = due_after(
                current.created_at, sla.first_response_minutes if sla else None
            )
            current.resolution_due = due_after(
                current.created_at, sla.resolution_minutes if sla else None
            )
        put("channel", "channel", values.channel)
        put("tags", "tags", values.tags)
        put_custom_fields(current, "ticket", values.custom_fields, changes)
        if not changes:
            return []
        current.save()
        history = HistoryBuffer(origin)
        history.add(f"Edited by {origin.describe()}: {'; '.join(changes)}.", ticket=current)
        history.flush()
    return changes
