"""The writes the pages make, in one place: each page that changes a record calls
one function here, which calls the domain's service with the member as the actor
(the same services the listener and the CLI call, so the same history, matching
and messages apply)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.deals.models import Deal
from crmdp.history.services import HistoryBuffer, Origin
from crmdp.notes.models import Note
from crmdp.orgs.models import CatalogItem, Membership, User, UserGroup
from crmdp.orgs.permits import Permit
from crmdp.tickets.models import Ticket


def origin_of(membership: Membership) -> Origin:
    """The member, writing through the UI."""
    return Origin(org=membership.org, actor=membership.user)


def deal_move(*, membership: Membership, deal: Deal, stage: CatalogItem) -> bool:
    """Move a deal to another stage of its org, with a history line naming who did
    it. Returns whether anything changed (the stage it is in is no change)."""
    origin = origin_of(membership)
    if stage.org_id != deal.org_id or stage.kind != "stage":
        raise ValueError("not a stage of the deal's org")
    with transaction.atomic():
        # Locked: two people moving one deal at once each see the other's move.
        current = (
            Deal.objects.select_for_update(of=("self",)).select_related("stage").get(id=deal.id)
        )
        if current.stage_id == stage.id:
            return False
        old = current.stage.name if current.stage else "(none)"
        current.stage = stage
        current.updated_at = timezone.now()
        current.save(update_fields=["stage", "updated_at"])
        history = HistoryBuffer(origin)
        history.add(f"Stage: {old} → {stage.name}, by {origin.describe()}.", deal=current)
        history.flush()
    deal.stage = stage
    return True


def note_add(
    *,
    membership: Membership,
    body: str,
    permit: Permit,
    customer: Customer | None = None,
    deal: Deal | None = None,
    ticket: Ticket | None = None,
) -> Note:
    """A note by the member on one record (a customer, a deal or a ticket of their
    org), with the history line add-note writes: "Note added by …: “…”."."""
    origin = origin_of(membership)
    records = [record for record in (customer, deal, ticket) if record is not None]
    if len(records) != 1 or records[0].org_id != membership.org_id:
        raise ValueError("a note is on one record of the member's org")
    with transaction.atomic():
        note = Note.objects.create(
            org=membership.org,
            body=body,
            customer=customer,
            deal=deal,
            ticket=ticket,
            owner=origin.actor,
            permit_status=permit.status,
            permit_group=permit.group,
        )
        if permit.users:
            note.permit_users.set(permit.users)
        history = HistoryBuffer(origin)
        history.add(
            f"Note added by {origin.describe()}: “{_excerpt(body)}”.",
            customer=customer,
            deal=deal,
            ticket=ticket,
            mentions_note=note,
        )
        history.flush()
    return note


def _excerpt(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def ticket_set_group(*, membership: Membership, ticket: Ticket, group: UserGroup | None) -> bool:
    """Give a ticket to a group of its org (or to none), with a history line."""
    if group is not None and group.org_id != ticket.org_id:
        raise ValueError("not a group of the ticket's org")
    return _ticket_change(membership, ticket, "group", "Group", group, lambda g: g.name)


def ticket_set_assignee(*, membership: Membership, ticket: Ticket, assignee: User | None) -> bool:
    """Give a ticket to a member of its org (or to nobody), with a history line."""
    if assignee is not None and not assignee.memberships.filter(org_id=ticket.org_id).exists():
        raise ValueError("not a member of the ticket's org")
    return _ticket_change(membership, ticket, "assignee", "Assignee", assignee, lambda u: u.email)


def _ticket_change(
    membership: Membership,
    ticket: Ticket,
    attribute: str,
    label: str,
    value: Any,
    shown: Callable[[Any], str],
) -> bool:
    origin = origin_of(membership)
    with transaction.atomic():
        current = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related(attribute)
            .get(id=ticket.id, org_id=membership.org_id)
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
