"""Other records as a record's page lists them: a customer's deals, tickets, notes
and messages; a deal's notes and tickets. Also the one place each record type's
URL is made, so that every page links a record the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from crmdp.customers.models import Customer, Kind
from crmdp.customers.selectors import visible_customer
from crmdp.deals.models import Deal
from crmdp.messaging.models import Channel, Message, MessageStatus
from crmdp.messaging.transports import delivers
from crmdp.notes.models import Note
from crmdp.orgs.models import Membership
from crmdp.tickets.models import UNRESOLVED, Ticket, TicketStatus
from crmdp.web.records import Badge, Column, Link, Row, day, money, visible_to, when

ALL_CUSTOMER_KINDS = (Kind.CONTACT, Kind.ACCOUNT, Kind.LEAD)

# How many of each a record's page shows; "all N" links to the list for more.
SHOWN = 10


def customer_url(customer: Customer) -> str:
    name = "web:lead" if customer.kind == Kind.LEAD else "web:contact"
    return reverse(name, args=[customer.code])


def customer_link(customer: Customer) -> Link:
    return Link(f"{customer.display_name} ({customer.code})", customer_url(customer))


def deal_url(deal: Deal) -> str:
    return reverse("web:deal", args=[deal.number])


def ticket_url(ticket: Ticket) -> str:
    return reverse("web:ticket", args=[ticket.code])


def message_url(message: Message) -> str:
    return reverse("web:message", args=[message.id])


def scoped_customer(membership: Membership, code: str | None) -> Customer | None:
    """The customer a list is narrowed to (`?customer=PID-3`), if the member sees it."""
    return visible_customer(membership, code, ALL_CUSTOMER_KINDS) if code else None


# -- SLA times ------------------------------------------------------------------------


def is_overdue(ticket: Ticket, due: datetime | None, now: datetime) -> bool:
    """A ticket still waiting for work past a due time (a resolved or closed one is
    late no more)."""
    return due is not None and ticket.status in UNRESOLVED and due < now


def due_lines(ticket: Ticket, due: datetime | None, now: datetime) -> list[str | Badge]:
    """A due time, and, when it has passed on an open ticket, by how long."""
    if due is None:
        return []
    if not is_overdue(ticket, due, now):
        return [when(due)]
    return [when(due), Badge(f"Overdue by {_span(now - due)}", "overdue")]


def _span(delta: timedelta) -> str:
    """3 d 4 h, 5 h 20 min, 12 min: the two largest units."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{max(minutes, 1)} min"


def resolution_cell(ticket: Ticket, now: datetime) -> str | Badge:
    """The list's due column: the resolution time, red once it has passed."""
    due = ticket.resolution_due
    if due is None:
        return ""
    return Badge(when(due), "overdue") if is_overdue(ticket, due, now) else when(due)


def status_badge(status: str) -> Badge:
    known = status in TicketStatus.values
    return Badge(TicketStatus(status).label if known else status, status)


# -- tables on a record's page ----------------------------------------------------------


@dataclass
class RelatedTable:
    """A titled table of other records on a record's page, the newest SHOWN of them."""

    title: str
    key: str  # its HTML id: #deals, #tickets
    columns: Sequence[Column]
    rows: list[Row]
    empty: str
    more: Link | None = None  # "All 14 →" when there are more than shown


# "All N →" counts at most this many: a search word that matches half a million
# customers must not have the database count them all to draw a link.
COUNTED_UP_TO = 1000


def counted(records: QuerySet[Any]) -> str:
    """How many `records` there are, "1,000+" past COUNTED_UP_TO (the count reads
    no more rows than that)."""
    total = records[: COUNTED_UP_TO + 1].count()
    return f"{COUNTED_UP_TO:,}+" if total > COUNTED_UP_TO else f"{total:,}"


def related_table(
    title: str,
    key: str,
    columns: Sequence[Column],
    records: QuerySet[Any],
    url: Callable[[Any], str] | None,
    *,
    empty: str,
    more_url: str = "",
) -> RelatedTable:
    """The newest SHOWN of `records` (one row more is read to know whether there
    are others; the link to all of them counts them only then)."""
    found = list(records[: SHOWN + 1])
    more = None
    if len(found) > SHOWN and more_url:
        more = Link(f"All {counted(records)} →", more_url)
    rows = [
        Row(url(record) if url else "", [(column, column.cell(record)) for column in columns])
        for record in found[:SHOWN]
    ]
    return RelatedTable(title, key, columns, rows, empty, more)


DEAL_COLUMNS = (
    Column("Deal", lambda d: d.name),
    Column("Stage", lambda d: d.stage.name if d.stage else ""),
    Column("Value", lambda d: money(d.value, d.currency), "nowrap"),
    Column("Close date", lambda d: day(d.close_date), "muted nowrap"),
)


def ticket_columns(now: datetime) -> tuple[Column, ...]:
    return (
        Column("Ticket", lambda t: t.title),
        Column("Code", lambda t: t.code, "muted nowrap"),
        Column("Status", lambda t: status_badge(t.status)),
        Column("Resolution due", lambda t: resolution_cell(t, now), "nowrap"),
    )


def message_badge(message: Message) -> Badge:
    """A message's status in words; one that a provider kept instead of delivering
    (the file backend, the SMS log) is "kept, not sent", never "sent"."""
    if message.status == MessageStatus.SENT and not delivers(message.provider):
        return Badge("kept, not sent", "kept")
    return status_badge(message.status)


def _message_text(message: Message) -> str:
    return message.subject or message.body


def channel_name(message: Message) -> str:
    return "Email" if message.channel == Channel.EMAIL else "SMS"


def _customer_name(message: Message) -> str | Link:
    customer = message.customer
    return Link(customer.display_name, customer_url(customer)) if customer else ""


# The org's outbox (Messages) as a table.
MESSAGE_COLUMNS = (
    Column("To", lambda m: m.to),
    Column("Customer", _customer_name),
    Column("Channel", channel_name, "muted"),
    Column("Subject or text", _message_text),
    Column("Status", message_badge),
    Column("Attempts", lambda m: str(m.attempts), "muted"),
    Column("Last error", lambda m: m.last_error, "error-text"),
    Column("Sent", lambda m: when(m.sent_at), "muted nowrap"),
)


@dataclass
class MessageItem:
    """A message on its customer's page: too many facts for a narrow table's row."""

    url: str  # its own page, for owners and admins
    channel: str
    to: str
    text: str
    status: Badge
    attempts: int
    last_error: str
    queued: str
    sent: str


@dataclass
class MessageList:
    items: list[MessageItem]
    more: Link | None


def message_list(
    membership: Membership, messages: QuerySet[Message], *, more_url: str = ""
) -> MessageList:
    """The newest SHOWN of a customer's messages with their status; owners and admins
    open each one, and the outbox for all of them."""
    found = list(messages[: SHOWN + 1])
    manager = membership.sees_everything
    items = [
        MessageItem(
            url=message_url(message) if manager else "",
            channel=channel_name(message),
            to=message.to,
            text=_message_text(message),
            status=message_badge(message),
            attempts=message.attempts,
            last_error=message.last_error,
            queued=when(message.created_at),
            sent=when(message.sent_at),
        )
        for message in found[:SHOWN]
    ]
    more = None
    if len(found) > SHOWN and manager and more_url:
        more = Link(f"All {counted(messages)} →", more_url)
    return MessageList(items, more)


# -- notes ----------------------------------------------------------------------------

# A record's page shows this many of its notes (newest first); notes have no list
# page of their own, so the limit is generous.
NOTES_SHOWN = 50


@dataclass
class NoteItem:
    anchor: str  # note-12: a link to a note opens the page here
    body: str
    author: str
    at: str
    channel: str
    visible_to: str


@dataclass
class NoteList:
    items: list[NoteItem]
    hidden: int  # older notes not shown


def note_list(notes: QuerySet[Note]) -> NoteList:
    found = list(notes[: NOTES_SHOWN + 1])
    items = [
        NoteItem(
            anchor=f"note-{note.id}",
            body=note.body,
            author=note.owner.email if note.owner else "",
            at=when(note.created_at),
            channel=note.channel.name if note.channel else "",
            visible_to=visible_to(note),
        )
        for note in found[:NOTES_SHOWN]
    ]
    hidden = notes.count() - NOTES_SHOWN if len(found) > NOTES_SHOWN else 0
    return NoteList(items, hidden)
