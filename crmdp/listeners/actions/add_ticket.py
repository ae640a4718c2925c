"""add-ticket: a support ticket, for a customer found or created by its keys."""

from __future__ import annotations

from typing import Any

from crmdp.customers.locking import customer_locks
from crmdp.customers.models import Kind
from crmdp.customers.reading import lead_meant, read_lookup
from crmdp.customers.writing import Batch
from crmdp.history.services import Origin
from crmdp.lib.issues import Warnings, join_path
from crmdp.listeners import schemas
from crmdp.listeners.actions.base import Action, catalog_entry, customer_related
from crmdp.listeners.results import Outcome, RecordRef
from crmdp.orgs.custom_fields import read_custom_fields
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import CatalogKind
from crmdp.tickets.services import TicketInput, ticket_add


def _deal_id(value: str | None, path: str, warnings: Warnings) -> int | None:
    if value is None:
        return None
    if value.isdecimal() and len(value) < 19:
        return int(value)
    warnings.warn(path, f"{value!r} is not a dealId (a number); ignored")
    return None


class AddTicket(Action):
    schema = schemas.AddTicket
    may_number = True  # every ticket gets its code

    def read(self, payload: Any, directory: OrgDirectory, warnings: Warnings) -> None:
        path = self.path
        group = directory.group(payload.group_name) if payload.group_name else None
        if payload.group_name and group is None:
            warnings.warn(
                join_path(path, "groupName"), f"no group named {payload.group_name!r}; skipped"
            )
        custom = (
            read_custom_fields(
                payload.cus_fields, "ticket", directory, join_path(path, "cusFields"), warnings
            )
            if payload.cus_fields
            else {}
        )
        customer = read_lookup(
            path=path,
            directory=directory,
            warnings=warnings,
            code=payload.customer_id,
            contact_id=payload.contact_id,
            passport=payload.passport,
            email=payload.email,
            phone=payload.phone,
            name=payload.name,
        )
        self.data = TicketInput(
            path=path,
            body=payload.body,
            title=payload.title,
            lead=lead_meant(customer, payload.contact_type, warnings),
            customer=customer,
            deal_id=_deal_id(payload.deal_id, join_path(path, "dealId"), warnings),
            group=group,
            sla=catalog_entry(
                directory, CatalogKind.SLA, payload.sla_name, join_path(path, "slaName"), warnings
            ),
            channel=catalog_entry(
                directory,
                CatalogKind.CHANNEL,
                payload.channel,
                join_path(path, "channel"),
                warnings,
            ),
            tags=payload.tag or [],
            custom_fields=custom,
        )

    def lock_keys(self) -> list[str]:
        return customer_locks(self.data.customer, Kind.LEAD if self.data.lead else Kind.CONTACT)

    def run(self, origin: Origin, batch: Batch) -> Outcome:
        result = ticket_add(origin=origin, data=self.data, batch=batch)
        related = [customer_related(result.customer)] if result.customer else []
        if result.deal is not None:
            related.append(RecordRef("deal", result.deal.number, status="linked"))
        ticket = result.ticket
        return Outcome("created", RecordRef("ticket", ticket.id, ("code", ticket.code)), related)
