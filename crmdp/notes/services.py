"""Notes (SPEC §5): a note on a customer, a deal or a ticket, by hand (`note_add`)
or through add-note, which finds its record first (`note_on_customer`,
`note_on_deal`). Services as in crmdp.customers.services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Model

from crmdp.customers.matching import NOTE_ORDER, find_by
from crmdp.customers.models import Customer, Kind, kinds_matched_with
from crmdp.customers.reading import CustomerInput
from crmdp.customers.services import customer_add_tags
from crmdp.customers.writing import Batch, writing
from crmdp.deals.models import Deal
from crmdp.history.services import Origin
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


def note_add(
    *,
    origin: Origin,
    body: str,
    customer: Customer | None = None,
    deal: Deal | None = None,
    ticket: Model | None = None,
    permit: Permit | None = None,
    channel: CatalogItem | None = None,
    tags: Sequence[str] = (),
    batch: Batch | None = None,
) -> Note:
    """A note on one record of the origin's org (a customer, a deal or a ticket),
    with the history line "Note added by …: “…”." on it; `tags` go on the customer
    (with a line of their own). Anything but one record of the org: ValueError.
    (`ticket`: a Ticket; typed loosely because notes and tickets are one layer.)"""
    records = [record for record in (customer, deal, ticket) if record is not None]
    if len(records) != 1 or getattr(records[0], "org_id", None) != origin.org.id:
        raise ValueError("a note is on one record of the origin's org")
    note = NoteInput(body, permit or Permit(), channel, list(tags))
    with writing(origin, batch) as b:
        return _note_add(origin, b, note, customer=customer, deal=deal, ticket=ticket)


def note_on_customer(
    *, origin: Origin, who: CustomerInput, lead: bool, note: NoteInput, batch: Batch | None = None
) -> NoteResult:
    """add-note on a customer: customerId → contactId → passport → email → phone,
    among leads or contacts/accounts (the guide's order, with the contactId its
    table names); none matching is not_found, with a warning."""
    with writing(origin, batch) as b:
        kinds = kinds_matched_with(Kind.LEAD if lead else Kind.CONTACT)
        match = find_by(b.keys, kinds, who, NOTE_ORDER)
        if match is None:
            what = "lead" if lead else "contact or account"
            b.warnings.warn(who.path, f"no {what} matches {who.keys_given()}; no note was added")
            return NoteResult(None)
        customer = Customer.objects.get(id=match.customer_id)
        created = _note_add(origin, b, note, customer=customer)
        return NoteResult(created, customer=customer, matched_on=match.matched_on)


def note_on_deal(
    *, origin: Origin, target: DealTarget, note: NoteInput, batch: Batch | None = None
) -> NoteResult:
    """add-note on a deal: by dealId; by name (any case) only when no dealId was
    given: a dealId names one deal, and a note meant for it must not land on
    another of the same name."""
    with writing(origin, batch) as b:
        if target.given_id is not None:
            matched_on = "dealId"
            deal = (
                Deal.objects.filter(org=origin.org, number=target.deal_id).first()
                if target.deal_id is not None
                else None
            )
            missing = f"no deal has the dealId {target.given_id!r}"
        else:
            matched_on = "name"
            key = name_key(target.name or "")
            deal = Deal.objects.filter(org=origin.org, name_key=key).order_by("id").first()
            missing = f"no deal is named {target.name!r}"
        if deal is None:
            b.warnings.warn(target.path, f"{missing}; no note was added")
            return NoteResult(None)
        created = _note_add(origin, b, note, deal=deal)
        return NoteResult(created, deal=deal, matched_on=matched_on)


def _note_add(
    origin: Origin,
    b: Batch,
    data: NoteInput,
    *,
    customer: Customer | None = None,
    deal: Deal | None = None,
    ticket: Model | None = None,
) -> Note:
    note = Note.objects.create(
        org=origin.org,
        body=data.body,
        customer=customer,
        deal=deal,
        ticket_id=ticket.pk if ticket is not None else None,
        owner=origin.actor,
        channel=data.channel,
        permit_status=data.permit.status,
        permit_group=data.permit.group,
        listener=origin.listener,
    )
    if data.permit.users:
        note.permit_users.set(data.permit.users)
    added = []
    if customer is not None and data.tags:
        added = customer_add_tags(origin=origin, customer_id=customer.id, tags=data.tags, batch=b)
    b.history.add(
        f"Note added by {origin.describe()}: “{_excerpt(data.body)}”.",
        customer=customer,
        deal=deal,
        ticket_id=ticket.pk if ticket is not None else None,
        mentions_note=note,
    )
    if added and customer is not None:
        b.history.add(
            f"Tags added by {origin.describe()} with a note: {', '.join(added)}.",
            customer=customer,
        )
    return note


def _excerpt(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
