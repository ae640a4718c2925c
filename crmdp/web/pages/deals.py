"""Deals: the list with search and filters, and a deal's page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone

from crmdp.customers.models import Customer
from crmdp.customers.selectors import visible_customers
from crmdp.deals.models import Deal
from crmdp.deals.selectors import deal_history, deal_list, deal_number, visible_deal
from crmdp.notes.selectors import deal_notes
from crmdp.orgs.models import Membership
from crmdp.tickets.selectors import deal_tickets
from crmdp.web.access import member_view
from crmdp.web.forms import DealFilters, NoteForm
from crmdp.web.layout import page
from crmdp.web.pages.related import (
    customer_link,
    customer_url,
    deal_url,
    note_list,
    related_table,
    scoped_customer,
    ticket_columns,
    ticket_url,
)
from crmdp.web.records import (
    NOT_SHARED,
    Action,
    Card,
    Column,
    Fact,
    Link,
    RecordList,
    custom_field_facts,
    day,
    fact,
    list_page,
    money,
    visible_to,
    when,
)


def _owners(deal: Deal) -> list[str]:
    """The deal's owner users (owner_opportunity), from the prefetched rows."""
    return [user.email for user in deal.owner_users.all()]


def _customer_cell(deal: Deal) -> str:
    """The customer's name, or its code only when the member may not see it."""
    if deal.customer is None:
        return ""
    if deal.customer_visible:  # type: ignore[attr-defined]
        return deal.customer.display_name
    return NOT_SHARED


def _first_and_more(values: list[str]) -> str:
    return f"{values[0]} +{len(values) - 1}" if len(values) > 1 else "".join(values)


DEALS = RecordList(
    section="deals",
    title="Deals",
    noun="deals",
    columns=(
        Column("Name", lambda d: d.name, sort="name"),
        Column("Deal ID", lambda d: str(d.number), "muted nowrap", sort="id"),
        Column("Stage", lambda d: d.stage.name if d.stage else "", sort="stage"),
        Column("Value", lambda d: money(d.value, d.currency), "nowrap", sort="value"),
        Column("Customer", _customer_cell),
        Column("Category", lambda d: d.category.name if d.category else "", "muted"),
        Column(
            "Owners", lambda d: _first_and_more(_owners(d)), "muted", export=lambda d: _owners(d)
        ),
        Column("Close date", lambda d: day(d.close_date), "muted nowrap", sort="close"),
        Column("Created", lambda d: day(d.created_at), "muted nowrap optional", sort="created"),
    ),
    detail_url=deal_url,
    # The id last, so that equal values keep one order from page to page.
    sorts={
        "name": ("name_key", "id"),
        "id": ("number",),
        "stage": ("stage__position", "id"),
        "value": ("value", "id"),
        "close": ("close_date", "id"),
        "created": ("created_at", "id"),
    },
    export_name="deals",
    empty_hint="Deals arrive through webhook listeners (the add-deal action).",
    search_hint="Try a part of the deal's name, or its deal ID.",
)


@member_view
def deal_list_page(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    filters = DealFilters(membership.org, request.GET)
    filters.is_valid()  # an unknown stage or owner id is dropped, not an error page
    given = filters.cleaned_data
    customer = scoped_customer(membership, given.get("customer"))
    records = deal_list(
        membership,
        q=given.get("q"),
        stage_id=given["stage"].id if given.get("stage") else None,
        owner_id=given["owner"].id if given.get("owner") else None,
        category_id=given["category"].id if given.get("category") else None,
        customer=customer,
    )
    if given.get("customer") and customer is None:
        records = records.none()  # a customer the member may not see has no deals to show
    scope = customer_link(customer) if customer else None
    actions = [
        Action("New deal", reverse("web:deal-new"), primary=True),
        Action("Board", reverse("web:deal-board")),
    ]
    return list_page(request, membership, DEALS, records, filters, scope=scope, actions=actions)


# -- detail ---------------------------------------------------------------------------


def _seen_customers(membership: Membership, deal: Deal) -> set[int]:
    """Which of the deal's customer and related contacts the member may see."""
    everyone = {contact.id for contact in deal.contacts.all()}
    if deal.customer_id is not None:
        everyone.add(deal.customer_id)
    if membership.sees_everything or not everyone:
        return everyone
    visible = visible_customers(membership).filter(id__in=everyone)
    return set(visible.values_list("id", flat=True))


def deal_facts(deal: Deal, seen: set[int]) -> list[Fact]:
    """Every field of a deal, in the order of the add-deal action. Its customers are
    linked where the member may see them; one they may not see shows neither its
    name nor its code."""

    def shown(customer: Customer) -> str | Link:
        if customer.id in seen:
            return customer_link(customer)
        return NOT_SHARED

    return [
        fact("Name", deal.name),
        fact("Deal ID", str(deal.number)),
        fact("Stage", deal.stage.name if deal.stage else ""),
        fact("Value", money(deal.value, deal.currency)),
        fact("Close date", when(deal.close_date)),
        fact("Category", deal.category.name if deal.category else ""),
        fact("Package", deal.package.name if deal.package else ""),
        fact("Customer", shown(deal.customer) if deal.customer else None),
        fact("Related contacts", *(shown(contact) for contact in deal.contacts.all())),
        fact("Description", deal.description, style="pre"),
    ]


def _record_facts(deal: Deal) -> list[Fact]:
    listener = deal.created_by_listener
    return [
        fact("Owner", deal.owner.email if deal.owner else ""),
        fact("Visible to", visible_to(deal)),
        fact("Created", when(deal.created_at)),
        fact("Created through", f"listener “{listener.name}”" if listener else ""),
        fact("Updated", when(deal.updated_at)),
    ]


@member_view
def deal_detail(request: HttpRequest, membership: Membership, deal_id: str) -> HttpResponse:
    back = Link("Deals", reverse("web:deals"))
    number = deal_number(deal_id)
    deal = visible_deal(membership, number) if number is not None else None
    if deal is None:
        return page(
            request,
            membership,
            "web/not_found.html",
            {"what": "deal", "back": back},
            status=404,
            section="deals",
        )
    owners = Card(
        "Owners",
        [
            fact("Users", *_owners(deal)),
            fact("Groups", *(group.name for group in deal.owner_groups.all())),
        ],
    )
    seen = _seen_customers(membership, deal)
    cards = [owners, Card("Record", _record_facts(deal))]
    custom = custom_field_facts(deal.org_id, "deal", deal.custom_fields)
    if custom:
        cards.append(Card("Custom fields", custom))
    tickets = related_table(
        "Tickets",
        "tickets",
        ticket_columns(timezone.now()),
        deal_tickets(membership, deal),
        ticket_url,
        empty="No tickets about this deal.",
        more_url=f"{reverse('web:tickets')}?deal={deal.number}",
    )
    return page(
        request,
        membership,
        "web/deals/detail.html",
        {
            "record": deal,
            "crumb": f"#{deal.number}",
            "back": back,
            "facts": deal_facts(deal, seen),
            "cards": cards,
            "notes": note_list(deal_notes(membership, deal)),
            "note_form": NoteForm(),
            "edit_url": reverse("web:deal-edit", args=[deal.number]),
            "note_url": reverse("web:deal-note-add", args=[deal.number]),
            "tickets": tickets,
            "value": money(deal.value, deal.currency),
            "customer_url": (
                customer_url(deal.customer) if deal.customer and deal.customer.id in seen else ""
            ),
            "history": list(deal_history(membership, deal)),
        },
        section="deals",
    )
