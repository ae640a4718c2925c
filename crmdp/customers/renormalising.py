"""Bringing stored customers up to the current reading rules, and finding the records
that turn out to be one person (SPEC §4: one person, one record).

When the rules that make a key change (NFKC passports, IDN email domains, phones that
must be valid), the keys already stored were made by the old ones: a contact stored
as `Ｂ１２３４` would never be found by `B1234`. `renormalise` re-reads every stored
email and phone and rebuilds every CustomerKey; it never merges records, since only a
person can tell whether two records that now share a key are one. `duplicate_groups`
lists them, for `crmdp duplicates`.

Both take the model classes as arguments so that a data migration can run them with
its historical models.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from crmdp.customers.keys import KEY_WORDS
from crmdp.customers.models import Customer, CustomerKey, Kind, space_of
from crmdp.customers.services import customer_keys
from crmdp.lib.values import read_email, read_phone

# The keys a duplicate is found by (SPEC §5's add order); names and tags are shared
# by different people all the time.
IDENTITY_PREFIXES = ("contactid:", "passport:", "email:", "phone:")
_CHUNK = 500


@dataclass
class RenormaliseReport:
    customers: int = 0  # customers read
    values_changed: int = 0  # customers whose stored emails or phones were re-read
    keys_added: int = 0
    keys_removed: int = 0


def renormalise_values(customer: Any, region: str) -> bool:
    """Re-read a customer's stored emails and phones by today's rules (the value as
    given is kept; its matching form is recomputed). True when anything changed."""
    changed = False
    for entry in customer.emails:
        normalized = read_email(str(entry.get("value", ""))).value.normalized
        if entry.get("normalized") != normalized:
            entry["normalized"] = normalized
            changed = True
    for entry in customer.phones:
        e164 = read_phone(str(entry.get("value", "")), region).value.e164
        if entry.get("e164") != e164:
            entry["e164"] = e164
            changed = True
    return changed


def renormalise(
    *,
    customer_model: Any = Customer,
    key_model: Any = CustomerKey,
    org_model: Any = None,
    org_ids: Iterable[int] | None = None,
) -> RenormaliseReport:
    """Re-read every stored email and phone and rebuild every customer's keys."""
    from crmdp.orgs.models import Org

    orgs = (org_model or Org).objects.all()
    if org_ids is not None:
        orgs = orgs.filter(id__in=list(org_ids))
    report = RenormaliseReport()
    for org in orgs.order_by("id"):
        ids = list(
            customer_model.objects.filter(org_id=org.id).order_by("id").values_list("id", flat=True)
        )
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            _renormalise_chunk(customer_model, key_model, org, chunk, report)
    return report


def _renormalise_chunk(
    customer_model: Any, key_model: Any, org: Any, ids: list[int], report: RenormaliseReport
) -> None:
    stored: dict[int, set[str]] = defaultdict(set)
    for customer_id, key in key_model.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "key"
    ):
        stored[customer_id].add(key)
    changed = []
    to_add = []
    to_remove: list[tuple[int, str]] = []
    for customer in customer_model.objects.filter(id__in=ids):
        report.customers += 1
        if renormalise_values(customer, org.phone_region):
            changed.append(customer)
        wanted = set(customer_keys(customer))
        have = stored.get(customer.id, set())
        to_add += [
            key_model(org_id=org.id, key=key, kind=customer.kind, customer_id=customer.id)
            for key in sorted(wanted - have)
        ]
        to_remove += [(customer.id, key) for key in have - wanted]
    if changed:
        customer_model.objects.bulk_update(changed, ["emails", "phones"])
        report.values_changed += len(changed)
    for customer_id, key in to_remove:
        key_model.objects.filter(customer_id=customer_id, key=key).delete()
    key_model.objects.bulk_create(to_add)
    report.keys_added += len(to_add)
    report.keys_removed += len(to_remove)


@dataclass
class DuplicateGroup:
    """Records of one org that share an identity key: likely one person."""

    org_id: int
    matched_on: str  # contactId, passport, email, phone
    value: str  # the normalised value they share
    customers: list[Any] = field(default_factory=list)  # oldest first


def duplicate_groups(
    *, org_ids: Iterable[int] | None = None, key_model: Any = None
) -> list[DuplicateGroup]:
    """Every identity key shared by more than one record of the same space
    (contacts and accounts match each other; leads only leads), as listener writes
    would match them. Nothing is merged. `customers` holds Customer rows, or only
    their ids when a migration passes its historical `key_model`."""
    load = key_model is None
    key_model = key_model or CustomerKey
    identity = key_model.objects.all()
    if org_ids is not None:
        identity = identity.filter(org_id__in=list(org_ids))
    prefixes = iter(IDENTITY_PREFIXES)
    only = identity.filter(key__startswith=next(prefixes))
    for prefix in prefixes:
        only = only | identity.filter(key__startswith=prefix)
    shared = (
        only.values("org_id", "key")
        .annotate(records=Count("customer_id", distinct=True))
        .filter(records__gt=1)
        .order_by("org_id", "key")
    )
    groups: list[DuplicateGroup] = []
    for row in shared:
        members: dict[str, list[int]] = defaultdict(list)
        for customer_id, kind in (
            key_model.objects.filter(org_id=row["org_id"], key=row["key"])
            .order_by("customer_id")
            .values_list("customer_id", "kind")
        ):
            members[space_of(kind)].append(customer_id)
        what, _, value = row["key"].partition(":")
        for ids in members.values():
            if len(ids) > 1:
                groups.append(DuplicateGroup(row["org_id"], KEY_WORDS[what], value, ids))
    if load:
        _load_customers(groups)
    return groups


def _load_customers(groups: list[DuplicateGroup]) -> None:
    wanted = {customer_id for group in groups for customer_id in group.customers}
    found = Customer.objects.in_bulk(list(wanted)) if wanted else {}
    for group in groups:
        group.customers = [found[i] for i in group.customers if i in found]


def describe(customer: Customer) -> dict[str, Any]:
    return {
        "customerId": customer.code,
        "type": "lead" if customer.kind == Kind.LEAD else customer.kind,
        "name": customer.display_name,
        "createdAt": customer.created_at.isoformat(),
    }
