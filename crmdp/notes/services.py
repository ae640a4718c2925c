"""add-note (SPEC §5): a note on a customer or on a deal."""

from __future__ import annotations

from dataclasses import dataclass

from crmdp.customers.matching import CUSTOMER_KINDS, NOTE_ORDER, find_by
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
class DealTarget:
    """The deal a note is for, as sent: its dealId (read, and as given) and name."""

    path: str  # the field that names it, for the not_found reason
    deal_id: int | None
    given_id: str | None
    name: str | None


@dataclass
class NoteResult:
    note: Note | None  # None: nothing matched (not_found)
    customer: Customer | None = None
    deal: Deal | None = None
    matched_on: str | None = None


def note_on_customer(w: Writer, who: CustomerInput, lead: bool, note: NoteInput) -> NoteResult:
    """customerId → contactId → passport → email → phone, among leads or
    contacts/accounts (the guide's order, with the contactId its table names)."""
    kinds = (Kind.LEAD,) if lead else CUSTOMER_KINDS
    match = find_by(w.keys, kinds, who, NOTE_ORDER)
    if match is None:
        what = "lead" if lead else "contact or account"
        w.warnings.warn(who.path, f"no {what} matches {who.keys_given()}; no note was added")
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


def note_on_deal(w: Writer, target: DealTarget, note: NoteInput) -> NoteResult:
    """By dealId; by name (any case) only when no dealId was given: a dealId names
    one deal, and a note meant for it must not land on another of the same name."""
    if target.given_id is not None:
        matched_on = "dealId"
        deal = (
            Deal.objects.filter(org=w.org, number=target.deal_id).first()
            if target.deal_id is not None
            else None
        )
        missing = f"no deal has the dealId {target.given_id!r}"
    else:
        matched_on = "name"
        key = name_key(target.name or "")
        deal = Deal.objects.filter(org=w.org, name_key=key).order_by("id").first()
        missing = f"no deal is named {target.name!r}"
    if deal is None:
        w.warnings.warn(target.path, f"{missing}; no note was added")
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
