"""What every action shares: the Action base class, and the helpers several action
types use (lock keys, a customer's outcome, catalog entries).

An action is handled in two steps. Reading (the constructor) validates the payload
against its schema and normalises every value; it needs no lock and runs before
the request's write transaction opens. Running (`run`) matches and writes, inside
the transaction, after the identity-key locks of the whole request are taken.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from crmdp.customers.locking import customer_locks
from crmdp.customers.models import Kind
from crmdp.customers.reading import CustomerInput, kind_for, read_company, read_customer
from crmdp.customers.services import Linked
from crmdp.customers.writing import Batch
from crmdp.history.services import Origin
from crmdp.lib.issues import Warnings, join_path
from crmdp.listeners import schemas
from crmdp.listeners.results import Outcome, RecordRef, customer_ref
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import CatalogItem, CatalogKind

# Errors an odd value can raise deep in a library (decimal's Overflow, datetime's
# OverflowError and ValueError): they fail one action, never the request.
ODD_VALUE = (ArithmeticError, ValueError)


@dataclass(frozen=True)
class NewCustomer:
    """A customer an action creates unless one among `kinds` has its keys."""

    kinds: tuple[Kind, ...]
    data: CustomerInput


class Action(ABC):
    """One action of a request: read on construction, then run."""

    schema: ClassVar[type[schemas.Payload]]

    def __init__(self, raw: Any, directory: OrgDirectory, path: str, warnings: Warnings) -> None:
        self.path = path
        self.read(schemas.read_payload(self.schema, raw, path, warnings), directory, warnings)

    @abstractmethod
    def read(self, payload: Any, directory: OrgDirectory, warnings: Warnings) -> None: ...

    def lock_keys(self) -> list[str]:
        """The `space|key` identity keys whose records this action may create or change."""
        return []

    # What the batch engine (crmdp/listeners/batch.py) needs to know of an action
    # before the request's actions run, so that it can take ids and locks for all of
    # them in one query each: plain facts, set while reading; the batch decides.

    # Whether running reads customer rows from the database, or links to them through
    # the ORM. The batch inserts a request's new customers together at the end; before
    # such an action it inserts those created so far, and the action inserts its own
    # at once (see crmdp.customers.numbering).
    needs_customer_rows: bool = True
    # The customer running creates unless its keys find one (add-contact, add-lead).
    # On PostgreSQL the batch takes ids for all the customers a request is expected to
    # create in one query, and the org's number lock (they get codes).
    adds_customer: NewCustomer | None = None
    # Whether running may give a record its code whatever `adds_customer` says (a
    # deal, a ticket, a company that may be new). On PostgreSQL the batch then takes
    # the org's number lock before any row lock of the actions, so that two requests
    # never wait for each other in a cycle (see crmdp.orgs.numbering).
    may_number: bool = False

    @abstractmethod
    def run(self, origin: Origin, batch: Batch) -> Outcome: ...


def customer_outcome(result: Any) -> Outcome:
    if result.customer is None:
        return Outcome(result.status)
    related = []
    if result.company is not None:
        related.append(
            customer_ref(result.company.company, "created" if result.company.created else "linked")
        )
        related[-1].matched_on = result.company.matched_on
    return Outcome(
        result.status,
        customer_ref(result.customer),
        related,
        matched_on=result.match.matched_on if result.match else None,
    )


# -- contacts and leads (add_customer.py, update_customer.py) ------------------------


class CustomerAction(Action):
    record_type: ClassVar[str]  # "contact" or "lead": what the action is for
    updating: ClassVar[bool]

    def read(self, payload: Any, directory: OrgDirectory, warnings: Warnings) -> None:
        self.lead = self.record_type == "lead"  # may be settled otherwise by a customerId
        self.data = read_customer(
            payload,
            record_type=self.fields_of(payload),
            directory=directory,
            path=self.path,
            warnings=warnings,
            updating=self.updating,
        )
        company = getattr(payload, "company_contact", None)
        if company is not None:
            self.data.company = read_company(company, directory, self.path, warnings)

    def fields_of(self, payload: Any) -> str:
        """Whose custom fields the payload's `cusFields` name: "contact" or "lead"."""
        return self.record_type

    @property
    def kind(self) -> Kind:
        return kind_for("lead" if self.lead else "contact", self.data.wants_account)

    def lock_keys(self) -> list[str]:
        return customer_locks(self.data, self.kind)


def warn_other_space(payload: Any, action: str, lead: bool, path: str, warnings: Warnings) -> None:
    """`contactType: "lead"` on a contact action, or `"customer"` (or `type` 1) on a
    lead action: the action decides, with a warning."""
    said = (payload.contact_type or "").strip().lower()
    if lead and said in ("customer", "contact", "account"):
        warnings.warn(
            join_path(path, "contactType"),
            f"{action} is for leads; contactType {payload.contact_type!r} is ignored "
            "(add-contact and update-contact are for contacts and accounts)",
        )
    elif not lead and said == "lead":
        warnings.warn(
            join_path(path, "contactType"),
            f"{action} is for contacts and accounts; contactType 'lead' is ignored "
            "(add-lead and update-lead are for leads)",
        )
    if lead and payload.record_type == 1:
        warnings.warn(
            join_path(path, "type"),
            f"{action} is for leads, which have no accounts; type 1 is ignored",
        )


# -- deals, warnings, tickets ------------------------------------------------------------


def catalog_entry(
    directory: OrgDirectory, kind: str, name: str | None, path: str, warnings: Warnings
) -> CatalogItem | None:
    """A catalog entry the data names; an unknown name is skipped with a warning."""
    if not name:
        return None
    item = directory.catalog(kind, name)
    if item is None:
        known = ", ".join(directory.catalog_names(kind)) or "none defined"
        warnings.warn(
            path, f"no {CatalogKind(kind).label} named {name!r} (known: {known}); skipped"
        )
    return item


def customer_related(linked: Linked) -> RecordRef:
    ref = customer_ref(linked.customer, "created" if linked.created else "linked")
    ref.matched_on = linked.match.matched_on if linked.match else None
    return ref
