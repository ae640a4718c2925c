"""add-contact and add-lead: create a contact, account or lead, or report the
duplicate that already has its keys."""

from __future__ import annotations

from typing import Any

from crmdp.customers.models import kinds_matched_with
from crmdp.customers.services import customer_create
from crmdp.customers.writing import Batch
from crmdp.history.services import Origin
from crmdp.lib.issues import Warnings, join_path
from crmdp.listeners import schemas
from crmdp.listeners.actions.base import (
    CustomerAction,
    NewCustomer,
    customer_outcome,
    warn_other_space,
)
from crmdp.listeners.results import Outcome
from crmdp.orgs.directory import OrgDirectory


class _AddAction(CustomerAction):
    updating = False

    def read(self, payload: Any, directory: OrgDirectory, warnings: Warnings) -> None:
        super().read(payload, directory, warnings)
        data, action = self.data, f"add-{self.record_type}"
        # Known fields that do not apply to adding: warned about, never silently dropped.
        if data.code:
            warnings.warn(
                join_path(self.path, "customerId"),
                f"{action} creates a record, which gets its own code; "
                f"to change {data.code.strip().upper()}, use update-{self.record_type}; ignored",
            )
            data.code = None
        warn_other_space(payload, action, self.lead, self.path, warnings)
        # A duplicate is found through the key index alone; but a company is found
        # by its row, and named users are linked to the new row through the ORM.
        permit = data.permit
        self.needs_customer_rows = data.company is not None or bool(permit and permit.users)
        self.adds_customer = NewCustomer(kinds_matched_with(self.kind), data)

    def run(self, origin: Origin, batch: Batch) -> Outcome:
        return customer_outcome(
            customer_create(origin=origin, data=self.data, kind=self.kind, batch=batch)
        )


class AddContact(_AddAction):
    schema = schemas.AddContact
    record_type = "contact"


class AddLead(_AddAction):
    schema = schemas.AddLead
    record_type = "lead"
