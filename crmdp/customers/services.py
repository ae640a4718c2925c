"""Creating and updating customers (SPEC §5): the services the listener, the web
UI and the CLI call. Each public one is keyword-only, takes values already read
(crmdp.customers.reading) and who writes (`origin`), and owns its transaction
and history lines: without a `batch` it is one transaction of its own, with the
listener's batch it runs inside that (crmdp.customers.writing).

Over 400 lines on purpose: create, update and find-or-create share the insert,
the merge of given values and the key bookkeeping, which stay private to them.
(The edit page's replace-everything write is crmdp.customers.editing.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import timezone

from crmdp.backends import rows
from crmdp.customers import keys as keymod
from crmdp.customers.locking import code_lock, customer_locks
from crmdp.customers.matching import (
    Match,
    UpdateTarget,
    find_by,
    find_company,
    find_duplicate,
    find_for_update,
)
from crmdp.customers.models import (
    CUSTOMER_KINDS,
    SERIES,
    Customer,
    Kind,
    fields_of,
    kinds_matched_with,
)
from crmdp.customers.reading import CustomerInput
from crmdp.customers.writing import Batch, writing
from crmdp.history.services import Origin
from crmdp.lib.issues import ActionFailed, Issue, join_path
from crmdp.lib.values import Email, Phone, name_key
from crmdp.orgs.models import CatalogItem, CatalogKind, User
from crmdp.orgs.permits import Permit, permit_of


@dataclass
class CompanyLink:
    company: Customer
    created: bool
    matched_on: str | None = None


@dataclass
class CustomerResult:
    """What an add or update did: the customer, how it was found, the company."""

    status: str  # created, duplicate, updated, not_found
    customer: Customer | None = None
    match: Match | None = None
    company: CompanyLink | None = None
    created: list[Customer] = field(default_factory=list)  # every new customer
    warnings: list[Issue] = field(default_factory=list)  # values that could not be used


# -- add ------------------------------------------------------------------------------


def customer_create(
    *,
    origin: Origin,
    data: CustomerInput,
    kind: Kind,
    owner: User | None = None,
    source: CatalogItem | None = None,
    batch: Batch | None = None,
) -> CustomerResult:
    """A new contact, account or lead, unless it repeats one (add-contact, add-lead,
    the UI's New …): looked for by contactId → passport → email → phone (among
    contacts and accounts, or among leads); a duplicate is not created but returned
    (`status` "duplicate", `match` says by what) with a history line. A contact's
    `companyContact` account is found or created and linked. `owner`: who owns
    the new record (default: the origin's actor). `source`: one of the org's
    customer sources, chosen by hand (default: the listener's default source)."""
    source_of_org(origin, source)
    locks = customer_locks(data, kind) if batch is None else ()
    with writing(origin, batch, locks=locks, numbering=True) as b:
        result = _customer_add(origin, b, data, kind, owner=owner, source=source)
    if batch is None:
        result.warnings = list(b.warnings)
    return result


def source_of_org(origin: Origin, source: CatalogItem | None) -> None:
    """Fail closed on a source that is not one of origin.org's customer sources (a
    caller that let another org's id through must not tag a record with it)."""
    if source is not None and (source.org_id != origin.org.id or source.kind != CatalogKind.SOURCE):
        raise ActionFailed(Issue("source", "is not one of this organisation's customer sources"))


def _customer_add(
    origin: Origin,
    b: Batch,
    data: CustomerInput,
    kind: Kind,
    *,
    owner: User | None = None,
    source: CatalogItem | None = None,
) -> CustomerResult:
    match = find_duplicate(b.keys, kinds_matched_with(kind), data)
    if match is not None:
        existing = match.customer(origin.org.id)
        b.history.add(
            f"Arrived again through {origin.describe()} and matched on {match.matched_on} "
            f"{match.value}: nothing changed. Received: {data.summary()}.",
            customer=existing,
        )
        return CustomerResult("duplicate", existing, match)

    company = None
    if data.company is not None:
        if kind == Kind.CONTACT:
            company = _company_find_or_create(origin, b, data.company)
        else:
            b.warnings.warn(
                join_path(data.path, "companyContact"),
                "only a contact (type 0) belongs to a company; ignored",
            )
    customer = _customer_insert(
        origin,
        b,
        data,
        kind,
        company=company.company if company else None,
        owner=owner,
        source=source,
    )
    if company is not None:
        b.history.add(
            f"{customer.code} {customer.display_name} joined this company through "
            f"{origin.describe()}.",
            customer=company.company,
            mentions_customer=customer,
        )
    created = [customer] + ([company.company] if company and company.created else [])
    return CustomerResult("created", customer, company=company, created=created)


def _customer_insert(
    origin: Origin,
    b: Batch,
    data: CustomerInput,
    kind: Kind,
    *,
    company: Customer | None = None,
    why: str = "",
    owner: User | None = None,
    source: CatalogItem | None = None,
) -> Customer:
    """A new customer: through a listener, its default source and tag apply (SPEC
    §2), unless a `source` is chosen; the sender (or `owner`) owns it. Its welcome
    messages are the listener's to queue (crmdp.messaging.services), for every
    customer in `b.created`."""
    if not data.name:
        raise ActionFailed(Issue(join_path(data.path, "name"), "is required to create a customer"))
    listener = origin.listener
    if listener is not None:
        source_id = (
            listener.default_lead_source_id
            if kind == Kind.LEAD
            else listener.default_contact_source_id
        )
        default_tags = [listener.default_tag] if listener.default_tag else []
    else:
        source_id, default_tags = None, []
    if source is not None:
        source_id = source.id
    permit = data.permit or Permit()
    now = timezone.now()
    customer = rows.build(
        Customer,
        org=origin.org,
        kind=kind,
        name=data.name,
        lastname=data.lastname or "",
        title=data.title or "",
        passport=data.passport or "",
        gender=2 if data.gender is None else data.gender,
        bg_info=data.bg_info or "",
        date_of_birth=data.date_of_birth,
        contact_id=data.contact_id or "",
        emails=[_email_entry(kind_, email) for kind_, email in data.emails],
        phones=[_phone_entry(kind_, phone) for kind_, phone in data.phones],
        addresses=data.addresses,
        im=data.im,
        websites=data.websites,
        # The default tag only when the data carries no tag of its own (SPEC §2).
        tags=data.tags if data.tags is not None else default_tags,
        custom_fields=data.custom_fields,
        attribution=data.attribution,
        source_id=source_id,
        owner=owner or origin.actor,
        permit_status=permit.status,
        permit_group=permit.group,
        company=company,
        company_lead=data.company_lead or "",
        created_by_listener_id=listener.id if listener else None,
        created_at=now,
        updated_at=now,
    )
    customer.number = b.numbers.take(SERIES[Kind(kind)])
    if b.defer_new_customers:  # inserted with the request's others (see numbering)
        customer.id = b.new_customers.take_id()
        b.deferred.append(customer)
    else:
        b.new_customers.insert_now(customer)
    if permit.users:
        customer.permit_users.set(permit.users)
    for key in customer_keys(customer):
        b.keys.add(key, customer.id, kind, customer.number)
    b.history.add(f"Created by {origin.describe()}{why}.", customer=customer)
    b.created.append((customer, data.path))
    return customer


def _company_find_or_create(origin: Origin, b: Batch, data: CustomerInput) -> CompanyLink | None:
    """The account `companyContact` names: found (customerId → name → emails → phones)
    or created as a new account through this listener."""
    match = find_company(b.keys, data)
    if match is not None:
        company = Customer.objects.get(id=match.customer_id)
        return CompanyLink(company, created=False, matched_on=match.matched_on)
    if not data.name:
        b.warnings.warn(
            join_path(data.path, "name"),
            "no account matches and a new one needs a name; the contact is not linked",
        )
        return None
    company = _customer_insert(origin, b, data, Kind.ACCOUNT, why=" as a company (companyContact)")
    return CompanyLink(company, created=True)


# -- update ---------------------------------------------------------------------------


def customer_update(
    *,
    origin: Origin,
    data: CustomerInput,
    kinds: tuple[Kind, ...] = CUSTOMER_KINDS,
    relink_company: bool = True,
    batch: Batch | None = None,
) -> CustomerResult:
    """update-contact / update-lead (SPEC §5): find the one record `data` names
    among `kinds` (customerId → contactId → passport → name → emails → phones) and
    merge what was given: given values replace, lists only grow. Never creates the
    record (`status` "not_found"); several candidates fail (ActionFailed).
    `relink_company`: a contact's `companyContact` moves it to that account."""
    locks = customer_locks(data, kinds[0]) + code_lock(data.code) if batch is None else ()
    # Only a companyContact can number a new record (the account it creates).
    with writing(origin, batch, locks=locks, numbering=data.company is not None) as b:
        result = _customer_update(origin, b, data, kinds, relink_company=relink_company)
    if batch is None:
        result.warnings = list(b.warnings)
    return result


def _customer_update(
    origin: Origin, b: Batch, data: CustomerInput, kinds: tuple[Kind, ...], *, relink_company: bool
) -> CustomerResult:
    target = find_for_update(b.keys, kinds, data)
    if target.ambiguous:
        raise ActionFailed(
            Issue(
                data.path,
                f"{target.ambiguous} records match; send a customerId, contactId or passport "
                "to say which one",
            )
        )
    if target.match is None:
        b.warnings.warn(
            data.path,
            f"no {' or '.join(kinds)} matches {data.keys_given()}; nothing was changed "
            "(an update never creates a record)",
        )
        return CustomerResult("not_found")

    # FOR UPDATE: a concurrent add-note or update on this record waits, so neither
    # change is lost (a no-op on SQLite, where writers are serialised already).
    # NO KEY: rows that merely reference this one (history lines, keys, contacts of
    # this company) take KEY SHARE locks for their foreign keys, at COMMIT since the
    # constraints are deferred; a plain FOR UPDATE would block those and let two
    # requests wait for each other (PostgreSQL's deadlock, found by tests/server).
    customer = Customer.objects.select_for_update(no_key=True).get(id=target.match.customer_id)
    _warn_contradictions(origin, b, data, customer, target)
    old_keys = set(customer_keys(customer))
    changes = merge_into(customer, data, b)

    company = None
    if data.company is not None:
        if relink_company and customer.kind == Kind.CONTACT:
            company = _company_find_or_create(origin, b, data.company)
            if company is not None and customer.company_id != company.company.id:
                left = customer.company_id
                customer.company = company.company
                changes.append("company changed")
                # Lines of their own: each names a record the other's viewers may not see.
                how = origin.describe()
                b.history.add(
                    f"Now works for {company.company.display_name} ({company.company.code}), "
                    f"set by {how}.",
                    customer=customer,
                    mentions_customer=company.company,
                )
                b.history.add(
                    f"{customer.code} {customer.display_name} joined this company through {how}.",
                    customer=company.company,
                    mentions_customer=customer,
                )
                if left is not None:
                    # The company left behind is told too (issue 14: history tells the
                    # whole story); not where the contact went, which its viewers may
                    # not see.
                    b.history.add(
                        f"{customer.code} {customer.display_name} left this company, moved "
                        f"to another one by {how}.",
                        customer_id=left,
                        mentions_customer=customer,
                    )
        else:
            b.warnings.warn(
                join_path(data.path, "companyContact"),
                "only a contact belongs to a company; ignored",
            )

    customer.updated_at = timezone.now()
    customer.save()
    _sync_keys(b, customer, old_keys)
    summary = "; ".join(changes) if changes else "nothing changed"
    b.history.add(
        f"Updated by {origin.describe()}, found by {target.match.matched_on} "
        f"{target.match.value}: {summary}.",
        customer=customer,
    )
    created = [company.company] if company and company.created else []
    return CustomerResult("updated", customer, target.match, company=company, created=created)


# The request field each matching key comes from, for a warning's path.
_KEY_FIELDS = {"email": "emails", "phone": "phones"}


def _warn_contradictions(
    origin: Origin, b: Batch, data: CustomerInput, customer: Customer, target: UpdateTarget
) -> None:
    """Keys of one update that point at different records (name → X, email → Y):
    the update goes to the record the first matching key found, and each other key
    says which record it names instead (issue 14: contradicting keys warn)."""
    if not target.contradictions or target.match is None:
        return
    ids = {i for _, _, group in target.contradictions for i in group}
    codes = {c.id: c.code for c in Customer.objects.filter(id__in=ids).only("id", "kind")}
    found = f"{target.match.matched_on} {target.match.value}"
    for key, shown, group in target.contradictions:
        others = ", ".join(codes[i] for i in group if i in codes)
        b.warnings.warn(
            join_path(data.path, _KEY_FIELDS.get(key, key)),
            f"{key} {shown} belongs to {others}, not to {customer.code}; {customer.code} "
            f"(found by {found}) was updated and {others} left as it was",
        )


def merge_into(customer: Customer, data: CustomerInput, b: Batch) -> list[str]:
    """Apply an update's values (SPEC §5): given scalars replace, lists only grow,
    tags are added, custom fields set, the permit replaced, the source kept.
    Returns the changes in words, for the history line."""
    changes: list[str] = []
    labels = {"bg_info": "bgInfo", "date_of_birth": "dateOfBirth", "contact_id": "contactId"}
    for name, value in data.given_scalars().items():
        old = getattr(customer, name)
        if old != value:
            setattr(customer, name, value)
            changes.append(f"{labels.get(name, name)}: {_shown(old)} → {_shown(value)}")
    if data.company_lead is not None and customer.company_lead != data.company_lead:
        changes.append(
            f"companyLead: {_shown(customer.company_lead)} → {_shown(data.company_lead)}"
        )
        customer.company_lead = data.company_lead

    def grow(
        attribute: str,
        label: str,
        entries: list[dict[str, Any]],
        same: Callable[[dict[str, Any]], Any],
        show: str,
    ) -> None:
        current: list[dict[str, Any]] = getattr(customer, attribute)
        seen = {same(entry) for entry in current}
        for entry in entries:
            if same(entry) not in seen:
                seen.add(same(entry))
                current.append(entry)
                changes.append(f"{label} added: {entry[show]}")

    grow("emails", "email", [_email_entry(t, e) for t, e in data.emails], _email_identity, "value")
    grow("phones", "phone", [_phone_entry(t, p) for t, p in data.phones], _phone_identity, "value")
    grow("addresses", "address", data.addresses, _address_identity, "street")
    grow("im", "IM", data.im, lambda e: (e["protocol"], e["value"].casefold()), "value")
    grow("websites", "website", data.websites, lambda e: e["value"].casefold(), "value")

    if data.tags:
        have = {name_key(tag) for tag in customer.tags}
        added = [tag for tag in data.tags if name_key(tag) not in have]
        if added:
            customer.tags = [*customer.tags, *added]
            changes.append("tags added: " + ", ".join(added))

    definitions = {
        str(d.id): d.name for d in b.directory.custom_fields(fields_of(customer.kind)).values()
    }
    for field_id, value in data.custom_fields.items():
        old = customer.custom_fields.get(field_id)
        if old != value:
            customer.custom_fields = {**customer.custom_fields, field_id: value}
            changes.append(
                f"{definitions.get(field_id, field_id)}: {_shown(old)} → {_shown(value)}"
            )

    # An unreadable permit keeps the stored one (SPEC §1: permits fail closed).
    if data.permit is not None and data.permit.readable:
        old_permit = permit_of(customer)
        if (old_permit.status, old_permit.group, set(old_permit.users)) != (
            data.permit.status,
            data.permit.group,
            set(data.permit.users),
        ):
            changes.append(f"permit: {old_permit.describe()} → {data.permit.describe()}")
            customer.permit_status = data.permit.status
            customer.permit_group = data.permit.group
            customer.permit_users.set(data.permit.users)
    return changes


# -- keys -----------------------------------------------------------------------------


def customer_keys(customer: Customer) -> list[str]:
    """Every CustomerKey a customer should have, computed from what is stored."""
    found: list[str | None] = []
    if customer.contact_id:
        found.append(keymod.contact_id_key(customer.contact_id))
    if customer.passport:
        found.append(keymod.passport_key(customer.passport))
    found.append(keymod.name_key(customer.name))
    if customer.lastname:
        found.append(keymod.full_name_key(customer.name, customer.lastname))
        found.append(keymod.last_name_key(customer.name, customer.lastname))
    if customer.company_lead:
        found.append(keymod.company_key(customer.company_lead))
    for email in customer.emails:
        if email.get("normalized"):
            read = Email(email["value"], email["normalized"])
            found.append(keymod.email_key(read))
            found.append(keymod.domain_key(read))
    for phone in customer.phones:
        if phone.get("e164"):  # an invalid number is never matched (SPEC §4)
            found.append(keymod.phone_key(Phone(phone["value"], phone["e164"])))
    for tag in customer.tags:
        found.append(keymod.tag_key(tag))
    return list(dict.fromkeys(key for key in found if key))


def _sync_keys(b: Batch, customer: Customer, old: set[str]) -> None:
    new = set(customer_keys(customer))
    for key in sorted(old - new):
        b.keys.remove(key, customer.id, customer.kind)
    for key in sorted(new - old):
        b.keys.add(key, customer.id, customer.kind, customer.number)


# -- small helpers --------------------------------------------------------------------


def _email_entry(kind: str, email: Email) -> dict[str, Any]:
    return {"type": kind, "value": email.value, "normalized": email.normalized}


def _phone_entry(kind: str, phone: Phone) -> dict[str, Any]:
    return {"type": kind, "value": phone.value, "e164": phone.e164}


def _email_identity(entry: dict[str, Any]) -> str:
    return entry.get("normalized") or entry["value"].strip().lower()


def _phone_identity(entry: dict[str, Any]) -> str:
    return Phone(entry["value"], entry.get("e164")).same_as


def _address_identity(entry: dict[str, Any]) -> tuple[str, ...]:
    country = entry.get("country") or {}
    parts = (entry.get(p) or "" for p in ("street", "city", "state", "zip"))
    return (
        *(name_key(part) for part in parts),
        (country.get("code") or country.get("name") or "").casefold(),
    )


def _shown(value: Any) -> str:
    if value in (None, "", [], {}):
        return "(empty)"
    if isinstance(value, list):
        return "|".join(map(str, value))
    return f"“{value}”"


# -- found or created on another record's behalf (deals, tickets) --------------------


@dataclass
class Linked:
    """A customer another record points to: found, or created for it."""

    customer: Customer
    created: bool
    match: Match | None = None
    company: CompanyLink | None = None  # the contact's companyContact, found or created


def customer_find_or_create(
    *,
    origin: Origin,
    data: CustomerInput,
    lead: bool,
    order: tuple[str, ...],
    why: str,
    optional: bool = False,
    batch: Batch | None = None,
) -> Linked | None:
    """The customer `data` names (keys tried in `order`, among leads or among
    contacts and accounts) or, if none, a new one (through a listener: with its
    defaults and tag rule). The one find-or-create: a deal's dealWith and
    contacts, a ticket's customer.

    A `companyContact` of a contact is found or created too: a new contact joins
    it (as with add-contact); a contact that was found is not moved (a deal or a
    ticket is no place to change where somebody works), but the company is still
    returned, for the caller to link to its record.

    `optional` (a ticket's customer): when nothing matches and nothing describes a
    customer (no name, email or phone), None with a warning; with no name, the new
    customer is named after its email or phone, with a warning."""
    kind = Kind.LEAD if lead else (Kind.ACCOUNT if data.wants_account else Kind.CONTACT)
    locks = customer_locks(data, kind) if batch is None else ()
    with writing(origin, batch, locks=locks, numbering=True) as b:
        return _find_or_create(origin, b, data, kind, order, why, optional)


def _find_or_create(
    origin: Origin,
    b: Batch,
    data: CustomerInput,
    kind: Kind,
    order: tuple[str, ...],
    why: str,
    optional: bool,
) -> Linked | None:
    kinds = kinds_matched_with(kind)
    match = find_by(b.keys, kinds, data, order)
    company = None
    if data.company is not None:
        if (match.kind if match else kind) == Kind.CONTACT:
            company = _company_find_or_create(origin, b, data.company)
        else:
            b.warnings.warn(
                join_path(data.path, "companyContact"),
                "only a contact (type 0) belongs to a company; ignored",
            )
    if match is not None:
        found = Customer.objects.get(id=match.customer_id)
        return Linked(found, created=False, match=match, company=company)
    if optional and not data.name:
        if not (data.emails or data.phones):
            b.warnings.warn(
                data.path,
                "no customer matches and none is described (name, email or phone); "
                "the ticket has no customer",
            )
            return None
        # A customer needs a name: it is named after what identifies it.
        named = data.emails[0][1].value if data.emails else data.phones[0][1].value
        data = replace(data, name=named)
        b.warnings.warn(
            join_path(data.path, "name"), f"no name given; the new customer is named {named!r}"
        )
    customer = _customer_insert(
        origin, b, data, kind, company=company.company if company else None, why=why
    )
    if company is not None:
        b.history.add(
            f"{customer.code} {customer.display_name} joined this company through "
            f"{origin.describe()}.",
            customer=company.company,
            mentions_customer=customer,
        )
    return Linked(customer, created=True, company=company)


def customer_add_tags(
    *, origin: Origin, customer_id: int, tags: Sequence[str], batch: Batch | None = None
) -> list[str]:
    """Add `tags` to a customer of the origin's org (those it lacks); returns the
    ones added. (No history line of its own: the caller's line says why.)"""
    with writing(origin, batch) as b:
        return _add_tags(b, origin.org.id, customer_id, tags)


def _add_tags(b: Batch, org_id: int, customer_id: int, tags: Sequence[str]) -> list[str]:
    customer = Customer.objects.select_for_update().get(id=customer_id, org_id=org_id)
    have = {name_key(tag) for tag in customer.tags}
    added = [tag for tag in tags if name_key(tag) not in have]
    if added:
        old_keys = set(customer_keys(customer))
        customer.tags = [*customer.tags, *added]
        customer.updated_at = timezone.now()
        customer.save(update_fields=["tags", "updated_at"])
        _sync_keys(b, customer, old_keys)
    return added
