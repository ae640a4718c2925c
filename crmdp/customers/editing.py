"""The edit page's write (Edit on a customer's page): every value the form shows
replaced by what it holds, unlike update-contact, where lists only grow. A
service as those of crmdp.customers.services: keyword-only, an explicit origin,
its own transaction and history line."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from crmdp.customers.locking import customer_locks, lock_identities
from crmdp.customers.models import Customer, CustomerKey, Kind, fields_of
from crmdp.customers.reading import CustomerInput
from crmdp.customers.services import customer_keys, source_of_org
from crmdp.history.services import HistoryBuffer, Origin, change_recorder
from crmdp.orgs.models import CatalogItem, User
from crmdp.orgs.permits import OWNER_AND_USERS, Permit, permit_of
from crmdp.orgs.selectors import record_type_fields


def customer_edit(
    *,
    origin: Origin,
    customer: Customer,
    data: CustomerInput,
    owner: User | None,
    permit: Permit | None,
    company: Customer | None,
    source: CatalogItem | None,
) -> list[str]:
    """Save the edit form of a customer: every value shown is replaced by what the
    form holds (a removed phone is gone), with one history line listing the changes
    and naming the member. `owner` and `permit` None: left as they are (the member
    may not change who sees the record); `source` None: no source. Returns the
    changes in words. (The edit page's rule, unlike update-contact's, where lists
    only grow.)"""
    source_of_org(origin, source)
    with transaction.atomic():
        lock_identities(origin.org.id, customer_locks(data, customer.kind))
        current = Customer.objects.select_for_update(of=("self",), no_key=True).get(
            id=customer.id, org_id=origin.org.id
        )
        changes: list[str] = []
        put = change_recorder(current, changes, _edit_shown)

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
        put("source", "source", source)
        record_type = fields_of(current.kind)
        names = {str(d.id): d.name for d in record_type_fields(current.org_id, record_type)}
        custom = {k: v for k, v in current.custom_fields.items() if k not in names}
        custom.update(data.custom_fields)
        for field_id, label in names.items():
            old, new = current.custom_fields.get(field_id), data.custom_fields.get(field_id)
            if old != new:
                changes.append(f"{label}: {_edit_shown(old)} → {_edit_shown(new)}")
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
                current.permit_users.set(permit.users if permit.status == OWNER_AND_USERS else [])
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


def _edit_shown(value: Any) -> str:
    if value in (None, "", [], {}):
        return "(empty)"
    if isinstance(value, list):
        return "|".join(str(v.get("value", v)) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, Customer):
        return f"{value.code} {value.display_name}"
    if isinstance(value, User):
        return value.email
    return f"“{value}”"
