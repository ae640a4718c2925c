"""The deal form's writes (New deal, Edit on a deal's page): what the form shows
replaces what is stored, one history line naming the member. Services as those
of crmdp.deals.services: keyword-only, an explicit origin, their own transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.deals.models import Deal
from crmdp.history.services import HistoryBuffer, Origin, change_recorder
from crmdp.lib.values import name_key
from crmdp.orgs.models import CatalogItem, Series, User, UserGroup
from crmdp.orgs.numbering import take_number
from crmdp.orgs.permits import OWNER_AND_USERS, Permit, permit_of
from crmdp.orgs.selectors import record_type_fields


def shown_change(value: Any) -> str:
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


@dataclass
class DealForm:
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


def deal_create(*, origin: Origin, values: DealForm, owner: User | None, permit: Permit) -> Deal:
    """A deal typed in by a member, as add-deal creates one: numbered in the org,
    owned by the member (or who they chose), its customer told on its timeline."""
    with transaction.atomic():
        now = timezone.now()
        deal = Deal.objects.create(
            org=origin.org,
            number=take_number(origin.org.id, Series.DEAL),
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
            owner=owner or origin.actor,
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
    origin: Origin,
    deal: Deal,
    values: DealForm,
    owner: User | None,
    permit: Permit | None,
) -> list[str]:
    """Save a deal's edit form: what it shows replaces what is stored, with one
    history line of the changes naming the member (owner and permit None: kept)."""
    with transaction.atomic():
        current = (
            Deal.objects.select_for_update(of=("self",))
            .select_related("stage", "currency", "category", "package", "customer", "owner")
            .get(id=deal.id, org_id=origin.org.id)
        )
        changes: list[str] = []
        put = change_recorder(current, changes, shown_change)

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
        put_custom_fields(current, "deal", values.custom_fields, changes)
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
            put_permit(current, permit, changes)
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


def put_custom_fields(
    record: Any, record_type: str, given: dict[str, Any], changes: list[str]
) -> None:
    """The custom fields of the form replace those of the record type; values of
    fields since removed are kept."""
    names = {str(d.id): d.name for d in record_type_fields(record.org_id, record_type)}
    custom = {k: v for k, v in record.custom_fields.items() if k not in names}
    custom.update(given)
    for field_id, label in names.items():
        old, new = record.custom_fields.get(field_id), given.get(field_id)
        if old != new:
            changes.append(f"{label}: {shown_change(old)} → {shown_change(new)}")
    record.custom_fields = custom


def put_permit(record: Any, permit: Permit, changes: list[str]) -> None:
    old = permit_of(record)
    if (old.status, old.group, set(old.users)) != (permit.status, permit.group, set(permit.users)):
        changes.append(f"permit: {old.describe()} → {permit.describe()}")
        record.permit_status, record.permit_group = permit.status, permit.group
        record.permit_users.set(permit.users if permit.status == OWNER_AND_USERS else [])
