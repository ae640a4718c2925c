"""Reading notes as a given member may see them: a note has its own permit (SPEC §1),
so a note on a customer or deal the member sees may still be hidden from them."""

from __future__ import annotations

from django.db.models import Model, QuerySet

from crmdp.customers.models import Customer
from crmdp.customers.selectors import permitted
from crmdp.deals.models import Deal
from crmdp.notes.models import Note
from crmdp.orgs.models import Membership


def visible_notes(membership: Membership) -> QuerySet[Note]:
    """The org's notes whose permit lets this member see them, with what a note shows."""
    return (
        permitted(Note.objects.filter(org_id=membership.org_id), membership)
        .select_related("owner", "channel", "permit_group", "customer", "deal", "ticket")
        .prefetch_related("permit_users")
    )


def customer_notes(membership: Membership, customer: Customer) -> QuerySet[Note]:
    """A customer's notes this member may see, newest first."""
    return visible_notes(membership).filter(customer=customer).order_by("-id")


def deal_notes(membership: Membership, deal: Deal) -> QuerySet[Note]:
    """A deal's notes this member may see, newest first."""
    return visible_notes(membership).filter(deal=deal).order_by("-id")


def ticket_notes(membership: Membership, ticket: Model) -> QuerySet[Note]:
    """A ticket's notes this member may see, newest first. (Typed as any record:
    notes and tickets are one layer and do not import each other.)"""
    return visible_notes(membership).filter(ticket_id=ticket.pk).order_by("-id")


def visible_note(membership: Membership, note_id: int) -> Note | None:
    return visible_notes(membership).filter(id=note_id).first()
