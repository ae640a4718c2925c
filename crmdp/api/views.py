"""The read API (SPEC §9). Views are thin: authenticate, call a selector, serialise."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from crmdp.api.auth import bearer
from crmdp.api.openapi import openapi_document
from crmdp.api.pagination import BadQuery, listing, page
from crmdp.api.serializers import (
    custom_field_names,
    customer_json,
    deal_json,
    delivery_json,
    iso,
    message_json,
    note_json,
    ticket_json,
)
from crmdp.customers.matching import code_filter
from crmdp.customers.models import Customer, Kind
from crmdp.customers.selectors import customer_history, search_customers, visible_customers
from crmdp.deals.models import Deal
from crmdp.deals.selectors import Related, deals_in_full, related_seen
from crmdp.history.models import HistoryEntry
from crmdp.history.selectors import visible_history
from crmdp.lib.issues import Issue
from crmdp.lib.values import name_key
from crmdp.listeners.models import Listener
from crmdp.listeners.results import error_body
from crmdp.messaging.selectors import visible_messages
from crmdp.notes.models import Note
from crmdp.notes.selectors import visible_notes
from crmdp.orgs.models import Membership
from crmdp.tickets.selectors import ticket_number, visible_tickets

CUSTOMER_FIELDS = ("contact", "lead")


def not_found(what: str) -> JsonResponse:
    return JsonResponse(error_body("not_found", f"no such {what}"), status=404)


def json(data: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def api_view(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """GET only, bearer-authenticated, bad query parameters answered 400."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, membership: Membership, *args: Any, **kwargs: Any
    ) -> JsonResponse:
        try:
            for name, value in request.GET.items():
                # PostgreSQL refuses NUL in text (a 500); no search term contains one.
                if "\x00" in value:
                    raise BadQuery(Issue(name, "must not contain a NUL character"))
            return view(request, membership, *args, **kwargs)
        except BadQuery as exc:
            return json(error_body("invalid_query", exc.issue.message, [exc.issue]), status=400)

    return require_GET(bearer(wrapper))


def _history(membership: Membership) -> Prefetch[Any]:
    """Records' timelines, newest first, without lines naming what the member may not see."""
    lines = visible_history(membership, HistoryEntry.objects.order_by("-id"))
    return Prefetch("history", queryset=lines)


def _with_details(queryset: QuerySet[Customer], membership: Membership) -> QuerySet[Customer]:
    return queryset.select_related("source", "owner", "permit_group", "company").prefetch_related(
        "permit_users", _history(membership)
    )


@api_view
def customer_list(request: HttpRequest, membership: Membership) -> JsonResponse:
    found = search_customers(
        membership,
        email=request.GET.get("email"),
        phone=request.GET.get("phone"),
        passport=request.GET.get("passport"),
        q=request.GET.get("q"),
    )
    rows, next_url = page(request, _with_details(found, membership))
    names = custom_field_names(membership.org_id, CUSTOMER_FIELDS)
    related = related_seen(membership, customer_ids=[c.company_id for c in rows])
    return json(listing([customer_json(c, names, related) for c in rows], next_url))


@api_view
def customer_detail(request: HttpRequest, membership: Membership, code: str) -> JsonResponse:
    by_code = code_filter(code)
    customer = (
        _with_details(visible_customers(membership), membership).filter(by_code).first()
        if by_code is not None
        else None
    )
    if customer is None:
        return not_found("customer")
    related = related_seen(membership, customer_ids=[customer.company_id])
    names = custom_field_names(membership.org_id, CUSTOMER_FIELDS)
    shown = customer_json(customer, names, related)
    if customer.kind == Kind.ACCOUNT:
        # An account's story includes its people's (those this reader may see).
        lines = []
        for entry in customer_history(membership, customer):
            line = {"at": iso(entry.at), "text": entry.text}
            if entry.customer is not None and entry.customer_id != customer.id:
                line["customerId"] = entry.customer.code
            lines.append(line)
        shown["history"] = lines
    return json(shown)


@api_view
def delivery_list(request: HttpRequest, membership: Membership, listener_id: int) -> JsonResponse:
    # The delivery log holds raw bodies whatever their records' permits say, so
    # only those who manage listeners (owners and admins) may read it.
    listener = Listener.objects.filter(id=listener_id, org_id=membership.org_id).first()
    if listener is None or not membership.sees_everything:
        return not_found("listener")
    rows, next_url = page(request, listener.deliveries.all())
    return json(listing([delivery_json(d) for d in rows], next_url))


def _visible_customer(membership: Membership, code: str) -> Customer | None:
    by_code = code_filter(code)
    if by_code is None:
        return None
    return visible_customers(membership).filter(by_code).first()


@api_view
def customer_notes(request: HttpRequest, membership: Membership, code: str) -> JsonResponse:
    customer = _visible_customer(membership, code)
    if customer is None:
        return not_found("customer")
    rows, next_url = page(request, visible_notes(membership).filter(customer=customer))
    related = _related_to_notes(membership, rows)
    return json(listing([note_json(note, related) for note in rows], next_url))


def _related_to_notes(membership: Membership, notes: list[Note]) -> Related:
    return related_seen(
        membership,
        customer_ids=[note.customer_id for note in notes],
        deal_ids=[note.deal_id for note in notes],
    )


def _related_to_deals(membership: Membership, deals: list[Deal]) -> Related:
    customers: list[int | None] = []
    notes: list[Note] = []
    for deal in deals:
        customers.append(deal.customer_id)
        customers += [contact.id for contact in deal.contacts.all()]
        notes += deal.visible_notes  # type: ignore[attr-defined]
        customers += [note.customer_id for note in deal.visible_notes]  # type: ignore[attr-defined]
    return related_seen(
        membership,
        customer_ids=customers,
        deal_ids=[note.deal_id for note in notes],
    )


def _deals(membership: Membership) -> QuerySet[Deal]:
    # The notes this member may see, as `visible_notes` (newest first).
    notes = Prefetch(
        "notes", queryset=visible_notes(membership).order_by("-id"), to_attr="visible_notes"
    )
    return deals_in_full(membership).prefetch_related(notes, _history(membership))


def _deal_json(deal: Deal, field_names: dict[str, str], related: Related) -> dict[str, Any]:
    return deal_json(deal, field_names, deal.visible_notes, related)  # type: ignore[attr-defined]


@api_view
def deal_detail(request: HttpRequest, membership: Membership, deal_id: int) -> JsonResponse:
    deal = _deals(membership).filter(number=deal_id).first()
    if deal is None:
        return not_found("deal")
    related = _related_to_deals(membership, [deal])
    return json(_deal_json(deal, custom_field_names(membership.org_id, ("deal",)), related))


@api_view
def deal_list(request: HttpRequest, membership: Membership) -> JsonResponse:
    deals = _deals(membership)
    name = request.GET.get("name")
    if name and name.strip():
        deals = deals.filter(name_key=name_key(name))
    rows, next_url = page(request, deals)
    names = custom_field_names(membership.org_id, ("deal",))
    related = _related_to_deals(membership, rows)
    return json(listing([_deal_json(deal, names, related) for deal in rows], next_url))


@api_view
def ticket_detail(request: HttpRequest, membership: Membership, code: str) -> JsonResponse:
    number = ticket_number(code)
    ticket = (
        visible_tickets(membership)
        .filter(number=number)
        .select_related("customer", "deal", "group", "sla", "channel", "owner")
        .prefetch_related(_history(membership))
        .first()
        if number is not None
        else None
    )
    if ticket is None:
        return not_found("ticket")
    related = related_seen(membership, customer_ids=[ticket.customer_id], deal_ids=[ticket.deal_id])
    return json(ticket_json(ticket, custom_field_names(membership.org_id, ("ticket",)), related))


@api_view
def message_list(request: HttpRequest, membership: Membership) -> JsonResponse:
    """Emails and SMS, newest first: a customer's (`?customer=PID-1`), or, for owners
    and admins, all of the org's."""
    messages = visible_messages(membership).select_related("customer")
    code = request.GET.get("customer")
    if code:
        customer = _visible_customer(membership, code)
        if customer is None:
            return not_found("customer")
        messages = messages.filter(customer=customer)
    rows, next_url = page(request, messages)
    related = related_seen(membership, customer_ids=[message.customer_id for message in rows])
    return json(listing([message_json(message, related) for message in rows], next_url))


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    return json(openapi_document())
