"""The writes the pages make, in one place: each page that changes a record calls
one function here, which calls the domain's service with the member as the actor
(the same services the listener and the CLI call, so the same history, matching
and messages apply). Nothing here writes a row itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crmdp.customers.models import Customer, Kind
from crmdp.customers.reading import CustomerInput
from crmdp.customers.selectors import Taken
from crmdp.customers.selectors import identity_taken as _identity_taken
from crmdp.customers.services import CustomerResult, customer_create
from crmdp.customers.services import customer_edit as _customer_edit
from crmdp.deals.models import Deal
from crmdp.deals.services import deal_set_stage
from crmdp.history.services import HistoryBuffer, Origin
from crmdp.lib.issues import Warnings
from crmdp.lib.values import name_key
from crmdp.listeners.models import Listener
from crmdp.messaging.services import welcome_new_customers
from crmdp.notes.models import Note
from crmdp.notes.services import note_add as _note_add
from crmdp.orgs.models import CatalogItem, Membership, Series, User, UserGroup
from crmdp.orgs.numbering import take_number
from crmdp.orgs.permits import Permit
from crmdp.orgs.selectors import record_type_fields
from crmdp.tickets.models import Ticket, TicketStatus
from crmdp.tickets.services import ticket_set_assignee as _ticket_set_assignee
from crmdp.tickets.services import ticket_set_group as _ticket_set_group

__all__ = ["Taken"]


def origin_of(membership: Membership) -> Origin:
    """The member, writing through the UI."""
    return Origin.for_member(membership)


def deal_move(*, membership: Membership, deal: Deal, stage: CatalogItem) -> bool:
    """Move a deal to another stage of its org (crmdp.deals.services.deal_set_stage)."""
    return deal_set_stage(origin=origin_of(membership), deal=deal, stage=stage)


def note_add(
    *,
    membership: Membership,
    body: str,
    permit: Permit,
    customer: Customer | None = None,
    deal: Deal | None = None,
    ticket: Ticket | None = None,
) -> Note:
    """A note by the member on one record of their org (crmdp.notes.services.note_add)."""
    return _note_add(
        origin=origin_of(membership),
        body=body,
        permit=permit,
        customer=customer,
        deal=deal,
        ticket=ticket,
    )


def ticket_set_group(*, membership: Membership, ticket: Ticket, group: UserGroup | None) -> bool:
    return _ticket_set_group(origin=origin_of(membership), ticket=ticket, group=group)


def ticket_set_assignee(*, membership: Membership, ticket: Ticket, assignee: User | None) -> bool:
    return _ticket_set_assignee(origin=origin_of(membership), ticket=ticket, assignee=assignee)


# -- customers --------------------------------------------------------------------------


def customer_add_by_hand(
    *,
    membership: Membership,
    data: CustomerInput,
    kind: Kind,
    owner: User | None = None,
    welcome: Listener | None = None,
) -> CustomerResult:
    """A contact, account or lead typed in by a member, created only when it repeats
    no other (crmdp.customers.services.customer_create). `welcome` is the listener
    whose welcome email and SMS the new customer gets, as if that listener had
    created it (None: none)."""
    origin = origin_of(membership)
    # One transaction: a customer that is saved always gets its messages.
    with transaction.atomic():
        result = customer_create(origin=origin, data=data, kind=kind, owner=owner)
        if welcome is not None and welcome.org_id == membership.org_id and result.created:
            warnings = Warnings()
            welcome_new_customers(
                origin=origin,
                customers=[(customer, data.path) for customer in result.created],
                listener=welcome,
                warnings=warnings,
            )
            result.warnings += warnings
    return result


def identity_taken(
    membership: Membership, data: CustomerInput, kind: Kind, but: Customer | None = None
) -> list[Taken]:
    """Which of the emails, phones and passport typed in already belong to another
    customer of the member's org (crmdp.customers.selectors.identity_taken)."""
    return _identity_taken(membership.org_id, data, kind, but)


def customer_edit(
    *,
    membership: Membership,
    customer: Customer,
    data: CustomerInput,
    owner: User | None,
    permit: Permit | None,
    company: Customer | None,
) -> list[str]:
    """Save the edit form of a customer (crmdp.customers.services.customer_edit)."""
    return _customer_edit(
        origin=origin_of(membership),
        customer=customer,
        data=data,
        owner=owner,
        permit=permit,
        company=company,
    )


def _shown(value: Any) -> str:
    if value in (None, "", [], {}):
        return "(empty)"
    if isinstance(value, list):
        return "|".join(str(v.get("value", v)) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, Customer):
        return f"{value.code} {value.display_name}"
    if isinstance(value, User):
        return value.email
    if isinstance(value, Deal):
        return f"#{value.number} {value.name}"
    if isinstance(value, Decimal):
        return f"{value.normalize():,f}"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, CatalogItem | UserGroup):
        return value.name
    return f"“{value}”"


# -- deals ----------------------------------------------------------------------------


@dataclass
class DealValues:
    """A deal as its form holds it, read (values, dates, custom fields) and checked
    to be the org's (stage, catalogs, customer)."""

    name: str
    stage: CatalogItem
    customer: Customer | None
    value: Decimal | None = None
    currency: CatalogItem | None = None
    close_date: datetime | None = None
    category: CatalogItem | None = None
    package: CatalogItem | None = None
    description: str = ""
    custom_fields: dict[str, Any] = field(default_factory=dict)
    # owner_opportunity: who works on the deal (its record owner is another thing).
    owner_users: list[User] = field(default_factory=list)
    owner_groups: list[UserGroup] = field(default_factory=list)


def deal_create_by_hand(
    *, membership: Membership, values: DealValues, owner: User | None, permit: Permit
) -> Deal:
    """A deal typed in by a member, as add-deal creates one: numbered in the org,
    owned by the member (or who they chose), its customer told on its timeline."""
    origin = origin_of(membership)
    with transaction.atomic():
        now = timezone.now()
        deal = Deal.objects.create(
            org=membership.org,
            number=take_number(membership.org_id, Series.DEAL),
            name=values.name,
            name_key=name_key(values.name),
            value=values.value,
            currency=values.currency,
            description=values.description,
            stage=values.stage,
            close_date=values.close_date,
            category=values.category,
            package=values.package,
            customer=values.customer,
            owner=owner or membership.user,
            permit_status=permit.status,
            permit_group=permit.group,
            custom_fields=values.custom_fields,
            created_at=now,
            updated_at=now,
        )
        if permit.users:
            deal.permit_users.set(permit.users)
        deal.owner_users.set(values.owner_users)
        deal.owner_groups.set(values.owner_groups)
        history = HistoryBuffer(origin)
        history.add(f"Created by {origin.describe()}.", deal=deal)
        if values.customer is not None:
            _deal_customer_lines(history, origin, deal, values.customer)
        history.flush()
    return deal


def _deal_customer_lines(
    history: HistoryBuffer, origin: Origin, deal: Deal, customer: Customer
) -> None:
    history.add(
        f"Became the customer of deal #{deal.number} “{deal.name}” through {origin.describe()}.",
        customer=customer,
        mentions_deal=deal,
    )
    history.add(
        f"Customer set to {customer.code} {customer.display_name} by {origin.describe()}.",
        deal=deal,
        mentions_customer=customer,
    )


def deal_edit(
    *,
    membership: Membership,
    deal: Deal,
    values: DealValues,
    owner: User | None,
    permit: Permit | None,
) -> list[str]:
    """Save a deal's edit form: what it shows replaces what is stored, with one
    history line of the changes naming the member (owner and permit None: kept)."""
    origin = origin_of(membership)
    with transaction.atomic():
        current = (
            Deal.objects.select_for_update(of=("self",))
            .select_related("stage", "currency", "category", "package", "customer", "owner")
            .get(id=deal.id, org_id=membership.org_id)
        )
        changes: list[str] = []

        def put(attribute: str, label: str, value: Any) -> None:
            old = getattr(current, attribute)
            if old != value:
                setattr(current, attribute, value)
                changes.append(f"{label}: {_shown(old)} → {_shown(value)}")

        put("name", "name", values.name)
        current.name_key = name_key(current.name)
        put("value", "value", values.value)
        put("currency", "currency", values.currency)
        put("stage", "stage", values.stage)
        put("close_date", "closeDate", values.close_date)
        put("category", "category", values.category)
        put("package", "package", values.package)
        put("description", "description", values.description)
        old_customer = current.customer
        put("customer", "customer", values.customer)
        _put_custom(current, "deal", values.custom_fields, changes)
        if set(current.owner_users.all()) != set(values.owner_users):
            current.owner_users.set(values.owner_users)
            emails = ", ".join(sorted(user.email for user in values.owner_users))
            changes.append(f"owner users: {emails or 'none'}")
        if set(current.owner_groups.all()) != set(values.owner_groups):
            current.owner_groups.set(values.owner_groups)
            names = ", ".join(sorted(group.name for group in values.owner_groups))
            changes.append(f"owner groups: {names or 'none'}")
        if owner is not None:
            put("owner", "owner", owner)
        if permit is not None:
            _put_permit(current, permit, changes)
        if not changes:
            return []
        current.updated_at = timezone.now()
        current.save()
        history = HistoryBuffer(origin)
        history.add(f"Edited by {origin.describe()}: {'; '.join(changes)}.", deal=current)
        if values.customer is not None and values.customer != old_customer:
            _deal_customer_lines(history, origin, current, values.customer)
        history.flush()
    return changes


def _put_custom(record: Any, record_type: str, given: dict[str, Any], changes: list[str]) -> None:
    """The custom fields of the form replace those of the record type; values of
    fields since removed are kept."""
    names = {str(d.id): d.name for d in record_type_fields(record.org_id, record_type)}
    custom = {k: v for k, v in record.custom_fields.items() if k not in names}
    custom.update(given)
    for field_id, label in names.items():
        old, new = record.custom_fields.get(field_id), given.get(field_id)
        if old != new:
            changes.append(f"{label}: {_shown(old)} → {_shown(new)}")
    record.custom_fields = custom


def _put_permit(record: Any, permit: Permit, changes: list[str]) -> None:
    users = list(record.permit_users.all()) if record.permit_status == 4 else []
    old = Permit(record.permit_status, record.permit_group, users)
    if (old.status, old.group, set(old.users)) != (permit.status, permit.group, set(permit.users)):
        changes.append(f"permit: {old.describe()} → {permit.describe()}")
        record.permit_status, record.permit_group = permit.status, permit.group
        record.permit_users.set(permit.users if permit.status == 4 else [])


# -- tickets --------------------------------------------------------------------------


@dataclass
class TicketValues:
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


def _due(start: datetime, minutes: int | None) -> datetime | None:
    return start + timedelta(minutes=minutes) if minutes else None


def ticket_create_by_hand(*, membership: Membership, values: TicketValues) -> Ticket:
    """A ticket typed in by a member, as add-ticket creates one: numbered in the org,
    its SLA's due times counted from now, a line on its customer's and deal's
    timelines."""
    origin = origin_of(membership)
    with transaction.atomic():
        now = timezone.now()
        sla = values.sla
        ticket = Ticket.objects.create(
            org=membership.org,
            number=take_number(membership.org_id, Series.TICKET),
            title=values.title,
            body=values.body,
            status=values.status,
            customer=values.customer,
            deal=values.deal,
            group=values.group,
            assignee=values.assignee,
            sla=sla,
            first_response_due=_due(now, sla.first_response_minutes if sla else None),
            resolution_due=_due(now, sla.resolution_minutes if sla else None),
            channel=values.channel,
            tags=values.tags,
            custom_fields=values.custom_fields,
            owner=membership.user,
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


def ticket_edit(*, membership: Membership, ticket: Ticket, values: TicketValues) -> list[str]:
    """Save a ticket's edit form, with one history line of the changes naming the
    member. A new SLA policy counts its due times from the ticket's creation."""
    origin = origin_of(membership)
    with transaction.atomic():
        current = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("customer", "deal", "group", "assignee", "sla", "channel")
            .get(id=ticket.id, org_id=membership.org_id)
        )
        changes: list[str] = []

        def put(attribute: str, label: str, value: Any) -> None:
            old = getattr(current, attribute)
            if old != value:
                setattr(current, attribute, value)
                changes.append(f"{label}: {_shown(old)} → {_shown(value)}")

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
            current.first_response_due = _due(
                current.created_at, sla.first_response_minutes if sla else None
            )
            current.resolution_due = _due(
                current.created_at, sla.resolution_minutes if sla else None
            )
        put("channel", "channel", values.channel)
        put("tags", "tags", values.tags)
        _put_custom(current, "ticket", values.custom_fields, changes)
        if not changes:
            return []
        current.save()
        history = HistoryBuffer(origin)
        history.add(f"Edited by {origin.describe()}: {'; '.join(changes)}.", ticket=current)
        history.flush()
    return changes
