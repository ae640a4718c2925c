"""Reading customers as a given user may see them (SPEC §1 permits, §9 search)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from crmdp.customers import keys as keymod
from crmdp.customers.matching import code_filter
from crmdp.customers.models import Customer, CustomerKey, Kind, kinds_matched_with
from crmdp.customers.reading import CustomerInput
from crmdp.history.models import HistoryEntry
from crmdp.history.selectors import timeline
from crmdp.lib.values import read_email, read_phone
from crmdp.orgs.models import Membership
from crmdp.orgs.permits import permitted

# Above every character: "name:huy" ≤ key < "name:huy\U0010ffff" is a prefix
# search the (org, key) index answers on both engines (keys compare bytewise).
_TOP = "\U0010ffff"


def visible_customers(membership: Membership) -> QuerySet[Customer]:
    queryset = Customer.objects.filter(org_id=membership.org_id)
    return permitted(queryset, membership)


def search_customers(
    membership: Membership,
    *,
    email: str | None = None,
    phone: str | None = None,
    passport: str | None = None,
    q: str | None = None,
) -> QuerySet[Customer]:
    """Customers found by exact email, phone or passport, or by `q`: a code, an
    email, a phone, or the start of a name. Every branch is an index lookup."""
    queryset = visible_customers(membership)
    org = membership.org
    key_filters: list[Q] = []
    if email:
        read = read_email(email).value
        key_filters.append(Q(key=keymod.email_key(read)) if read.normalized else Q(pk__in=[]))
    if phone:
        number = read_phone(phone, org.phone_region).value
        # An invalid number finds nothing: stored invalid numbers have no key (SPEC §4).
        key_filters.append(Q(key=keymod.phone_key(number)) if number.e164 else Q(pk__in=[]))
    if passport:
        key = keymod.passport_key(passport)
        key_filters.append(Q(key=key) if key else Q(pk__in=[]))
    for key_filter in key_filters:
        queryset = queryset.filter(
            Exists(
                CustomerKey.objects.filter(key_filter, org_id=org.id, customer_id=OuterRef("id"))
            )
        )
    if q and q.strip():
        queryset = queryset.filter(_matches_q(membership, q.strip()))
    return queryset


def _prefix(key: str) -> Q:
    """Keys that start with `key`: a range the (org, key) index answers."""
    return Q(key__gte=key, key__lt=key + _TOP)


def _matches_q(membership: Membership, q: str) -> Q:
    """What a person types into a search box (issue 17): a code; a whole email or
    the start of one; an email's domain (`htklabs.com`, `@htklabs`); a phone in any
    format the listener reads; the start of a first name, of "First Last", or of a
    last name alone; the start of a company's name (an account, the contacts whose
    account it is, a lead's company). Every branch is a range on the key index."""
    org = membership.org
    by_code = code_filter(q)
    if by_code is not None:
        return by_code
    alternatives = Q()
    email = read_email(q).value
    if email.normalized:
        alternatives |= Q(key=keymod.email_key(email))
    phone = read_phone(q, org.phone_region).value
    if phone.e164:
        alternatives |= Q(key=keymod.phone_key(phone))
    name = keymod.name_key(q)
    if name:
        alternatives |= _prefix(name)
        for key in (
            keymod.full_name_key(q, ""),
            keymod.last_name_key("", q),
            keymod.company_key(q),
        ):
            if key:
                alternatives |= _prefix(key)
    typed = unicodedata.normalize("NFKC", q).strip().lower()
    if typed and " " not in typed:
        # Part of an address: the start of one ("huy.ng", "huy@htk") or of its
        # domain ("htklabs", "@htklabs.com").
        if not typed.startswith("@"):
            alternatives |= _prefix(f"email:{typed}")
        domain = typed.rpartition("@")[2] if typed.startswith("@") or "@" not in typed else ""
        if domain:
            alternatives |= _prefix(f"domain:{domain}")
    keys = CustomerKey.objects.filter(alternatives, org_id=org.id)
    found = Q(Exists(keys.filter(customer_id=OuterRef("id"))))
    if name:
        # The contacts of an account whose name starts so, if the member may see it:
        # a row must not reveal a company the member may not see.
        companies = visible_customers(membership).filter(
            kind=Kind.ACCOUNT,
            id__in=CustomerKey.objects.filter(
                _prefix(name), org_id=org.id, kind=Kind.ACCOUNT
            ).values("customer_id"),
        )
        found |= Q(company_id__in=companies.values("id"))
    return found


def customer_list(
    membership: Membership,
    *,
    kinds: Sequence[str],
    q: str | None = None,
    source_id: int | None = None,
    tag: str | None = None,
    owner_id: int | None = None,
) -> QuerySet[Customer]:
    """A list page of customers of `kinds`, newest first: the search of
    `search_customers` narrowed by source, tag (through its key, indexed) and owner."""
    queryset = search_customers(membership, q=q).filter(kind__in=list(kinds))
    if source_id is not None:
        queryset = queryset.filter(source_id=source_id)
    if owner_id is not None:
        queryset = queryset.filter(owner_id=owner_id)
    if tag and tag.strip():
        tagged = CustomerKey.objects.filter(
            org_id=membership.org_id, key=keymod.tag_key(tag), customer_id=OuterRef("id")
        )
        queryset = queryset.filter(Exists(tagged))
    queryset = queryset.select_related("source", "owner", "company").order_by("-id")
    return with_company_visible(queryset, membership)


def with_company_visible(
    queryset: QuerySet[Customer], membership: Membership
) -> QuerySet[Customer]:
    """Each customer says whether the member may see its company (`company_visible`):
    a contact's page or row must not name a company the member may not see."""
    if membership.sees_everything:
        return queryset.annotate(company_visible=Value(True))
    shown = visible_customers(membership).filter(id=OuterRef("company_id"))
    return queryset.annotate(company_visible=Exists(shown))


def visible_customer(membership: Membership, code: str, kinds: Sequence[str]) -> Customer | None:
    """The customer with this code (`PID-41`) if it is one of `kinds` and the member
    may see it; None otherwise, so that "not yours" and "no such" look alike."""
    by_code = code_filter(code, kinds)
    if by_code is None:
        return None
    return (
        visible_customers(membership)
        .select_related("source", "owner", "permit_group", "company", "created_by_listener")
        .prefetch_related("permit_users")
        .filter(by_code)
        .first()
    )


def company_members(membership: Membership, account: Customer) -> QuerySet[Customer]:
    """The contacts of an account that the member may see."""
    return visible_customers(membership).filter(company=account).order_by("name", "id")


def customer_history(membership: Membership, customer: Customer) -> QuerySet[HistoryEntry]:
    """A customer's timeline as this member may see it, newest first. An account's
    also has the lines of the contacts linked to it that the member may see: the
    story of a company is also that of its people (issue 14)."""
    lines = timeline(membership)
    if customer.kind != Kind.ACCOUNT:
        return lines.filter(customer=customer)
    members = company_members(membership, customer).values("id")
    return lines.filter(Q(customer=customer) | Q(customer__in=members)).select_related("customer")


@dataclass(frozen=True)
class Taken:
    """A value that already identifies another customer of the org."""

    field: str  # the form's field: email, phone, passport
    value: str
    customer: Customer


def identity_taken(
    org_id: int, data: CustomerInput, kind: Kind, but: Customer | None = None
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
    kinds = kinds_matched_with(kind)
    found = CustomerKey.objects.filter(org_id=org_id, key__in=list(wanted), kind__in=kinds)
    if but is not None:
        found = found.exclude(customer_id=but.id)
    taken: dict[str, Taken] = {}
    for row in found.select_related("customer").order_by("customer_id"):
        field_name, value = wanted[row.key]
        taken.setdefault(row.key, Taken(field_name, value, row.customer))
    return list(taken.values())
