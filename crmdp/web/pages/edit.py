"""Creating and editing records by hand: New contact, New account, New lead, New
deal, New ticket, and Edit on every record's page. Each view reads the form, calls
one write of crmdp.web.editing and goes to the record's page; a problem is shown
beside its field and nothing is saved."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from crmdp.customers import keys as keymod
from crmdp.customers.models import Customer, Kind
from crmdp.customers.reading import CustomerInput
from crmdp.customers.selectors import visible_customer, visible_customers
from crmdp.deals.selectors import deal_number, visible_deal
from crmdp.lib.issues import ActionFailed
from crmdp.orgs.models import Membership
from crmdp.tickets.models import TicketStatus
from crmdp.tickets.selectors import visible_ticket
from crmdp.web.access import member_view
from crmdp.web.editing import (
    customer_add_by_hand,
    customer_edit,
    deal_create_by_hand,
    deal_edit,
    identity_taken,
    ticket_create_by_hand,
    ticket_edit,
)
from crmdp.web.layout import page
from crmdp.web.pages.related import customer_url, deal_url, ticket_url
from crmdp.web.record_forms import CustomerForm, DealForm, TicketForm
from crmdp.web.records import Link

SHARING = ("owner", "permit_status", "permit_group", "permit_users")

_NOUN = {Kind.CONTACT: "contact", Kind.ACCOUNT: "account", Kind.LEAD: "lead"}


def may_share(membership: Membership, record: Any) -> bool:
    """Whether the member may change who owns a record and who sees it: its owner,
    or an owner or admin of the org. Anyone who may see a record may edit the rest."""
    return membership.sees_everything or record.owner_id == membership.user_id


def form_page(
    request: HttpRequest,
    membership: Membership,
    form: forms.Form,
    *,
    heading: str,
    section: str,
    back: Link,
    crumb: str,
    legend: str,
    status: int = 200,
    **more: Any,
) -> HttpResponse:
    return page(
        request,
        membership,
        "web/records/form.html",
        {
            "form": form,
            "heading": heading,
            "back": back,
            "crumb": crumb,
            "legend": legend,
            "cancel_url": more.pop("cancel_url", back.url),
            "sharing_fields": SHARING,
            "has_sharing": any(name in form.fields for name in SHARING),
            **more,
        },
        section=section,
        status=status,
    )


def _not_found(request: HttpRequest, membership: Membership, what: str, section: str) -> Any:
    back = Link(section.capitalize(), reverse(f"web:{section}"))
    return page(
        request,
        membership,
        "web/not_found.html",
        {"what": what, "back": back},
        status=404,
        section=section,
    )


# -- customers ------------------------------------------------------------------------


def _customer_new(request: HttpRequest, membership: Membership, kind: Kind) -> HttpResponse:
    section = "leads" if kind == Kind.LEAD else "contacts"
    noun = _NOUN[kind]
    back = Link("Leads" if kind == Kind.LEAD else "Contacts", reverse(f"web:{section}"))
    if request.method == "POST":
        form = CustomerForm(membership, kind, request.POST)
    else:
        form = CustomerForm(membership, kind, initial={"owner": membership.user_id})
    duplicate: Link | None = None
    duplicate_on = ""
    status = 200
    if request.method == "POST":
        data = form.customer_input()
        if data is not None:
            owner, permit = form.sharing()
            data.permit = permit
            try:
                result = customer_add_by_hand(
                    membership=membership,
                    data=data,
                    kind=kind,
                    owner=owner,
                    welcome=form.cleaned_data.get("welcome"),
                    source=form.cleaned_data.get("source"),
                )
            except ActionFailed as failure:  # a rule of the service, named by its field
                for issue in failure.issues:
                    form.problem(issue.field, issue.message)
                result = None
            if result is not None and result.status == "created" and result.customer:
                messages.success(request, f"{result.customer.code} saved.")
                return redirect(customer_url(result.customer))
            if result is not None:
                # Not a second record for the same person (SPEC §5's matching): named and
                # linked, when the member may see it.
                existing = result.customer
                seen = (
                    visible_customer(membership, existing.code, (existing.kind,))
                    if existing is not None
                    else None
                )
                duplicate = (
                    Link(f"{seen.display_name} ({seen.code})", customer_url(seen))
                    if seen
                    else Link("", "")
                )
                match = result.match
                duplicate_on = f"{match.matched_on} {match.value}" if match else "value"
                status = 409
    return form_page(
        request,
        membership,
        form,
        heading=f"New {noun}",
        section=section,
        back=back,
        crumb=f"New {noun}",
        legend=noun.capitalize(),
        status=status,
        duplicate=duplicate,
        duplicate_on=duplicate_on,
    )


@member_view
def contact_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _customer_new(request, membership, Kind.CONTACT)


@member_view
def account_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _customer_new(request, membership, Kind.ACCOUNT)


@member_view
def lead_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _customer_new(request, membership, Kind.LEAD)


def _company_named(membership: Membership, name: str) -> Customer | None:
    """The account of this name (any case) that the member may see, the oldest."""
    return (
        visible_customers(membership)
        .filter(kind=Kind.ACCOUNT, keys__key=keymod.name_key(name) or "")
        .order_by("id")
        .first()
    )


def _account_added(membership: Membership, name: str) -> Customer:
    """The account a contact's edited "Company" names when the member sees none of
    that name: created, as New contact's Company creates it (an account of that name
    the member may not see is linked, not repeated: customer_create's rule)."""
    result = customer_add_by_hand(
        membership=membership, data=CustomerInput(path="company", name=name), kind=Kind.ACCOUNT
    )
    assert result.customer is not None  # created or found, never "not_found"
    return result.customer


def _customer_edit(
    request: HttpRequest, membership: Membership, code: str, kinds: tuple[Kind, ...]
) -> HttpResponse:
    section = "leads" if kinds == (Kind.LEAD,) else "contacts"
    customer = visible_customer(membership, code, kinds)
    if customer is None:
        return _not_found(request, membership, "record", section)
    kind = Kind(customer.kind)
    sharing = may_share(membership, customer)
    if request.method == "POST":
        form = CustomerForm(membership, kind, request.POST, creating=False, may_share=sharing)
        form.initial = CustomerForm.initial_for(customer)  # what a disabled field keeps
    else:
        form = CustomerForm(
            membership,
            kind,
            initial=CustomerForm.initial_for(customer),
            creating=False,
            may_share=sharing,
        )
    url = customer_url(customer)
    if request.method == "POST":
        data = form.customer_input()
        company_name = form.cleaned_data.get("company", "") if kind == Kind.CONTACT else ""
        company = None
        if data is not None and company_name:
            company = _company_named(membership, company_name)
        if data is not None:
            for taken in identity_taken(membership, data, kind, but=customer):
                seen = visible_customer(membership, taken.customer.code, (taken.customer.kind,))
                whose = f"{seen.display_name} ({seen.code})" if seen else "a record you may not see"
                form.add_error(taken.field, f"{taken.value} already belongs to {whose}.")
        if data is not None and not form.errors:
            owner, permit = form.sharing()
            try:
                # A new account only together with the edit that names it.
                with transaction.atomic():
                    if company_name and company is None:
                        company = _account_added(membership, company_name)
                    changes = customer_edit(
                        membership=membership,
                        customer=customer,
                        data=data,
                        owner=owner if sharing else None,
                        permit=permit if sharing else None,
                        company=company,
                        source=form.cleaned_data.get("source"),
                    )
            except ActionFailed as failure:  # a rule of the service, named by its field
                for issue in failure.issues:
                    form.problem(issue.field, issue.message)
            else:
                messages.success(
                    request, f"{customer.code} saved." if changes else "Nothing was changed."
                )
                return redirect(url)
    return form_page(
        request,
        membership,
        form,
        heading=f"Edit {customer.display_name}",
        section=section,
        back=Link(customer.display_name, url),
        crumb="Edit",
        legend=_NOUN[kind].capitalize(),
    )


@member_view
def contact_edit(request: HttpRequest, membership: Membership, code: str) -> HttpResponse:
    return _customer_edit(request, membership, code, (Kind.CONTACT, Kind.ACCOUNT))


@member_view
def lead_edit(request: HttpRequest, membership: Membership, code: str) -> HttpResponse:
    return _customer_edit(request, membership, code, (Kind.LEAD,))


# -- deals ----------------------------------------------------------------------------


@member_view
def deal_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    back = Link("Deals", reverse("web:deals"))
    if request.method == "POST":
        form = DealForm(membership, request.POST)
        values = form.deal_values()
        if values is not None:
            owner, permit = form.sharing()
            deal = deal_create_by_hand(
                membership=membership, values=values, owner=owner, permit=permit
            )
            messages.success(request, f"Deal {deal.number} saved.")
            return redirect(deal_url(deal))
    else:
        initial: dict[str, Any] = {"owner": membership.user_id}
        if request.GET.get("customer"):  # from a customer's page
            initial["customer"] = request.GET["customer"][:40]
        form = DealForm(membership, initial=initial)
        first_stage = form.fields["stage"].queryset.first()  # type: ignore[attr-defined]
        form.initial["stage"] = first_stage.id if first_stage else None
    return form_page(
        request,
        membership,
        form,
        heading="New deal",
        section="deals",
        back=back,
        crumb="New deal",
        legend="Deal",
    )


@member_view
def deal_edit_page(request: HttpRequest, membership: Membership, deal_id: str) -> HttpResponse:
    number = deal_number(deal_id)
    deal = visible_deal(membership, number) if number is not None else None
    if deal is None:
        return _not_found(request, membership, "deal", "deals")
    sharing = may_share(membership, deal)
    initial = DealForm.initial_for(deal)
    if request.method == "POST":
        form = DealForm(membership, request.POST, initial=initial, may_share=sharing)
        values = form.deal_values(current_customer=deal.customer)
        if values is not None:
            owner, permit = form.sharing()
            changes = deal_edit(
                membership=membership,
                deal=deal,
                values=values,
                owner=owner if sharing else None,
                permit=permit if sharing else None,
            )
            messages.success(
                request, f"Deal {deal.number} saved." if changes else "Nothing was changed."
            )
            return redirect(deal_url(deal))
    else:
        form = DealForm(membership, initial=initial, may_share=sharing)
    return form_page(
        request,
        membership,
        form,
        heading=f"Edit {deal.name}",
        section="deals",
        back=Link(deal.name, deal_url(deal)),
        crumb="Edit",
        legend="Deal",
    )


# -- tickets --------------------------------------------------------------------------


@member_view
def ticket_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    back = Link("Tickets", reverse("web:tickets"))
    if request.method == "POST":
        form = TicketForm(membership, request.POST)
        values = form.ticket_values()
        if values is not None:
            ticket = ticket_create_by_hand(membership=membership, values=values)
            messages.success(request, f"{ticket.code} saved.")
            return redirect(ticket_url(ticket))
    else:
        initial: dict[str, Any] = {"status": TicketStatus.NEW}
        for name in ("customer", "deal"):
            if request.GET.get(name):
                initial[name] = request.GET[name][:40]
        form = TicketForm(membership, initial=initial)
    return form_page(
        request,
        membership,
        form,
        heading="New ticket",
        section="tickets",
        back=back,
        crumb="New ticket",
        legend="Ticket",
    )


@member_view
def ticket_edit_page(request: HttpRequest, membership: Membership, code: str) -> HttpResponse:
    ticket = visible_ticket(membership, code)
    if ticket is None:
        return _not_found(request, membership, "ticket", "tickets")
    initial = TicketForm.initial_for(ticket)
    if request.method == "POST":
        form = TicketForm(membership, request.POST, initial=initial)
        values = form.ticket_values(current=ticket)
        if values is not None:
            changes = ticket_edit(membership=membership, ticket=ticket, values=values)
            messages.success(
                request, f"{ticket.code} saved." if changes else "Nothing was changed."
            )
            return redirect(ticket_url(ticket))
    else:
        form = TicketForm(membership, initial=initial)
    return form_page(
        request,
        membership,
        form,
        heading=f"Edit {ticket.title}",
        section="tickets",
        back=Link(ticket.code, ticket_url(ticket)),
        crumb="Edit",
        legend="Ticket",
    )
