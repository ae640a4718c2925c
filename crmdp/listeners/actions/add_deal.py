"""add-deal: create or update a deal by name, with the customers it is with."""

from __future__ import annotations

from typing import Any

from crmdp.customers.writing import Batch
from crmdp.deals.reading import read_deal
from crmdp.deals.services import deal_locks, deal_upsert
from crmdp.history.services import Origin
from crmdp.lib.issues import Warnings
from crmdp.listeners import schemas
from crmdp.listeners.actions.base import Action, customer_related
from crmdp.listeners.results import Outcome, RecordRef, customer_ref
from crmdp.orgs.directory import OrgDirectory


class AddDeal(Action):
    schema = schemas.AddDeal
    may_number = True  # a new deal gets its dealId

    def read(self, payload: Any, directory: OrgDirectory, warnings: Warnings) -> None:
        self.data = read_deal(payload, directory, self.path, warnings)

    def lock_keys(self) -> list[str]:
        return deal_locks(self.data)

    def run(self, origin: Origin, batch: Batch) -> Outcome:
        result = deal_upsert(origin=origin, data=self.data, batch=batch)
        related = [customer_related(linked) for linked in result.customers]
        shown = {ref.id for ref in related}
        for linked in result.customers:  # companies (companyContact), each listed once
            if linked.company is not None and linked.company.company.id not in shown:
                shown.add(linked.company.company.id)
                company = linked.company
                ref = customer_ref(company.company, "created" if company.created else "linked")
                ref.matched_on = company.matched_on
                related.append(ref)
        return Outcome(
            result.status, RecordRef("deal", result.deal.number), related, result.matched_on
        )
