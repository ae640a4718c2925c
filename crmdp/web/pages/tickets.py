"""Tickets: the list with search and filters, and a ticket's page."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from crmdp.deals.models import Deal
from crmdp.deals.selectors import deal_number, visible_deals
from crmdp.history.services import Origin
from crmdp.notes.selectors import ticket_notes
from crmdp.orgs.models import Membership
from crmdp.tickets.models import Ticket, TicketStatus
from crmdp.tickets.selectors import ticket_history, ticket_list, visible_ticket
from crmdp.tickets.services import ticket_set_status
from crmdp.web.access import member_view
from crmdp.web.editing import ticket_set_assignee, ticket_set_group
from crmdp.web.forms import NoteForm, TicketAssignForm, TicketFilters
from crmdp.web.layout import page
from crmdp.web.pages.related import (
    customer_link,
    customer_url,
    deal_url,
    due_lines,
    is_overdue,
    note_list,
    resolution_cell,
    scoped_customer,
    status_badge,
    ticket_url,
)
from crmdp.web.records import (
    NOT_SHARED,
    Action,
    Badge,
    Card,
    Column,
    Fact,
    Link,
    RecordList,
    custom_field_facts,
    day,
    fact,
    list_page,
    when,
)


def tickets_spec(now: datetime) -> RecordList:
    """The tickets list; its due column is read against `now`, once per page."""
    return RecordList(
        section="tickets",
        title="Tickets",
        noun="tickets",
        columns=(
            Column("Title", lambda t: t.title, sort="title"),
            Column("Code", lambda t: t.code, "muted nowrap", sort="code"),
            Column("Status", lambda t: status_badge(t.status), sort="status"),
            Column("Customer", lambda t: t.customer.display_name if t.customer else ""),
            Column("Channel", lambda t: t.channel.name if t.channel else "", "muted"),
            Column("Group", lambda t: t.group.name if t.group else "", "muted"),
            Column("Assignee", lambda t: t.assignee.email if t.assignee else "", "muted"),
            Column("SLA", lambda t: t.sla.name if t.sla else "", "muted"),
            Column("Resolution due", lambda t: resolution_cell(t, now), "nowrap", sort="due"),
            Column("Tags", lambda t: t.tags, "tags"),
            Column("Created", lambda t: day(t.created_at), "muted nowrap optional", sort="created"),
        ),
        detail_url=ticket_url,
        # The id last, so that equal values keep one order from page to page.
        sorts={
            "title": ("title", "id"),
            "code": ("number",),
            "status": ("status", "id"),
            "due": ("resolution_due", "id"),
            "created": ("created_at", "id"),
        },
        export_name="tickets",
        empty_hint="Tickets arrive through webhook listeners (the add-ticket action).",
        search_hint="Try a part of the title, or a code such as TID-12.",
    )


def _scoped_deal(membership: Membership, given: str | None) -> Deal | None:
    number = deal_number(given) if given else None
    return visible_deals(membership).filter(number=number).first() if number is not None else None


@member_view
def ticket_list_page(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    filters = TicketFilters(membership.org, request.GET)
    filters.is_valid()  # an unknown channel, group or SLA id is dropped, not an error page
    given = filters.cleaned_data
    customer = scoped_customer(membership, given.get("customer"))
    deal = _scoped_deal(membership, given.get("deal"))
    records = ticket_list(
        membership,
        q=given.get("q"),
        channel_id=given["channel"].id if given.get("channel") else None,
        group_id=given["group"].id if given.get("group") else None,
        sla_id=given["sla"].id if given.get("sla") else None,
        status=given.get("status") or None,
        tag=given.get("tag"),
        customer=customer,
        deal=deal,
    )
    if (given.get("customer") and customer is None) or (given.get("deal") and deal is None):
        records = records.none()  # narrowed to a record the member may not see
    scope = (
        customer_link(customer)
        if customer
        else Link(f"deal {deal.number} {deal.name}", deal_url(deal))
        if deal
        else None
    )
    spec = tickets_spec(timezone.now())
    actions = [Action("New ticket", reverse("web:ticket-new"), primary=True)]
    return list_page(request, membership, spec, records, filters, scope=scope, actions=actions)


# -- detail ---------------------------------------------------------------------------


def _deal_line(membership: Membership, ticket: Ticket) -> str | Link | None:
    """The deal, linked when the member may see it; else neither its name nor its id."""
    deal = ticket.deal
    if deal is None:
        return None
    if membership.sees_everything or visible_deals(membership).filter(id=deal.id).exists():
        return Link(f"{deal.name} (deal {deal.number})", deal_url(deal))
    return NOT_SHARED


def ticket_facts(membership: Membership, ticket: Ticket) -> list[Fact]:
    """Every field of a ticket, in the order of the add-ticket action."""
    # Visible with its customer: whoever sees the ticket may open its customer.
    customer = customer_link(ticket.customer) if ticket.customer else None
    return [
        fact("Title", ticket.title),
        fact("Status", status_badge(ticket.status)),
        fact("Customer", customer),
        fact("Deal", _deal_line(membership, ticket)),
        fact("Group", ticket.group.name if ticket.group else ""),
        fact("Assignee", ticket.assignee.email if ticket.assignee else ""),
        fact("Channel", ticket.channel.name if ticket.channel else ""),
        fact("Body", ticket.body, style="pre"),
    ]


def sla_facts(ticket: Ticket, now: datetime) -> list[Fact]:
    return [
        fact("Policy", ticket.sla.name if ticket.sla else ""),
        fact("First response due", *due_lines(ticket, ticket.first_response_due, now)),
        fact("Resolution due", *due_lines(ticket, ticket.resolution_due, now)),
    ]


def _record_facts(ticket: Ticket) -> list[Fact]:
    listener = ticket.created_by_listener
    return [
        fact("Owner", ticket.owner.email if ticket.owner else ""),
        fact("Created", when(ticket.created_at)),
        fact("Created through", f"listener “{listener.name}”" if listener else ""),
    ]


def _ticket_not_found(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Another org's ticket, or one this member may not see, is as missing as one
    never made."""
    back = Link("Tickets", reverse("web:tickets"))
    return page(
        request,
        membership,
        "web/not_found.html",
        {"what": "ticket", "back": back},
        status=404,
        section="tickets",
    )


@member_view
def ticket_detail(request: HttpRequest, membership: Membership, code: str) -> HttpResponse:
    back = Link("Tickets", reverse("web:tickets"))
    ticket = visible_ticket(membership, code)
    if ticket is None:
        return _ticket_not_found(request, membership)
    now = timezone.now()
    cards = [Card("SLA", sla_facts(ticket, now)), Card("Record", _record_facts(ticket))]
    custom = custom_field_facts(ticket.org_id, "ticket", ticket.custom_fields)
    if custom:
        cards.append(Card("Custom fields", custom))
    overdue = is_overdue(ticket, ticket.first_response_due, now) or is_overdue(
        ticket, ticket.resolution_due, now
    )
    return page(
        request,
        membership,
        "web/tickets/detail.html",
        {
            "record": ticket,
            "back": back,
            "status": status_badge(ticket.status),
            "overdue": Badge("Overdue", "overdue") if overdue else None,
            "customer_url": customer_url(ticket.customer) if ticket.customer else "",
            "facts": ticket_facts(membership, ticket),
            "cards": cards,
            "history": list(ticket_history(membership, ticket)),
            "statuses": TicketStatus.choices,
            "notes": note_list(ticket_notes(membership, ticket)),
            "note_form": NoteForm(),
            "note_url": reverse("web:ticket-note-add", args=[ticket.code]),
            "assign_form": TicketAssignForm(
                membership.org,
                initial={"assignee": ticket.assignee_id, "group": ticket.group_id},
            ),
        },
        section="tickets",
    )


@require_POST
@member_view
def ticket_status_page(request: HttpRequest, membership: Membership, code: str) -> HttpResponse:
    """Move a ticket to another status: anyone who may see the ticket may."""
    ticket = visible_ticket(membership, code)
    if ticket is None:
        return _ticket_not_found(request, membership)
    status = request.POST.get("status", "")
    if status not in TicketStatus.values:
        messages.error(request, f"{status!r} is not a ticket status.")
    elif ticket_set_status(
        ticket=ticket, status=status, origin=Origin(org=membership.org, actor=membership.user)
    ):
        messages.success(request, f"{ticket.code} is now {TicketStatus(status).label}.")
    return redirect(ticket_url(ticket))


@require_POST
@member_view
def ticket_assign_page(request: HttpRequest, membership: Membership, code: str) -> HttpResponse:
    """Give a ticket to a member and a group of the org: anyone who may see it may."""
    ticket = visible_ticket(membership, code)
    if ticket is None:
        return _ticket_not_found(request, membership)
    form = TicketAssignForm(membership.org, request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            said = " ".join(str(error) for error in errors)
            messages.error(request, f"{form[field].label}: {said}")
        return redirect(ticket_url(ticket))
    changed = [
        ticket_set_assignee(
            membership=membership, ticket=ticket, assignee=form.cleaned_data["assignee"]
        ),
        ticket_set_group(membership=membership, ticket=ticket, group=form.cleaned_data["group"]),
    ]
    if any(changed):
        who = ticket.assignee.email if ticket.assignee else "nobody"
        group = ticket.group.name if ticket.group else "no group"
        messages.success(request, f"{ticket.code} is assigned to {who} ({group}).")
    return redirect(ticket_url(ticket))
