"""update-contact and update-lead: find one record by its code or keys and change it."""

from __future__ import annotations

from typing import Any

from crmdp.customers.locking import code_lock
from crmdp.customers.models import Kind, kind_of_code
from crmdp.customers.reading import settle_code
from crmdp.customers.services import customer_update
from crmdp.customers.writing import Batch
from crmdp.history.services import Origin
from crmdp.lib.issues import Warnings, fail, join_path
from crmdp.listeners import schemas
from crmdp.listeners.actions.base import CustomerAction, customer_outcome, warn_other_space
from crmdp.listeners.results import Outcome
from crmdp.orgs.directory import OrgDirectory


class _UpdateAction(CustomerAction):
    updating = True

    def read(self, payload: Any, directory: OrgDirectory, warnings: Warnings) -> None:
        super().read(payload, directory, warnings)
        data, action = self.data, f"update-{self.record_type}"
        if not (data.code or data.contact_id or data.passport or data.emails or data.phones):
            raise fail(
                self.path,
                "an update needs one of customerId, contactId, passport, emails or phones "
                "to find the record",
            )
        wanted = "leads" if self.lead else "contacts and accounts"
        self.lead = settle_code(
            data,
            lead=self.lead,
            declared=f"it is the record updated, though {action} is for {wanted}",
            warnings=warnings,
        )
        if kind_of_code(data.code) is None:  # the code, when there is one, has warned
            warn_other_space(payload, action, self.lead, self.path, warnings)
        if data.company_lead is not None and not self.lead:
            warnings.warn(
                join_path(self.path, "companyLead"),
                "companyLead is a lead's company; this record is not a lead; ignored",
            )
            data.company_lead = None

    def fields_of(self, payload: Any) -> str:
        # A customerId names the record (SPEC §4): its custom fields are the ones meant.
        named = kind_of_code(payload.customer_id)
        if named is None:
            return self.record_type
        return "lead" if named == Kind.LEAD else "contact"

    def lock_keys(self) -> list[str]:
        # Also the record named by customerId (see code_lock).
        return super().lock_keys() + code_lock(self.data.code)

    def run(self, origin: Origin, batch: Batch) -> Outcome:
        # The code's kind, else "type" (0 contact, 1 account), else a lead.
        return customer_outcome(
            customer_update(
                origin=origin,
                data=self.data,
                kinds=(self.kind,),
                relink_company=not self.lead,
                batch=batch,
            )
        )


class UpdateContact(_UpdateAction):
    schema = schemas.UpdateContact
    record_type = "contact"

    def read(self, payload: Any, directory: OrgDirectory, warnings: Warnings) -> None:
        super().read(payload, directory, warnings)
        self.may_number = self.data.company is not None  # a company it names may be new


class UpdateLead(_UpdateAction):
    schema = schemas.UpdateLead
    record_type = "lead"
