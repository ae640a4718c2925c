"""The writes the pages make, in one place: each page that changes a record calls
one function here, which calls the domain's service with the member as the actor
(the same services the listener and the CLI call, so the same history, matching
and messages apply). Nothing here writes a row itself."""

from __future__ import annotations

from django.db import transaction

from crmdp.customers.editing import customer_edit as _customer_edit
from crmdp.customers.models import Customer, Kind
from crmdp.customers.reading import CustomerInput
from crmdp.customers.selectors import Taken
from crmdp.customers.selectors import identity_taken as _identity_taken
from crmdp.customers.services import CustomerResult, customer_create
from crmdp.deals.editing import DealForm, deal_create
from crmdp.deals.editing import deal_edit as _deal_edit
from crmdp.deals.models import Deal
from crmdp.deals.services import deal_set_stage
from crmdp.history.services import Origin
from crmdp.lib.issues import Warnings
from crmdp.listeners.models import Listener
from crmdp.messaging.services import welcome_new_customers
from crmdp.notes.models import Note
from crmdp.notes.services import note_add as _note_add
from crmdp.orgs.models import CatalogItem, Membership, User, UserGroup
from crmdp.orgs.permits import Permit
from crmdp.tickets.editing import TicketForm, ticket_create
from crmdp.tickets.editing import ticket_edit as _ticket_edit
from crmdp.tickets.models import Ticket
from crmdp.tickets.services import ticket_set_assignee as _ticket_set_assignee
from crmdp.tickets.services import ticket_set_group as _ticket_set_group

__all__ = ["DealValues", "Taken", "TicketValues"]


def origin_of(membership: Membership) -> Origin:
    """The member, writing through the UI."""
    return Origin.for_member(membership)


def deal_move(*, membership: Membership, deal: Deal, stage: CatalogItem) -> bool:
    """Move a deal to another stage of its org (crmdp.deals.services.deal_set_stage)."""
    return deal_set_stage(origin=origin_of(membership), deal=deal, stage=stage)


def note_add(
    *,
    membership: Membership,
    body: str,
    permit: Permit,
    customer: Customer | None = None,
    deal: Deal | None = None,
    ticket: Ticket | None = None,
) -> Note:
    """A note by the member on one record of their org (crmdp.notes.services.note_add)."""
    return _note_add(
        origin=origin_of(membership),
        body=body,
        permit=permit,
        customer=customer,
        deal=deal,
        ticket=ticket,
    )


def ticket_set_group(*, membership: Membership, ticket: Ticket, group: UserGroup | None) -> bool:
    return _ticket_set_group(origin=origin_of(membership), ticket=ticket, group=group)


def ticket_set_assignee(*, membership: Membership, ticket: Ticket, assignee: User | None) -> bool:
    return _ticket_set_assignee(origin=origin_of(membership), ticket=ticket, assignee=assignee)


# -- customers --------------------------------------------------------------------------


def customer_add_by_hand(
    *,
    membership: Membership,
    data: CustomerInput,
    kind: Kind,
    owner: User | None = None,
    welcome: Listener | None = None,
    source: CatalogItem | None = None,
) -> CustomerResult:
    """A contact, account or lead typed in by a member, created only when it repeats
    no other (crmdp.customers.services.customer_create). `welcome` is the listener
    whose welcome email and SMS the new customer gets, as if that listener had
    created it (None: none). `source`: one of the org's customer sources."""
    origin = origin_of(membership)
    # One transaction: a customer that is saved always gets its messages.
    with transaction.atomic():
        result = customer_create(origin=origin, data=data, kind=kind, owner=owner, source=source)
        if welcome is not None and welcome.org_id == membership.org_id and result.created:
            warnings = Warnings()
            welcome_new_customers(
                origin=origin,
                customers=[(customer, data.path) for customer in result.created],
                listener=welcome,
                warnings=warnings,
            )
            result.warnings += warnings
    return result


def identity_taken(
    membership: Membership, data: CustomerInput, kind: Kind, but: Customer | None = None
) -> list[Taken]:
    """Which of the emails, phones and passport typed in already belong to another
    customer of the member's org (crmdp.customers.selectors.identity_taken)."""
    return _identity_taken(membership.org_id, data, kind, but)


def customer_edit(
    *,
    membership: Membership,
    customer: Customer,
    data: CustomerInput,
    owner: User | None,
    permit: Permit | None,
    company: Customer | None,
    source: CatalogItem | None,
) -> list[str]:
    """Save the edit form of a customer (crmdp.customers.editing.customer_edit)."""
    return _customer_edit(
        origin=origin_of(membership),
        customer=customer,
        data=data,
        owner=owner,
        permit=permit,
        company=company,
        source=source,
    )


# -- deals and tickets: the forms' values are the services' ------------------------------

DealValues = DealForm
TicketValues = TicketForm


def deal_create_by_hand(
    *, membership: Membership, values: DealForm, owner: User | None, permit: Permit
) -> Deal:
    """A deal typed in by a member (crmdp.deals.services.deal_create)."""
    return deal_create(origin=origin_of(membership), values=values, owner=owner, permit=permit)


def deal_edit(
    *,
    membership: Membership,
    deal: Deal,
    values: DealForm,
    owner: User | None,
    permit: Permit | None,
) -> list[str]:
    """Save a deal's edit form (crmdp.deals.services.deal_edit)."""
    return _deal_edit(
        origin=origin_of(membership), deal=deal, values=values, owner=owner, permit=permit
    )


def ticket_create_by_hand(*, membership: Membership, values: TicketForm) -> Ticket:
    """A ticket typed in by a member (crmdp.tickets.services.ticket_create)."""
    return ticket_create(origin=origin_of(membership), values=values)


def ticket_edit(*, membership: Membership, ticket: Ticket, values: TicketForm) -> list[str]:
    """Save a ticket's edit form (crmdp.tickets.services.ticket_edit)."""
    return _ticket_edit(origin=origin_of(membership), ticket=ticket, values=values)
