"""Writing history lines. Every write to a customer, deal or ticket says who did
what through which way in (SPEC §5: the listener and the sender)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crmdp.backends import rows
from crmdp.history.models import HistoryEntry
from crmdp.orgs.models import Membership, Org, User


@dataclass(frozen=True)
class Origin:
    """Who is writing, and through what: a listener request, the UI, the CLI."""

    org: Org
    actor: User | None = None
    listener: Any = None  # crmdp.listeners.models.Listener
    request_id: uuid.UUID | None = None
    operator: bool = False  # at the server's command line

    @classmethod
    def for_member(cls, membership: Membership) -> Origin:
        """A member of an org, writing through the UI."""
        return cls(org=membership.org, actor=membership.user)

    @classmethod
    def for_operator(cls, org: Org, user: User | None = None) -> Origin:
        """Someone at the server's command line (crmdp …), as `user` if given."""
        return cls(org=org, actor=user, operator=True)

    def describe(self) -> str:
        sender = self.actor.email if self.actor else "unknown sender"
        if self.listener is not None:
            return f"listener “{self.listener.name}” (sender {sender})"
        if self.operator:
            return f"{self.actor.email} at the command line" if self.actor else "the command line"
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


def change_recorder(
    record: Any, changes: list[str], shown: Callable[[Any], str]
) -> Callable[[str, str, Any], None]:
    """`put(attribute, label, value)` for an edit form: sets the record's attribute
    and, when the value differs, adds "label: old → new" to `changes`, the words of
    the one history line an edit writes."""

    def put(attribute: str, label: str, value: Any) -> None:
        old = getattr(record, attribute)
        if old != value:
            setattr(record, attribute, value)
            changes.append(f"{label}: {shown(old)} → {shown(value)}")

    return put
