"""What every action shares: the Action base class, and the helpers several action
types use (lock keys, a customer's outcome, catalog entries).

An action is handled in two steps. Reading (the constructor) validates the payload
against its schema and normalises every value; it needs no lock and runs before
the request's write transaction opens. Running (`run`) matches and writes, inside
the transaction, after the identity-key locks of the whole request are taken.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from crmdp.customers.locking import customer_locks
from crmdp.customers.matching import KeyIndex
from crmdp.customers.models import Kind
from crmdp.customers.reading import kind_for, read_company, read_customer
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

    @property
    def needs_customer_rows(self) -> bool:
        """Whether running needs customer rows in the database: it reads them, or
        links to them through the ORM. The customers created before it are inserted
        first, and those it creates are inserted at once (see
        crmdp.customers.numbering)."""
        return True

    def new_customers_expected(self, keys: KeyIndex) -> int:
        """How many customers running is likely to create, judged from the keys
        read before the actions run: ids for them are taken in one query."""
        return 0

    def may_number(self, keys: KeyIndex) -> bool:
        """Whether running may give a new record its code (a customer, deal or
        ticket), judged as `new_customers_expected`: such a request takes the org's
        number lock before its actions run (see crmdp.orgs.numbering)."""
        return self.new_customers_expected(keys) > 0

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
