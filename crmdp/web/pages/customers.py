"""Contacts and accounts, and leads: lists with search and filters, and detail pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from crmdp.customers.models import CUSTOMER_KINDS, Customer, Gender, Kind, fields_of
from crmdp.customers.selectors import (
    company_members,
    customer_history,
    customer_list,
    visible_customer,
)
from crmdp.deals.selectors import Related, customer_deals, related_seen
from crmdp.messaging.selectors import customer_messages
from crmdp.notes.selectors import customer_notes
from crmdp.orgs.models import Membership
from crmdp.orgs.permits import permit_of
from crmdp.tickets.selectors import customer_tickets
from crmdp.web.access import member_view
from crmdp.web.forms import CustomerFilters, NoteForm
from crmdp.web.layout import page
from crmdp.web.pages.related import (
    DEAL_COLUMNS,
    customer_link,
    customer_url,
    deal_url,
    message_list,
    note_list,
    related_table,
    ticket_columns,
    ticket_url,
)
from crmdp.web.records import (
    DAY,
    NOT_SHARED,
    Action,
    Card,
    Column,
    Fact,
    Link,
    RecordList,
    custom_field_facts,
    fact,
    list_page,
    when,
)


def _first(entries: list[dict[str, Any]]) -> str:
    return str(entries[0].get("value", "")) if entries else ""


def _more(entries: list[dict[str, Any]]) -> str:
    """The first value, and how many others there are."""
    first = _first(entries)
    return f"{first} +{len(entries) - 1}" if len(entries) > 1 else first


def _every(entries: list[dict[str, Any]]) -> list[str]:
    """Every value, for the CSV export."""
    return [str(entry.get("value", "")) for entry in entries]


_NAME = Column("Name", lambda c: c.display_name, sort="name")
_CODE = Column("Code", lambda c: c.code, "muted nowrap", sort="code")
_EMAIL = Column("Email", lambda c: _more(c.emails), "wide", export=lambda c: _every(c.emails))
_PHONE = Column("Phone", lambda c: _more(c.phones), "nowrap", export=lambda c: _every(c.phones))
_SOURCE = Column("Source", lambda c: c.source.name if c.source else "", sort="source")
_TAGS = Column("Tags", lambda c: c.tags, "tags")
_OWNER = Column(
    "Owner", lambda c: c.owner.email if c.owner else "", "muted", sort="owner"
)  # cut to fit
_CREATED = Column(
    "Created",
    lambda c: date_format(timezone.localtime(c.created_at), DAY),
    "muted nowrap optional",
    sort="created",
)
# The columns a customer list sorts by; the id last, so that equal values keep one
# order from page to page.
_CUSTOMER_SORTS = {
    "name": ("name", "lastname", "id"),
    "code": ("kind", "number"),
    "source": ("source__name", "id"),
    "owner": ("owner__email", "id"),
    "created": ("created_at", "id"),
}


def _company_cell(customer: Customer) -> str:
    if customer.company is None:
        return ""
    # Annotated by customer_list: whether the member may see the company.
    return customer.company.display_name if customer.company_visible else NOT_SHARED  # type: ignore[attr-defined]


CONTACTS = RecordList(
    section="contacts",
    title="Contacts and accounts",
    noun="contacts or accounts",
    columns=(
        _NAME,
        _CODE,
        Column("Type", lambda c: "Account" if c.kind == Kind.ACCOUNT else "Contact", "muted"),
        Column("Company", _company_cell),
        _EMAIL,
        _PHONE,
        _SOURCE,
        _TAGS,
        _OWNER,
        _CREATED,
    ),
    detail_url=customer_url,
    tab_param="kind",
    tabs=(("", "All"), (Kind.CONTACT.value, "Contacts"), (Kind.ACCOUNT.value, "Accounts")),
    sorts=_CUSTOMER_SORTS,
    export_name="contacts",
    empty_hint="Contacts and accounts arrive through webhook listeners "
    "(Settings → Other settings → Webhook).",
)

LEADS = RecordList(
    section="leads",
    title="Leads",
    noun="leads",
    columns=(
        _NAME,
        _CODE,
        Column("Company", lambda c: c.company_lead),
        _EMAIL,
        _PHONE,
        _SOURCE,
        _TAGS,
        _OWNER,
        _CREATED,
    ),
    detail_url=customer_url,
    sorts=_CUSTOMER_SORTS,
    export_name="leads",
    empty_hint="Leads arrive through webhook listeners (Settings → Other settings → Webhook).",
)


def _customers(
    request: HttpRequest, membership: Membership, spec: RecordList, kinds: Sequence[str]
) -> HttpResponseBase:
    filters = CustomerFilters(membership.org, request.GET, with_kind=spec is CONTACTS)
    filters.is_valid()  # an unknown source or owner id is dropped, not an error page
    given = filters.cleaned_data
    chosen = given.get("kind")
    records = customer_list(
        membership,
        kinds=[chosen] if chosen else kinds,
        q=given.get("q"),
        source_id=given["source"].id if given.get("source") else None,
        tag=given.get("tag"),
        owner_id=given["owner"].id if given.get("owner") else None,
    )
    if spec is LEADS:
        actions = [Action("New lead", reverse("web:lead-new"), primary=True)]
    else:
        actions = [
            Action("New contact", reverse("web:contact-new"), primary=True),
            Action("New account", reverse("web:account-new")),
        ]
    return list_page(request, membership, spec, records, filters, actions=actions)


@member_view
def contact_list(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    return _customers(request, membership, CONTACTS, CUSTOMER_KINDS)


@member_view
def lead_list(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    return _customers(request, membership, LEADS, (Kind.LEAD,))


# -- detail ---------------------------------------------------------------------------


def _address(entry: dict[str, Any]) -> str:
    country = entry.get("country") or {}
    country_text = country.get("name") or country.get("code") if isinstance(country, dict) else ""
    place = " ".join(part for part in (entry.get("state"), entry.get("zip")) if part)
    parts = [entry.get("street"), entry.get("city"), place, country_text]
    text = ", ".join(str(part) for part in parts if part)
    return f"{text} ({entry['type']})" if entry.get("type") else text


def _typed(entry: dict[str, Any], extra: str = "") -> str:
    text = str(entry.get("value", ""))
    if extra and extra != text:
        text = f"{text} · {extra}"
    return f"{text} ({entry['type']})" if entry.get("type") else text


def customer_facts(customer: Customer, related: Related) -> list[Fact]:
    """Every field of a customer, in the order of the vendor guide; a company the
    member may not see (`related`) is named neither by name nor by code."""
    gender = Gender(customer.gender).label if customer.gender in Gender.values else ""
    company: list[Fact] = []
    if customer.kind == Kind.CONTACT:
        linked = related.customer(customer.company)
        if linked:
            company = [
                fact(
                    "Company", Link(f"{linked.display_name} ({linked.code})", customer_url(linked))
                )
            ]
        else:
            company = [fact("Company", NOT_SHARED if customer.company_id else "")]
    elif customer.kind == Kind.LEAD:
        company = [fact("Company", customer.company_lead)]
    person = customer.kind != Kind.ACCOUNT
    facts = [
        fact("Name", customer.name),
        fact("Last name", customer.lastname),
        fact("Title", customer.title),
        *company,
        fact("Emails", *(_typed(entry) for entry in customer.emails)),
        fact(
            "Phones",
            *(_typed(entry, entry.get("e164") or "invalid number") for entry in customer.phones),
        ),
        fact("Addresses", *(_address(entry) for entry in customer.addresses)),
        fact("Websites", *(str(entry.get("value", "")) for entry in customer.websites)),
        fact("IM", *(f"{entry.get('protocol')}: {entry.get('value')}" for entry in customer.im)),
        fact("Gender", gender),
        fact(
            "Date of birth",
            date_format(customer.date_of_birth, DAY) if customer.date_of_birth else "",
        ),
        fact("Passport", customer.passport),
        fact("Contact ID", customer.contact_id),
        fact("Background", customer.bg_info, style="pre"),
    ]
    # A company has no last name, gender or birthday: shown only if the sender set one.
    person_only = {"Last name", "Gender", "Date of birth"}
    unset_gender = customer.gender == Gender.OTHER
    return [
        f
        for f in facts
        if person
        or f.label not in person_only
        or (f.lines and not (f.label == "Gender" and unset_gender))
    ]


def record_facts(customer: Customer) -> list[Fact]:
    """Where the record came from and who sees it."""
    listener = customer.created_by_listener
    return [
        fact("Source", customer.source.name if customer.source else ""),
        fact("Owner", customer.owner.email if customer.owner else ""),
        fact("Visible to", permit_of(customer).describe()),
        fact("Created", when(customer.created_at)),
        fact("Created through", f"listener “{listener.name}”" if listener else ""),
        fact("Updated", when(customer.updated_at)),
    ]


def _customer(
    request: HttpRequest, membership: Membership, code: str, kinds: Sequence[str], section: str
) -> HttpResponse:
    back = Link("Leads" if section == "leads" else "Contacts", reverse(f"web:{section}"))
    customer = visible_customer(membership, code, kinds)
    if customer is None:
        return page(
            request,
            membership,
            "web/not_found.html",
            {"what": "record", "back": back},
            status=404,
            section=section,
        )
    cards = [Card("Record", record_facts(customer))]
    record_type = fields_of(customer.kind)
    custom = custom_field_facts(customer.org_id, record_type, customer.custom_fields)
    if custom:
        cards.append(Card("Custom fields", custom))
    members = (
        [
            Link(f"{member.display_name} ({member.code})", customer_url(member))
            for member in company_members(membership, customer)
        ]
        if customer.kind == Kind.ACCOUNT
        else []
    )
    history = list(customer_history(membership, customer))
    for entry in history:
        # A linked contact's line on an account's timeline says whose it is.
        if entry.customer_id != customer.id and entry.customer is not None:
            entry.on = customer_link(entry.customer)  # type: ignore[attr-defined]
    code = customer.code
    related = related_seen(membership, customer_ids=[customer.company_id])
    deals = related_table(
        "Deals",
        "deals",
        DEAL_COLUMNS,
        customer_deals(membership, customer),
        deal_url,
        empty="No deals with this customer"
        + ("." if membership.sees_everything else " that you can see."),
        more_url=f"{reverse('web:deals')}?customer={code}",
    )
    tickets = related_table(
        "Tickets",
        "tickets",
        ticket_columns(timezone.now()),
        customer_tickets(customer),
        ticket_url,
        empty="No tickets from this customer.",
        more_url=f"{reverse('web:tickets')}?customer={code}",
    )
    messages = message_list(
        membership,
        customer_messages(customer),
        more_url=f"{reverse('web:messages')}?customer={code}",
    )
    return page(
        request,
        membership,
        "web/customers/detail.html",
        {
            "record": customer,
            "kind_label": Kind(customer.kind).label.capitalize(),
            "back": back,
            "facts": customer_facts(customer, related),
            # The company in the heading, only if the member may see it.
            "company": related.customer(customer.company),
            "cards": cards,
            "members": members,
            "is_account": customer.kind == Kind.ACCOUNT,
            "history": history,
            "notes": note_list(customer_notes(membership, customer)),
            "note_form": NoteForm(),
            "note_url": reverse(
                "web:lead-note-add" if section == "leads" else "web:contact-note-add",
                args=[customer.code],
            ),
            "deals": deals,
            "tickets": tickets,
            "message_list": messages,
            "edit_url": reverse(
                "web:lead-edit" if section == "leads" else "web:contact-edit", args=[code]
            ),
        },
        section=section,
    )


@member_view
def contact_detail(request: HttpRequest, membership: Membership, code: str) -> HttpResponse:
    return _customer(request, membership, code, CUSTOMER_KINDS, "contacts")


@member_view
def lead_detail(request: HttpRequest, membership: Membership, code: str) -> HttpResponse:
    return _customer(request, membership, code, (Kind.LEAD,), "leads")
