"""The batch engine: a request's actions run in order inside one transaction, and
what they all write in the same shape is inserted together at the end.

The one owner of: the identity-key locks, the key index read in one query, ids
taken ahead for the customers the request is expected to create, the org's number
lock, running each action (without a savepoint unless a failed action wrote, see
Batch), the bulk inserts at the end, and running a request again after a
serialization failure.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import DatabaseError, OperationalError, transaction

from crmdp.backends import rows
from crmdp.backends.locks import writers_interleave
from crmdp.backends.pipelines import pipelined
from crmdp.backends.statements import ends_the_transaction, transient, writes_counted
from crmdp.customers import writing
from crmdp.customers.locking import customer_key, lock_identities
from crmdp.customers.matching import KeyIndex, find_duplicate
from crmdp.customers.numbering import NewCustomers
from crmdp.history.models import HistoryEntry
from crmdp.history.services import HistoryBuffer, Origin
from crmdp.lib.issues import ActionFailed, Invalid, Issue, Warnings
from crmdp.listeners.actions import Action, Planned
from crmdp.listeners.actions.base import ODD_VALUE
from crmdp.listeners.results import Outcome, action_result
from crmdp.messaging.models import Message
from crmdp.messaging.services import welcome_new_customers
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.numbering import Numbers

log = logging.getLogger(__name__)

# A transient failure (a serialization failure, a deadlock) runs the request again.
_ATTEMPTS = 5

Opened = TypeVar("Opened")
Done = TypeVar("Done")


def write(
    origin: Origin,
    directory: OrgDirectory,
    planned: list[Planned],
    *,
    opening: Callable[[], Opened],
    closing: Callable[[Opened, list[dict[str, Any]]], Done],
) -> Done:
    """Run the `planned` actions in one transaction and return what `closing` makes
    of their results. `opening()` runs first in that transaction and `closing` last
    (the idempotency claim and the delivery log), so that they commit, or roll back
    and run again, with the actions. `closing` runs with the batch's writes in one
    `pipelined()` block: it may write, and must not read a write's answer (a row
    count; an id returned is set at the block's end)."""
    actions = [plan.action for plan in planned if plan.action]
    locks = [key for action in actions for key in action.lock_keys()]
    attempt, savepoints = 1, False
    while True:
        try:
            with transaction.atomic():
                opened = opening()
                batch = Batch(origin, directory, savepoints)
                batch.prepare(actions, locks)
                with writes_counted(batch.count_write):
                    results = [batch.execute(plan) for plan in planned]
                # The request's writes, queued and sent together (no answer of
                # theirs is read before the end), then COMMIT.
                with pipelined():
                    batch.flush()
                    done = closing(opened, results)
            return done
        except NeedsSavepoints:
            # Rolled back whole; run again, each action in a savepoint of its own.
            assert not savepoints
            savepoints = True
            log.info(
                "request %s: an action failed after writing; running it again with a "
                "savepoint per action",
                origin.request_id,
            )
        except OperationalError as exc:
            if not transient(exc) or attempt == _ATTEMPTS:
                raise
            log.info("request %s: %s, retrying (attempt %d)", origin.request_id, exc, attempt)
            time.sleep(0.005 * attempt)
            attempt += 1


class NeedsSavepoints(Exception):
    """An action failed after writing to the database (or with a database error):
    only a savepoint can take its writes back, and it had none."""


@dataclass
class Batch:
    """The actions of one request, run in order in its transaction. What they all
    write in the same shape (history lines, new customers' keys, outbox rows) is
    gathered here and inserted once, at the end, with one statement each.

    A failing action must leave no trace. What it gathered is simply dropped, and
    most actions fail (if they fail) while reading and matching, before any write
    of their own; so actions run without a savepoint each (two statements, a tenth
    of a batch's time). Should an action fail after a write of its own, the request
    is rolled back and run again with `savepoints`, which take each failing
    action's writes back and let the others stand."""

    origin: Origin
    directory: OrgDirectory
    savepoints: bool = False
    keys: KeyIndex = field(init=False)
    numbers: Numbers = field(init=False)
    new_customers: NewCustomers = field(default_factory=NewCustomers)
    history: list[HistoryEntry] = field(default_factory=list)
    outbox: list[Message] = field(default_factory=list)
    writes: int = 0  # statements other than SELECT run by the actions so far

    def __post_init__(self) -> None:
        self.keys = KeyIndex(self.origin.org.id)
        self.numbers = Numbers(self.origin.org.id)

    def prepare(self, actions: list[Action], locks: list[str]) -> None:
        """Before the first action runs: the identity locks, every customer key the
        actions carry (one query, after the locks, so no other writer can change them
        before we commit) and, on PostgreSQL, ids for the customers the request is
        expected to create (one query) and the org's number lock if an action may
        number a record (before any row lock an action takes)."""
        lock_identities(self.origin.org.id, locks)
        self.keys.prefetch(key for lock in locks if (key := customer_key(lock)))
        if not writers_interleave():
            return  # SQLite: ids cost no query, and its one write lock orders writers
        adding = [self._adds_new_customer(action) for action in actions]
        if self.new_customers.takes_ids_in_blocks:
            self.new_customers.reserve(sum(adding))
        if any(action.may_number or adds for action, adds in zip(actions, adding, strict=True)):
            self.numbers.lock()

    def _adds_new_customer(self, action: Action) -> bool:
        """Whether `action` is expected to create a customer: it adds one, and the
        keys read so far find no duplicate of it."""
        adds = action.adds_customer
        return adds is not None and find_duplicate(self.keys, adds.kinds, adds.data) is None

    def count_write(self) -> None:
        self.writes += 1

    def execute(self, plan: Planned) -> dict[str, Any]:
        warnings = Warnings(list(plan.warnings))
        if plan.action is None:
            assert plan.failure is not None
            return action_result(
                plan.index, plan.action_type, Outcome("error"), warnings, plan.failure.issues
            )
        # What the action's services share with the other actions (the domain's
        # side of this batch: crmdp.customers.writing).
        shared = writing.Batch(
            self.directory,
            HistoryBuffer(self.origin),
            warnings,
            self.keys,
            self.new_customers,
            self.numbers,
            defer_new_customers=not plan.action.needs_customer_rows,
        )
        outbox: list[Message] = []
        if plan.action.needs_customer_rows:
            self.new_customers.flush()  # so that it finds the customers created before it
        issues: list[Issue] = []
        self.keys.action_started()
        self.numbers.action_started()
        writes_before = self.writes
        try:
            with transaction.atomic() if self.savepoints else contextlib.nullcontext():
                outcome = plan.action.run(self.origin, shared)
                # The listener's welcome messages for every customer the action created.
                welcome_new_customers(
                    origin=self.origin, customers=shared.created, warnings=warnings, outbox=outbox
                )
        except ActionFailed as failure:
            issues = failure.issues
        except Invalid as invalid:  # a service's validation error names its field too
            issues = [Issue(invalid.field, invalid.message)]
        except (DatabaseError, *ODD_VALUE) as exc:
            if ends_the_transaction(exc):
                raise  # the whole request is retried (or fails) rather than half-done
            if not self.savepoints:
                raise NeedsSavepoints from exc
            log.exception("request %s: action %d failed", self.origin.request_id, plan.index)
            reference = f"could not be stored (reference {self.origin.request_id})"
            issues = [Issue(f"data[{plan.index}]", reference)]
        if issues:
            if self.writes != writes_before and not self.savepoints:
                raise NeedsSavepoints
            self.keys.action_failed()
            self.numbers.action_failed()
            return action_result(plan.index, plan.action_type, Outcome("error"), warnings, issues)
        self.keys.action_done()
        self.numbers.action_done()
        self.new_customers.add(shared.deferred)
        self.history += shared.history.entries
        self.outbox += outbox
        return action_result(plan.index, plan.action_type, outcome, warnings)

    def flush(self) -> None:
        self.new_customers.flush()
        self.keys.flush()
        self.numbers.save()
        rows.insert(self.history)
        rows.insert(self.outbox)
