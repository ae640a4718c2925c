"""add-deal (SPEC §5): find a deal by dealId, else by name; update it, or create it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from crmdp.customers.matching import LINKED_ORDER
from crmdp.customers.services import Linked, customer_find_or_create
from crmdp.deals.models import Deal
from crmdp.deals.reading import DealInput
from crmdp.history.services import Writer
from crmdp.lib.issues import ActionFailed, Issue, Warnings, join_path
from crmdp.lib.values import name_key
from crmdp.orgs.models import CatalogKind, Series
from crmdp.orgs.permits import Permit

# -- writing --------------------------------------------------------------------------


@dataclass
class DealResult:
    status: str  # created, updated
    deal: Deal
    matched_on: str | None
    customers: list[Linked]  # dealWith first (when given), then contacts


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


def deal_save(w: Writer, data: DealInput) -> DealResult:
    if data.stage_problem is not None:
        raise ActionFailed(data.stage_problem)
    deal, matched_on = deal_find(w.org.id, data, w.warnings)
    if deal is None:
        return _deal_create(w, data)
    field_names = {str(d.id): d.name for d in w.directory.custom_fields("deal").values()}
    changes = _deal_merge(deal, data, field_names)
    linked = _link_customers(w, deal, data)
    deal.updated_at = timezone.now()
    deal.save()
    summary = "; ".join(changes) or "nothing changed"
    w.history.add(f"Updated by {w.origin.describe()}, found by {matched_on}: {summary}.", deal=deal)
    return DealResult("updated", deal, matched_on, linked)


def _deal_create(w: Writer, data: DealInput) -> DealResult:
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
        org=w.org,
        number=w.numbers.take(Series.DEAL),
        name=data.name,
        name_key=name_key(data.name),
        value=data.value,
        currency=data.currency or w.directory.default(CatalogKind.CURRENCY),
        description=data.description or "",
        stage=data.stage,
        close_date=data.close_date,
        category=data.category,
        package=data.package,
        owner=w.origin.actor,
        permit_status=permit.status,
        permit_group=permit.group,
        custom_fields=data.custom_fields,
        created_by_listener=w.origin.listener,
        created_at=now,
        updated_at=now,
    )
    if permit.users:
        deal.permit_users.set(permit.users)
    if data.owner_users:
        deal.owner_users.set(data.owner_users)
    if data.owner_groups:
        deal.owner_groups.set(data.owner_groups)
    w.history.add(f"Created by {w.origin.describe()}.", deal=deal)
    linked = _link_customers(w, deal, data)
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


def _link_customers(w: Writer, deal: Deal, data: DealInput) -> list[Linked]:
    """dealWith becomes the deal's customer and each of contacts a related customer;
    each is found or created through this listener, and gets a history line."""
    linked: list[Linked] = []
    what = f"deal #{deal.number} “{deal.name}”"
    if data.customer is not None:
        found = customer_find_or_create(
            w,
            data.customer.data,
            lead=data.customer.lead,
            order=LINKED_ORDER,
            # Not naming the deal: the new customer's viewers may not see it; the
            # next line, which names it, is shown only to those who may.
            why=" as a deal's customer",
        )
        if deal.customer_id != found.customer.id:
            deal.customer = found.customer
            w.history.add(
                f"Became the customer of {what} through {w.origin.describe()}.",
                customer=found.customer,
                mentions_deal=deal,
            )
            w.history.add(
                f"Customer set to {found.customer.code} {found.customer.display_name} by "
                f"{w.origin.describe()}.",
                deal=deal,
                mentions_customer=found.customer,
            )
        linked.append(found)
    existing = set(deal.contacts.values_list("id", flat=True))
    for contact in data.contacts:
        found = customer_find_or_create(
            w,
            contact.data,
            lead=contact.lead,
            order=LINKED_ORDER,
            why=" as a deal's contact",
        )
        if found.customer.id not in existing:
            existing.add(found.customer.id)
            deal.contacts.add(found.customer)
            w.history.add(
                f"Added to {what} through {w.origin.describe()}.",
                customer=found.customer,
                mentions_deal=deal,
            )
            w.history.add(
                f"Contact {found.customer.code} {found.customer.display_name} added by "
                f"{w.origin.describe()}.",
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
        w.history.add(
            f"Linked to {what} through {w.origin.describe()}, as the company of "
            f"{found.customer.code} {found.customer.display_name}.",
            customer=company,
            mentions_deal=deal,
        )
        w.history.add(
            f"Company {company.code} {company.display_name} linked by {w.origin.describe()}.",
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
