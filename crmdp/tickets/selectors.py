"""Reading tickets as a given member may see them: a ticket is visible with its
customer, and to everyone in the org when it has none (as the read API has it)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from crmdp.backends.json_lists import has_text_ignoring_case
from crmdp.customers.models import Customer
from crmdp.customers.selectors import visible_customers
from crmdp.deals.models import Deal
from crmdp.history.models import HistoryEntry
from crmdp.history.selectors import timeline
from crmdp.orgs.models import Membership
from crmdp.tickets.models import Ticket

_TICKET_DIGITS = 18  # more cannot be a bigint id


def ticket_number(code: str) -> int | None:
    """The number in a ticket code, `TID-3` (any case, spaces around ignored); it
    counts within the org, so look it up among the org's tickets only."""
    prefix, dash, number = code.strip().upper().partition("-")
    if prefix != "TID" or not dash:
        return None
    if number.isascii() and number.isdigit() and len(number) <= _TICKET_DIGITS:
        return int(number)
    return None


def visible_tickets(membership: Membership) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(org_id=membership.org_id)
    if membership.sees_everything:
        return tickets
    return tickets.filter(Q(customer__isnull=True) | Q(customer__in=visible_customers(membership)))


def _tagged(tag: str) -> RawSQL:
    """The ticket has this tag, in any case. A ticket's tags are a JSON list with no
    key table (customers have one), so the list's elements are read in the database."""
    return has_text_ignoring_case(Ticket, "tags", tag.strip())


def ticket_list(
    membership: Membership,
    *,
    q: str | None = None,
    channel_id: int | None = None,
    group_id: int | None = None,
    sla_id: int | None = None,
    status: str | None = None,
    tag: str | None = None,
    customer: Customer | None = None,
    deal: Deal | None = None,
) -> QuerySet[Ticket]:
    """A list page of tickets, newest first. `q` is a code (`TID-3`) or any part of
    a title."""
    tickets = visible_tickets(membership)
    if q and q.strip():
        number = ticket_number(q)
        tickets = tickets.filter(
            Q(number=number) if number is not None else Q(title__icontains=q.strip())
        )
    if channel_id is not None:
        tickets = tickets.filter(channel_id=channel_id)
    if group_id is not None:
        tickets = tickets.filter(group_id=group_id)
    if sla_id is not None:
        tickets = tickets.filter(sla_id=sla_id)
    if status:
        tickets = tickets.filter(status=status)
    if tag and tag.strip():
        tickets = tickets.filter(_tagged(tag))
    if customer is not None:
        tickets = tickets.filter(customer=customer)
    if deal is not None:
        tickets = tickets.filter(deal=deal)
    # The assignee joined in: the list's Assignee column costs no query per row.
    return tickets.select_related("customer", "channel", "group", "sla", "assignee").order_by("-id")


def customer_tickets(customer: Customer) -> QuerySet[Ticket]:
    """A customer's tickets, newest first (whoever sees the customer sees them)."""
    return Ticket.objects.filter(customer=customer).select_related("sla").order_by("-id")


def deal_tickets(membership: Membership, deal: Deal) -> QuerySet[Ticket]:
    """The tickets about a deal that this member may see, newest first."""
    return visible_tickets(membership).filter(deal=deal).select_related("customer").order_by("-id")


def visible_ticket(membership: Membership, code: str) -> Ticket | None:
    """The ticket with this code if the member may see it; None otherwise."""
    number = ticket_number(code)
    if number is None:
        return None
    return (
        visible_tickets(membership)
        .select_related(
            "customer",
            "deal",
            "group",
            "sla",
            "channel",
            "owner",
            "assignee",
            "created_by_listener",
        )
        .filter(number=number)
        .first()
    )


def ticket_history(membership: Membership, ticket: Ticket) -> QuerySet[HistoryEntry]:
    """A ticket's timeline as this member may see it, newest first."""
    return timeline(membership).filter(ticket=ticket)
