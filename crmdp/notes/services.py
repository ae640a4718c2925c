"""add-note (SPEC §5): a note on a customer or on a deal."""

from __future__ import annotations

from dataclasses import dataclass

from crmdp.customers.matching import CUSTOMER_KINDS, LINKED_ORDER, find_by
from crmdp.customers.models import Customer, Kind
from crmdp.customers.reading import CustomerInput
from crmdp.customers.services import customer_add_tags
from crmdp.deals.models import Deal
from crmdp.history.services import Writer
from crmdp.lib.values import name_key
from crmdp.notes.models import Note
from crmdp.orgs.models import CatalogItem
from crmdp.orgs.permits import Permit


@dataclass
class NoteInput:
    body: str
    permit: Permit
    channel: CatalogItem | None
    tags: list[str]


@dataclass
class NoteResult:
    note: Note | None  # None: nothing matched (not_found)
    customer: Customer | None = None
    deal: Deal | None = None
    matched_on: str | None = None


def note_on_customer(w: Writer, who: CustomerInput, lead: bool, note: NoteInput) -> NoteResult:
    """customerId → passport → email → phone, among leads or contacts/accounts."""
    kinds = (Kind.LEAD,) if lead else CUSTOMER_KINDS
    match = find_by(w.keys, kinds, who, LINKED_ORDER)
    if match is None:
        return NoteResult(None)
    customer = Customer.objects.get(id=match.customer_id)
    created = _note_create(w, note, customer=customer)
    added = customer_add_tags(w, customer.id, note.tags) if note.tags else []
    w.history.add(
        f"Note added by {w.origin.describe()}: “{_excerpt(note.body)}”.",
        customer=customer,
        mentions_note=created,
    )
    if added:
        w.history.add(
            f"Tags added by {w.origin.describe()} with a note: {', '.join(added)}.",
            customer=customer,
        )
    return NoteResult(created, customer=customer, matched_on=match.matched_on)


def note_on_deal(w: Writer, deal_id: int | None, name: str | None, note: NoteInput) -> NoteResult:
    """dealId → name (any case)."""
    deal, matched_on = None, None
    if deal_id is not None:
        deal = Deal.objects.filter(org=w.org, number=deal_id).first()
        matched_on = "dealId"
    if deal is None and name:
        deal = Deal.objects.filter(org=w.org, name_key=name_key(name)).order_by("id").first()
        matched_on = "name"
    if deal is None:
        return NoteResult(None)
    created = _note_create(w, note, deal=deal)
    w.history.add(
        f"Note added by {w.origin.describe()}: “{_excerpt(note.body)}”.",
        deal=deal,
        mentions_note=created,
    )
    return NoteResult(created, deal=deal, matched_on=matched_on)


def _note_create(
    w: Writer, data: NoteInput, *, customer: Customer | None = None, deal: Deal | None = None
) -> Note:
    note = Note.objects.create(
        org=w.org,
        body=data.body,
        customer=customer,
        deal=deal,
        owner=w.origin.actor,
        channel=data.channel,
        permit_status=data.permit.status,
        permit_group=data.permit.group,
        listener=w.origin.listener,
    )
    if data.permit.users:
        note.permit_users.set(data.permit.users)
    return note


def _excerpt(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
