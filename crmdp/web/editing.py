"""The writes the pages make, in one place: each page that changes a record calls
one function here, which calls the domain's service with the member as the actor
(the same services the listener and the CLI call, so the same history, matching
and messages apply)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from crmdp.backends import rows
from crmdp.customers import keys as keymod
from crmdp.customers.locking import lock_identities
from crmdp.customers.matching import KeyIndex
from crmdp.customers.models import Customer, CustomerKey, Kind, Space, space_of
from crmdp.customers.numbering import NewCustomers
from crmdp.customers.reading import CustomerInput
from crmdp.customers.services import CustomerResult, customer_add, customer_keys, permit_of
from crmdp.deals.models import Deal
from crmdp.history.services import HistoryBuffer, Origin, Writer
from crmdp.lib.issues import Warnings
from crmdp.lib.values import name_key
from crmdp.listeners.models import Listener
from crmdp.messaging.services import queue_welcome_messages
from crmdp.notes.models import Note
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import CatalogItem, Membership, Series, User, UserGroup
from crmdp.orgs.numbering import Numbers, take_number
from crmdp.orgs.permits import Permit
from crmdp.orgs.selectors import record_type_fields
from crmdp.tickets.models import Ticket, TicketStatus


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


# -- customers --------------------------------------------------------------------------


@contextmanager
def _writer(membership: Membership, lock_keys: list[str]) -> Iterator[Writer]:
    """A Writer for one change made by hand, as a listener request's batch makes one
    for each action (crmdp.listeners.batch): the identity keys locked first, the
    org's counters, and what the change gathered (new keys, history lines, outbox
    rows) inserted before the transaction commits."""
    origin = origin_of(membership)
    org_id = membership.org_id
    with transaction.atomic():
        lock_identities(org_id, lock_keys)
        keys, numbers, new_customers = KeyIndex(org_id), Numbers(org_id), NewCustomers()
        if connection.vendor == "postgresql":
            numbers.lock()  # before any row lock, as a request takes it
        writer = Writer(
            origin,
            OrgDirectory(membership.org),
            HistoryBuffer(origin),
            Warnings(),
            keys,
            new_customers,
            numbers,
        )
        yield writer
        new_customers.flush()
        keys.flush()
        numbers.save()
        rows.insert(writer.history.entries)
        rows.insert(writer.outbox)


def _identity_locks(data: CustomerInput, kind: Kind) -> list[str]:
    space = space_of(kind)
    own = [f"{space}|{key}" for key in data.identity_keys()]
    company = data.company
    if company is not None:
        found_by = company.name_keys() + company.email_keys() + company.phone_keys()
        own += [f"{Space.CUSTOMERS}|{key}" for key in found_by]
    return own


def customer_add_by_hand(
    *,
    membership: Membership,
    data: CustomerInput,
    kind: Kind,
    owner: User | None = None,
    welcome: Listener | None = None,
) -> CustomerResult:
    """A contact, account or lead typed in by a member: matched for duplicates as
    add-contact and add-lead are (passport, email, phone, contactId), and created
    only when none exists. `welcome` is the listener whose welcome email and SMS
    the new customer gets, as if that listener had created it (None: none)."""
    with _writer(membership, _identity_locks(data, kind)) as w:
        result = customer_add(w, data, kind)
        customer = result.customer
        if result.status == "created" and customer is not None:
            if owner is not None and owner != membership.user:
                Customer.objects.filter(id=customer.id).update(owner=owner)
                customer.owner = owner
            if welcome is not None and welcome.org_id == membership.org_id:
                welcoming = Origin(org=membership.org, actor=membership.user, listener=welcome)
                # The same outbox list: the rows are inserted with the others.
                queue_welcome_messages(replace(w, origin=welcoming), customer, data.path)
    return result


@dataclass(frozen=True)
class Taken:
    """A value that already identifies another customer of the org."""

    field: str  # the form's field: email, phone, passport
    value: str
    customer: Customer


def identity_taken(
    membership: Membership, data: CustomerInput, kind: Kind, but: Customer | None = None
) -> list[Taken]:
    """Which of the emails, phones and passport typed in already belong to another
    customer of the org (among contacts and accounts, or among leads)."""
    wanted: dict[str, tuple[str, str]] = {}
    for key in data.passport_keys():
        wanted[key] = ("passport", data.passport or "")
    for _, email in data.emails:
        if email.normalized:
            wanted[keymod.email_key(email)] = ("email", email.value)
    for _, phone in data.phones:
        if phone.e164:
            wanted[keymod.phone_key(phone)] = ("phone", phone.value)
    if not wanted:
        return []
    kinds = [Kind.LEAD] if kind == Kind.LEAD else [Kind.CONTACT, Kind.ACCOUNT]
    found = CustomerKey.objects.filter(
        org_id=membership.org_id, key__in=list(wanted), kind__in=kinds
    )
    if but is not None:
        found = found.exclude(customer_id=but.id)
    taken: dict[str, Taken] = {}
    for row in found.select_related("customer").order_by("customer_id"):
        field_name, value = wanted[row.key]
        taken.setdefault(row.key, Taken(field_name, value, row.customer))
    return list(taken.values())


def customer_edit(
    *,
    membership: Membership,
    customer: Customer,
    data: CustomerInput,
    owner: User | None,
    permit: Permit | None,
    company: Customer | None,
) -> list[str]:
    """Save the edit form of a customer: every value shown is replaced by what the
    form holds (a removed phone is gone), with one history line listing the changes
    and naming the member. `owner` and `permit` None: left as they are (the member
    may not change who sees the record). Returns the changes in words."""
    origin = origin_of(membership)
    with transaction.atomic():
        lock_identities(membership.org_id, _identity_locks(data, Kind(customer.kind)))
        current = Customer.objects.select_for_update(of=("self",), no_key=True).get(
            id=customer.id, org_id=membership.org_id
        )
        changes: list[str] = []

        def put(attribute: str, label: str, value: Any) -> None:
            old = getattr(current, attribute)
            if old != value:
                setattr(current, attribute, value)
                changes.append(f"{label}: {_shown(old)} → {_shown(value)}")

        put("name", "name", data.name or current.name)
        put("lastname", "lastname", data.lastname or "")
        put("title", "title", data.title or "")
        put("passport", "passport", data.passport or "")
        put("gender", "gender", 2 if data.gender is None else data.gender)
        put("bg_info", "bgInfo", data.bg_info or "")
        put("date_of_birth", "dateOfBirth", data.date_of_birth)
        if current.kind == Kind.LEAD:
            put("company_lead", "companyLead", data.company_lead or "")
        elif current.kind == Kind.CONTACT:
            put("company", "company", company)
        put("emails", "emails", _kept_types(current.emails, data.emails, "normalized"))
        put("phones", "phones", _kept_types(current.phones, data.phones, "e164"))
        put("tags", "tags", data.tags or [])
        record_type = "lead" if current.kind == Kind.LEAD else "contact"
        names = {str(d.id): d.name for d in record_type_fields(current.org_id, record_type)}
        custom = {k: v for k, v in current.custom_fields.items() if k not in names}
        custom.update(data.custom_fields)
        for field_id, label in names.items():
            old, new = current.custom_fields.get(field_id), data.custom_fields.get(field_id)
            if old != new:
                changes.append(f"{label}: {_shown(old)} → {_shown(new)}")
        current.custom_fields = custom
        if owner is not None:
            put("owner", "owner", owner)
        if permit is not None:
            old_permit = permit_of(current)
            if (old_permit.status, old_permit.group, set(old_permit.users)) != (
                permit.status,
                permit.group,
                set(permit.users),
            ):
                changes.append(f"permit: {old_permit.describe()} → {permit.describe()}")
                current.permit_status, current.permit_group = permit.status, permit.group
                current.permit_users.set(permit.users if permit.status == 4 else [])
        if not changes:
            return []
        current.updated_at = timezone.now()
        current.save()
        _resync_keys(current)
        history = HistoryBuffer(origin)
        history.add(f"Edited by {origin.describe()}: {'; '.join(changes)}.", customer=current)
        joined = current.company_id is not None and current.company_id != customer.company_id
        if current.kind == Kind.CONTACT and joined:
            history.add(
                f"{current.code} {current.display_name} joined this company, set by "
                f"{origin.describe()}.",
                customer_id=current.company_id,
                mentions_customer=current,
            )
        history.flush()
    return changes


def _kept_types(
    stored: list[dict[str, Any]], given: list[tuple[str, Any]], same: str
) -> list[dict[str, Any]]:
    """The form's values, each keeping the type (Work, Mobile …) it had when stored."""
    types = {(entry.get(same) or entry.get("value")): entry.get("type") for entry in stored}
    entries = []
    for kind, value in given:
        identity = getattr(value, same) or value.value
        entries.append(
            {"type": types.get(identity) or kind, "value": value.value, same: getattr(value, same)}
        )
    return entries


def _resync_keys(customer: Customer) -> None:
    """The customer's CustomerKeys, as computed from what is now stored."""
    wanted = set(customer_keys(customer))
    have = set(CustomerKey.objects.filter(customer=customer).values_list("key", flat=True))
    CustomerKey.objects.filter(customer=customer, key__in=list(have - wanted)).delete()
    CustomerKey.objects.bulk_create(
        CustomerKey(org_id=customer.org_id, key=key, kind=customer.kind, customer=customer)
        for key in sorted(wanted - have)
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
