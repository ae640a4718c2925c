"""Deals (SPEC §5): add-deal's find-by-dealId-else-name, update or create; a deal's
move to another stage. Services as in crmdp.customers.services: keyword-only, an
explicit origin, their own transaction (or the listener's batch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from crmdp.customers.locking import customer_locks, deal_lock
from crmdp.customers.matching import LINKED_ORDER
from crmdp.customers.models import Kind
from crmdp.customers.services import Linked, customer_find_or_create
from crmdp.customers.writing import Batch, writing
from crmdp.deals.models import Deal
from crmdp.deals.reading import DealInput
from crmdp.history.services import HistoryBuffer, Origin
from crmdp.lib.issues import ActionFailed, Issue, Warnings, join_path
from crmdp.lib.values import name_key
from crmdp.orgs.models import CatalogItem, CatalogKind, Series
from crmdp.orgs.permits import Permit

# -- writing --------------------------------------------------------------------------


@dataclass
class DealResult:
    status: str  # created, updated
    deal: Deal
    matched_on: str | None
    customers: list[Linked]  # dealWith first (when given), then contacts
    warnings: list[Issue] = field(default_factory=list)  # values that could not be used


def deal_find(org_id: int, data: DealInput, warnings: Warnings) -> tuple[Deal | None, str | None]:
    """By dealId, else by name (any case; the oldest of several)."""
    if data.deal_id is not None:
        deal = Deal.objects.select_for_update().filter(org_id=org_id, number=data.deal_id).first()
        if deal is not None:
            return deal, "dealId"
        warnings.warn(
            join_path(data.path, "dealId"), f"no deal {data.deal_id_given}; looked up by name"
        )
    key = data.name_key()
    if key:
        deal = (
            Deal.objects.select_for_update()
            .filter(org_id=org_id, name_key=key)
            .order_by("id")
            .first()
        )
        if deal is not None:
            return deal, "name"
    return None, None


def deal_upsert(*, origin: Origin, data: DealInput, batch: Batch | None = None) -> DealResult:
    """add-deal (and the UI's New deal): the deal `data` names by dealId, else by
    name (any case; the oldest), updated with what was given; else a new deal
    (stage and dealWith required). Its dealWith and contacts are found or created
    (crmdp.customers.services.customer_find_or_create) and linked, each link a
    history line on both records."""
    with writing(
        origin, batch, locks=deal_locks(data) if batch is None else (), numbering=True
    ) as b:
        result = _deal_upsert(origin, b, data)
    if batch is None:
        result.warnings = list(b.warnings)
    return result


def deal_locks(data: DealInput) -> list[str]:
    """The lock keys of what `data` may create or change: the deal's name, and its
    customers' keys (crmdp.customers.locking)."""
    locks = deal_lock(data.name_key())
    for customer in [data.customer, *data.contacts]:
        if customer is not None:
            kind = Kind.LEAD if customer.lead else Kind.CONTACT
            locks += customer_locks(customer.data, kind)
    return locks


def deal_set_stage(*, origin: Origin, deal: Deal, stage: CatalogItem) -> bool:
    """Move a deal to another stage of its org (the deal board), with a history line
    naming who did it. Returns whether anything changed (the stage it is in is no
    change). Another org's deal or stage: ValueError."""
    if deal.org_id != origin.org.id or stage.org_id != deal.org_id or stage.kind != "stage":
        raise ValueError("not a stage of the deal's org")
    with transaction.atomic():
        # Locked: two people moving one deal at once each see the other's move.
        current = (
            Deal.objects.select_for_update(of=("self",))
            .select_related("stage")
            .get(id=deal.id, org_id=origin.org.id)
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


def _deal_upsert(origin: Origin, b: Batch, data: DealInput) -> DealResult:
    if data.stage_problem is not None:
        raise ActionFailed(data.stage_problem)
    deal, matched_on = deal_find(origin.org.id, data, b.warnings)
    if deal is None:
        return _deal_create(origin, b, data)
    field_names = {str(d.id): d.name for d in b.directory.custom_fields("deal").values()}
    changes = _deal_merge(deal, data, field_names)
    linked = _link_customers(origin, b, deal, data)
    deal.updated_at = timezone.now()
    deal.save()
    summary = "; ".join(changes) or "nothing changed"
    b.history.add(f"Updated by {origin.describe()}, found by {matched_on}: {summary}.", deal=deal)
    return DealResult("updated", deal, matched_on, linked)


def _deal_create(origin: Origin, b: Batch, data: DealInput) -> DealResult:
    missing = []
    if data.stage is None:
        missing.append(Issue(join_path(data.path, "stage"), "is required to create a deal"))
    if data.customer is None:
        missing.append(Issue(join_path(data.path, "dealWith"), "is required to create a deal"))
    if missing:
        raise ActionFailed(*missing)
    assert data.name is not None
    permit = data.permit or Permit()
    now = timezone.now()
    deal = Deal.objects.create(
        org=origin.org,
        number=b.numbers.take(Series.DEAL),
        name=data.name,
        name_key=name_key(data.name),
        value=data.value,
        currency=data.currency or b.directory.default(CatalogKind.CURRENCY),
        description=data.description or "",
        stage=data.stage,
        close_date=data.close_date,
        category=data.category,
        package=data.package,
        owner=origin.actor,
        permit_status=permit.status,
        permit_group=permit.group,
        custom_fields=data.custom_fields,
        created_by_listener=origin.listener,
        created_at=now,
        updated_at=now,
    )
    if permit.users:
        deal.permit_users.set(permit.users)
    if data.owner_users:
        deal.owner_users.set(data.owner_users)
    if data.owner_groups:
        deal.owner_groups.set(data.owner_groups)
    b.history.add(f"Created by {origin.describe()}.", deal=deal)
    linked = _link_customers(origin, b, deal, data)
    deal.save(update_fields=["customer"])
    return DealResult("created", deal, None, linked)


def _deal_merge(deal: Deal, data: DealInput, field_names: dict[str, str]) -> list[str]:
    """Given fields replace stored ones; returns the changes in words."""
    changes: list[str] = []

    def put(attribute: str, label: str, value: Any) -> None:
        old = getattr(deal, attribute)
        if value is not None and old != value:
            setattr(deal, attribute, value)
            changes.append(f"{label}: {_shown(old)} → {_shown(value)}")

    if data.name and deal.name != data.name:
        put("name", "name", data.name)
        deal.name_key = name_key(data.name)
    put("value", "value", data.value)
    put("currency", "currency", data.currency)
    put("description", "description", data.description)
    put("stage", "stage", data.stage)
    put("close_date", "closeDate", data.close_date)
    put("category", "category", data.category)
    put("package", "package", data.package)
    for field_id, value in data.custom_fields.items():
        old = deal.custom_fields.get(field_id)
        if old != value:
            label = field_names.get(field_id, field_id)
            changes.append(f"{label}: {_shown(old)} → {_shown(value)}")
            deal.custom_fields = {**deal.custom_fields, field_id: value}
    if data.owner_users is not None and set(deal.owner_users.all()) != set(data.owner_users):
        deal.owner_users.set(data.owner_users)
        changes.append("owner users: " + (", ".join(u.email for u in data.owner_users) or "none"))
    if data.owner_groups is not None and set(deal.owner_groups.all()) != set(data.owner_groups):
        deal.owner_groups.set(data.owner_groups)
        changes.append("owner groups: " + (", ".join(g.name for g in data.owner_groups) or "none"))
    # An unreadable permit keeps the stored one (SPEC §1: permits fail closed).
    if data.permit is not None and data.permit.readable:
        old = Permit(deal.permit_status, deal.permit_group, list(deal.permit_users.all()))
        new = data.permit
        if (old.status, old.group, set(old.users)) != (new.status, new.group, set(new.users)):
            changes.append(f"permit: {old.describe()} → {new.describe()}")
            deal.permit_status, deal.permit_group = new.status, new.group
            deal.permit_users.set(new.users)
    return changes


def _link_customers(origin: Origin, b: Batch, deal: Deal, data: DealInput) -> list[Linked]:
    """dealWith becomes the deal's customer and each of contacts a related customer;
    each is found or created through this listener, and gets a history line."""
    linked: list[Linked] = []
    what = f"deal #{deal.number} “{deal.name}”"
    if data.customer is not None:
        found = customer_find_or_create(
            origin=origin,
            batch=b,
            data=data.customer.data,
            lead=data.customer.lead,
            order=LINKED_ORDER,
            # Not naming the deal: the new customer's viewers may not see it; the
            # next line, which names it, is shown only to those who may.
            why=" as a deal's customer",
        )
        assert found is not None  # not optional: created when not found
        if deal.customer_id != found.customer.id:
            deal.customer = found.customer
            b.history.add(
                f"Became the customer of {what} through {origin.describe()}.",
                customer=found.customer,
                mentions_deal=deal,
            )
            b.history.add(
                f"Customer set to {found.customer.code} {found.customer.display_name} by "
                f"{origin.describe()}.",
                deal=deal,
                mentions_customer=found.customer,
            )
        linked.append(found)
    existing = set(deal.contacts.values_list("id", flat=True))
    for contact in data.contacts:
        found = customer_find_or_create(
            origin=origin,
            batch=b,
            data=contact.data,
            lead=contact.lead,
            order=LINKED_ORDER,
            why=" as a deal's contact",
        )
        assert found is not None
        if found.customer.id not in existing:
            existing.add(found.customer.id)
            deal.contacts.add(found.customer)
            b.history.add(
                f"Added to {what} through {origin.describe()}.",
                customer=found.customer,
                mentions_deal=deal,
            )
            b.history.add(
                f"Contact {found.customer.code} {found.customer.display_name} added by "
                f"{origin.describe()}.",
                deal=deal,
                mentions_customer=found.customer,
            )
        linked.append(found)
    # A companyContact in dealWith or contacts links the deal to that company too
    # (SPEC §5: every field the guide names is used), as one of its related customers.
    for found in list(linked):
        company = found.company.company if found.company else None
        if company is None or company.id == deal.customer_id or company.id in existing:
            continue
        existing.add(company.id)
        deal.contacts.add(company)
        b.history.add(
            f"Linked to {what} through {origin.describe()}, as the company of "
            f"{found.customer.code} {found.customer.display_name}.",
            customer=company,
            mentions_deal=deal,
        )
        b.history.add(
            f"Company {company.code} {company.display_name} linked by {origin.describe()}.",
            deal=deal,
            mentions_customer=company,
        )
    return linked


def _shown(value: Any) -> str:
    if value in (None, ""):
        return "(empty)"
    if isinstance(value, datetime):
        return value.date().isoformat()
    return f"“{value}”"
