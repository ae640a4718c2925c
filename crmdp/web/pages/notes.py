"""Notes: where a link to a note leads (a note has no page of its own, it is shown
on the page of the record it is on), and the "Add note" form of each record's page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from crmdp.customers.models import Kind
from crmdp.customers.selectors import visible_customer
from crmdp.deals.selectors import deal_number, visible_deal
from crmdp.notes.selectors import visible_note
from crmdp.orgs.models import Membership
from crmdp.tickets.selectors import visible_ticket
from crmdp.web.access import member_view
from crmdp.web.editing import note_add
from crmdp.web.forms import NoteForm
from crmdp.web.layout import page
from crmdp.web.pages.related import customer_url, deal_url, ticket_url
from crmdp.web.records import Link


@member_view
def note_page(request: HttpRequest, membership: Membership, note_id: int) -> HttpResponse:
    note = visible_note(membership, note_id)
    if note is not None and note.customer is not None:
        return redirect(f"{customer_url(note.customer)}#note-{note.id}")
    if note is not None and note.deal is not None:
        return redirect(f"{deal_url(note.deal)}#note-{note.id}")
    if note is not None and note.ticket is not None:
        return redirect(f"{ticket_url(note.ticket)}#note-{note.id}")
    return page(request, membership, "web/not_found.html", {"what": "note"}, status=404)


def _not_found(
    request: HttpRequest, membership: Membership, what: str, section: str
) -> HttpResponse:
    back = Link(section.capitalize(), reverse(f"web:{section}"))
    return page(
        request,
        membership,
        "web/not_found.html",
        {"what": what, "back": back},
        status=404,
        section=section,
    )


def _add(request: HttpRequest, membership: Membership, url: str, **record: Any) -> HttpResponse:
    """The note the member wrote, on the record they may see; back to its page."""
    form = NoteForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form[field].label if field in form.fields else ""
            said = " ".join(str(error) for error in errors)
            messages.error(request, f"{label}: {said}" if label else said)
        return redirect(f"{url}#notes")
    note = note_add(membership=membership, body=form.text(), permit=form.permit(), **record)
    messages.success(request, "Note added.")
    return redirect(f"{url}#note-{note.id}")


@require_POST
@member_view
def customer_note_add(
    request: HttpRequest, membership: Membership, code: str, section: str = "contacts"
) -> HttpResponse:
    kinds = (Kind.LEAD,) if section == "leads" else (Kind.CONTACT, Kind.ACCOUNT)
    customer = visible_customer(membership, code, kinds)
    if customer is None:
        return _not_found(request, membership, "record", section)
    return _add(request, membership, customer_url(customer), customer=customer)


@require_POST
@member_view
def deal_note_add(request: HttpRequest, membership: Membership, deal_id: str) -> HttpResponse:
    number = deal_number(deal_id)
    deal = visible_deal(membership, number) if number is not None else None
    if deal is None:
        return _not_found(request, membership, "deal", "deals")
    return _add(request, membership, deal_url(deal), deal=deal)


@require_POST
@member_view
def ticket_note_add(request: HttpRequest, membership: Membership, code: str) -> HttpResponse:
    ticket = visible_ticket(membership, code)
    if ticket is None:
        return _not_found(request, membership, "ticket", "tickets")
    return _add(request, membership, ticket_url(ticket), ticket=ticket)
