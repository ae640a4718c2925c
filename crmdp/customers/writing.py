"""What a write through the domain's services carries besides its values: the
batch it belongs to.

A listener request runs many actions in one transaction, and what they write in
the same shape is gathered and inserted once at the end (crmdp.listeners.batch):
the keys customers are matched by, the new customers' rows, the org's numbers,
history lines. Each action sees that shared state through a `Batch`, which the
listener's batch engine builds, and passes it to the services it calls.

A page or a command calls the same services without one: `writing()` then gives
the call a batch of its own, in a transaction of its own, taking the same locks a
listener request takes, and inserts what it gathered before the call returns. So
the rules (matching, numbering, history) are the listener's, and nothing is
deferred past the call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction

from crmdp.backends import rows
from crmdp.backends.locks import writers_interleave
from crmdp.customers.locking import lock_identities
from crmdp.customers.matching import KeyIndex
from crmdp.customers.models import Customer
from crmdp.customers.numbering import NewCustomers
from crmdp.history.services import HistoryBuffer, Origin
from crmdp.lib.issues import Warnings
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.numbering import Numbers


@dataclass
class Batch:
    """The state one action shares with the others of its listener request (or a
    single service call keeps for itself): where its history lines and warnings
    go, the org's names, the customer keys as the request sees them, the ids and
    rows of new customers, and the org's numbers (PID-n, CID-n, LID-n, TID-n, dealId).

    History lines, new customers' keys and (when deferred) their rows are inserted
    together when the request's actions are done; those of an action that fails
    are dropped with it."""

    directory: OrgDirectory
    history: HistoryBuffer
    warnings: Warnings
    keys: KeyIndex
    new_customers: NewCustomers
    numbers: Numbers
    # Whether a new customer's row may wait for the others (the action reads no
    # customer rows from the database), or must be inserted at once.
    defer_new_customers: bool = False
    deferred: list[Customer] = field(default_factory=list)  # new rows that wait
    # Every customer the action created, with where its data was in the request:
    # the listener queues their welcome messages (crmdp.messaging.services).
    created: list[tuple[Customer, str]] = field(default_factory=list)

    @classmethod
    def of_origin(cls, origin: Origin, directory: OrgDirectory | None = None) -> Batch:
        """A batch for writes on `origin`'s behalf (one call, or one request)."""
        org = origin.org
        return cls(
            directory=directory or OrgDirectory(org),
            history=HistoryBuffer(origin),
            warnings=Warnings(),
            keys=KeyIndex(org.id),
            new_customers=NewCustomers(),
            numbers=Numbers(org.id),
        )

    def flush(self) -> None:
        """Insert what the batch has gathered (a call of its own, at its end)."""
        self.new_customers.add(self.deferred)
        self.deferred = []
        self.new_customers.flush()
        self.keys.flush()
        self.numbers.save()
        rows.insert(self.history.entries)
        self.history.entries = []


@contextmanager
def writing(
    origin: Origin, batch: Batch | None, *, locks: Iterable[str] = (), numbering: bool = False
) -> Iterator[Batch]:
    """The batch a service writes through.

    Given one (the listener's), the service runs inside that batch's transaction;
    the batch engine has taken the request's locks and decides on savepoints, and
    inserts what was gathered when all actions are done.

    Without one (a page, a command), the call gets a batch of its own and a
    transaction of its own: the identity-key `locks` (crmdp.customers.locking) are
    taken first, then (where writers run side by side) the org's number lock if the
    call may `numbering` a new record: the order a listener request takes them in,
    so neither waits for the other in a cycle. What the call gathered is inserted
    before COMMIT."""
    if batch is not None:
        yield batch
        return
    alone = Batch.of_origin(origin)
    with transaction.atomic():
        lock_identities(origin.org.id, locks)
        if numbering and writers_interleave():
            alone.numbers.lock()
        yield alone
        alone.flush()
