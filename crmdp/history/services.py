"""Writing history lines. Every write to a customer, deal or ticket says who did
what through which way in (SPEC §5: the listener and the sender)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from crmdp.backends import rows
from crmdp.customers.matching import KeyIndex
from crmdp.customers.numbering import NewCustomers
from crmdp.history.models import HistoryEntry
from crmdp.lib.issues import Warnings
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import Org, User
from crmdp.orgs.numbering import Numbers


@dataclass(frozen=True)
class Origin:
    """Who is writing, and through what: a listener request, the UI, the CLI."""

    org: Org
    actor: User | None = None
    listener: Any = None  # crmdp.listeners.models.Listener
    request_id: uuid.UUID | None = None

    def describe(self) -> str:
        sender = self.actor.email if self.actor else "unknown sender"
        if self.listener is not None:
            return f"listener “{self.listener.name}” (sender {sender})"
        return sender


@dataclass
class HistoryBuffer:
    """History lines written in one go at the end of an action (one INSERT, not many)."""

    origin: Origin
    entries: list[HistoryEntry] = field(default_factory=list)

    def add(self, text: str, **record: Any) -> None:
        self.entries.append(
            rows.build(
                HistoryEntry,
                org=self.origin.org,
                text=text,
                listener=self.origin.listener,
                actor=self.origin.actor,
                request_id=self.origin.request_id,
                **record,
            )
        )

    def flush(self) -> None:
        if self.entries:
            HistoryEntry.objects.bulk_create(self.entries)
            self.entries = []


@dataclass
class Writer:
    """What a service needs to write on someone's behalf: who (origin), the org's
    names (directory), where history lines go, where warnings go, the customer keys
    as the request sees them, and the outbox rows to queue.

    New customers, history lines, new customer keys and outbox rows are inserted
    together when the request's actions are done (one INSERT each for a whole
    batch); those of an action that fails are dropped with it."""

    origin: Origin
    directory: OrgDirectory
    history: HistoryBuffer
    warnings: Warnings
    keys: KeyIndex
    new_customers: NewCustomers  # ids for new customers, and the request's pending rows
    numbers: Numbers  # the org's codes: PID-n, CID-n, LID-n, TID-n, dealId
    # Whether a new customer's row may wait for the others (the action reads no
    # customer rows from the database), or must be inserted at once.
    defer_new_customers: bool = False
    created: list[Any] = field(default_factory=list)  # this action's new Customer rows
    outbox: list[Any] = field(default_factory=list)  # Message rows

    @property
    def org(self) -> Org:
        return self.origin.org
