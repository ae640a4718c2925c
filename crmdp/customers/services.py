"""Creating and updating customers (SPEC §5). Each function runs inside the
caller's transaction (one savepoint per action) and writes the history lines of
what it did; the caller has already taken the identity-key locks (see locking).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from crmdp.backends import rows
from crmdp.customers import keys as keymod
from crmdp.customers.matching import (
    CUSTOMER_KINDS,
    Match,
    UpdateTarget,
    find_by,
    find_company,
    find_duplicate,
    find_for_update,
)
from crmdp.customers.models import SERIES, Customer, Kind
from crmdp.customers.reading import CustomerInput
from crmdp.history.services import Writer
from crmdp.lib.issues import ActionFailed, Issue, join_path
from crmdp.lib.values import Email, Phone, name_key
from crmdp.messaging.services import queue_welcome_messages
from crmdp.orgs.permits import Permit


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
    created: list[Customer] = field(default_factory=list)  # every new customer, for messages


def space_kinds(kind: Kind) -> tuple[Kind, ...]:
    """Contacts and accounts are looked for among each other; leads among leads."""
    return (Kind.LEAD,) if kind == Kind.LEAD else CUSTOMER_KINDS


# -- add ------------------------------------------------------------------------------


def customer_add(w: Writer, data: CustomerInput, kind: Kind) -> CustomerResult:
    """add-contact / add-lead: a duplicate gets a history line; otherwise create."""
    match = find_duplicate(w.keys, space_kinds(kind), data)
    if match is not None:
        existing = match.customer(w.org.id)
        w.history.add(
            f"Arrived again through {w.origin.describe()} and matched on {match.matched_on} "
            f"{match.value}: nothing changed. Received: {data.summary()}.",
            customer=existing,
        )
        return CustomerResult("duplicate", existing, match)

    company = None
    if data.company is not None:
        if kind == Kind.CONTACT:
            company = company_find_or_create(w, data.company)
        else:
            w.warnings.warn(
                join_path(data.path, "companyContact"),
                "only a contact (type 0) belongs to a company; ignored",
            )
    customer = customer_create(w, data, kind, company=company.company if company else None)
    if company is not None:
        w.history.add(
            f"{customer.code} {customer.display_name} joined this company through "
            f"{w.origin.describe()}.",
            customer=company.company,
            mentions_customer=customer,
        )
    created = [customer] + ([company.company] if company and company.created else [])
    return CustomerResult("created", customer, company=company, created=created)


def customer_create(
    w: Writer,
    data: CustomerInput,
    kind: Kind,
    *,
    company: Customer | None = None,
    why: str = "",
) -> Customer:
    """A new customer through the writer's listener: its default source and tag
    apply (SPEC §2), the sender owns it, and the welcome messages are queued."""
    if not data.name:
        raise ActionFailed(Issue(join_path(data.path, "name"), "is required to create a customer"))
    listener = w.origin.listener
    if listener is not None:
        source_id = (
            listener.default_lead_source_id
            if kind == Kind.LEAD
            else listener.default_contact_source_id
        )
        default_tags = [listener.default_tag] if listener.default_tag else []
    else:
        source_id, default_tags = None, []
    permit = data.permit or Permit()
    now = timezone.now()
    customer = rows.build(
        Customer,
        org=w.org,
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
        owner=w.origin.actor,
        permit_status=permit.status,
        permit_group=permit.group,
        company=company,
        company_lead=data.company_lead or "",
        created_by_listener_id=listener.id if listener else None,
        created_at=now,
        updated_at=now,
    )
    customer.number = w.numbers.take(SERIES[Kind(kind)])
    if w.defer_new_customers:  # inserted with the request's others (see numbering)
        customer.id = w.new_customers.take_id()
        w.created.append(customer)
    else:
        w.new_customers.insert_now(customer)
    if permit.users:
        customer.permit_users.set(permit.users)
    for key in customer_keys(customer):
        w.keys.add(key, customer.id, kind, customer.number)
    w.history.add(f"Created by {w.origin.describe()}{why}.", customer=customer)
    # In this transaction: a committed customer always gets its messages, a
    # rolled-back one never does (SPEC §6).
    queue_welcome_messages(w, customer, data.path)
    return customer


def company_find_or_create(w: Writer, data: CustomerInput) -> CompanyLink | None:
    """The account `companyContact` names: found (customerId → name → emails → phones)
    or created as a new account through this listener."""
    match = find_company(w.keys, data)
    if match is not None:
        company = Customer.objects.get(id=match.customer_id)
        return CompanyLink(company, created=False, matched_on=match.matched_on)
    if not data.name:
        w.warnings.warn(
            join_path(data.path, "name"),
            "no account matches and a new one needs a name; the contact is not linked",
        )
        return None
    company = customer_create(w, data, Kind.ACCOUNT, why=" as a company (companyContact)")
    return CompanyLink(company, created=True)


# -- update ---------------------------------------------------------------------------


def customer_update(
    w: Writer, data: CustomerInput, kinds: tuple[Kind, ...], *, relink_company: bool
) -> CustomerResult:
    """update-contact / update-lead (SPEC §5): find one record, merge what was given."""
    target = find_for_update(w.keys, kinds, data)
    if target.ambiguous:
        raise ActionFailed(
            Issue(
                data.path,
                f"{target.ambiguous} records match; send a customerId, contactId or passport "
                "to say which one",
            )
        )
    if target.match is None:
        w.warnings.warn(
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
    _warn_contradictions(w, data, customer, target)
    old_keys = set(customer_keys(customer))
    changes = merge_into(customer, data, w)

    company = None
    if data.company is not None:
        if relink_company and customer.kind == Kind.CONTACT:
            company = company_find_or_create(w, data.company)
            if company is not None and customer.company_id != company.company.id:
                left = customer.company_id
                customer.company = company.company
                changes.append("company changed")
                # Lines of their own: each names a record the other's viewers may not see.
                how = w.origin.describe()
                w.history.add(
                    f"Now works for {company.company.display_name} ({company.company.code}), "
                    f"set by {how}.",
                    customer=customer,
                    mentions_customer=company.company,
                )
                w.history.add(
                    f"{customer.code} {customer.display_name} joined this company through {how}.",
                    customer=company.company,
                    mentions_customer=customer,
                )
                if left is not None:
                    # The company left behind is told too (issue 14: history tells the
                    # whole story); not where the contact went, which its viewers may
                    # not see.
                    w.history.add(
                        f"{customer.code} {customer.display_name} left this company, moved "
                        f"to another one by {how}.",
                        customer_id=left,
                        mentions_customer=customer,
                    )
        else:
            w.warnings.warn(
                join_path(data.path, "companyContact"),
                "only a contact belongs to a company; ignored",
            )

    customer.updated_at = timezone.now()
    customer.save()
    _sync_keys(w, customer, old_keys)
    summary = "; ".join(changes) if changes else "nothing changed"
    w.history.add(
        f"Updated by {w.origin.describe()}, found by {target.match.matched_on} "
        f"{target.match.value}: {summary}.",
        customer=customer,
    )
    created = [company.company] if company and company.created else []
    return CustomerResult("updated", customer, target.match, company=company, created=created)


# The request field each matching key comes from, for a warning's path.
_KEY_FIELDS = {"email": "emails", "phone": "phones"}


def _warn_contradictions(
    w: Writer, data: CustomerInput, customer: Customer, target: UpdateTarget
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
        w.warnings.warn(
            join_path(data.path, _KEY_FIELDS.get(key, key)),
            f"{key} {shown} belongs to {others}, not to {customer.code}; {customer.code} "
            f"(found by {found}) was updated and {others} left as it was",
        )


def merge_into(customer: Customer, data: CustomerInput, w: Writer) -> list[str]:
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
        str(d.id): d.name for d in w.directory.custom_fields(_record_type(customer)).values()
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


def permit_of(customer: Customer) -> Permit:
    users = list(customer.permit_users.all()) if customer.permit_status == 4 else []
    return Permit(customer.permit_status, customer.permit_group, users)


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


def _sync_keys(w: Writer, customer: Customer, old: set[str]) -> None:
    new = set(customer_keys(customer))
    for key in sorted(old - new):
        w.keys.remove(key, customer.id, customer.kind)
    for key in sorted(new - old):
        w.keys.add(key, customer.id, customer.kind, customer.number)


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


def _record_type(customer: Customer) -> str:
    return "lead" if customer.kind == Kind.LEAD else "contact"


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
    w: Writer,
    data: CustomerInput,
    *,
    lead: bool,
    order: tuple[str, ...],
    why: str,
) -> Linked:
    """The customer `data` names (keys tried in `order`) or, if none, a new one
    created through this listener, with its defaults, tag rule and messages.

    A `companyContact` of a contact is found or created too: a new contact joins
    it (as with add-contact); a contact that was found is not moved (a deal or a
    ticket is no place to change where somebody works), but the company is still
    returned, for the caller to link to its record."""
    kinds = (Kind.LEAD,) if lead else CUSTOMER_KINDS
    match = find_by(w.keys, kinds, data, order)
    kind = Kind.LEAD if lead else (Kind.ACCOUNT if data.wants_account else Kind.CONTACT)
    company = None
    if data.company is not None:
        if (match.kind if match else kind) == Kind.CONTACT:
            company = company_find_or_create(w, data.company)
        else:
            w.warnings.warn(
                join_path(data.path, "companyContact"),
                "only a contact (type 0) belongs to a company; ignored",
            )
    if match is not None:
        found = Customer.objects.get(id=match.customer_id)
        return Linked(found, created=False, match=match, company=company)
    customer = customer_create(w, data, kind, company=company.company if company else None, why=why)
    if company is not None:
        w.history.add(
            f"{customer.code} {customer.display_name} joined this company through "
            f"{w.origin.describe()}.",
            customer=company.company,
            mentions_customer=customer,
        )
    return Linked(customer, created=True, company=company)


def customer_add_tags(w: Writer, customer_id: int, tags: list[str]) -> list[str]:
    """Add `tags` to a customer (those it lacks); returns the ones added."""
    customer = Customer.objects.select_for_update().get(id=customer_id)
    have = {name_key(tag) for tag in customer.tags}
    added = [tag for tag in tags if name_key(tag) not in have]
    if added:
        old_keys = set(customer_keys(customer))
        customer.tags = [*customer.tags, *added]
        customer.updated_at = timezone.now()
        customer.save(update_fields=["tags", "updated_at"])
        _sync_keys(w, customer, old_keys)
    return added
