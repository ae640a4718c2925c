"""add-note: a note on a customer (found by its code or keys) or on a deal."""

from __future__ import annotations

from typing import Any

from crmdp.customers.reading import lead_meant, read_lookup
from crmdp.customers.writing import Batch
from crmdp.history.services import Origin
from crmdp.lib.issues import Warnings, fail, join_path
from crmdp.listeners import schemas
from crmdp.listeners.actions.base import Action, catalog_entry
from crmdp.listeners.results import Outcome, RecordRef, customer_ref
from crmdp.notes.services import DealTarget, NoteInput, note_on_customer, note_on_deal
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import CatalogKind
from crmdp.orgs.permits import Permit, read_permit

# add-note's fields that find a customer (model contact), not a deal.
_CUSTOMER_KEYS = ("customer_id", "contact_id", "contact_type", "passport", "email", "phone")


class AddNote(Action):
    schema = schemas.AddNote

    def read(self, payload: Any, directory: OrgDirectory, warnings: Warnings) -> None:
        model = (payload.model or "contact").lower()
        if model not in ("contact", "deal"):
            raise fail(join_path(self.path, "model"), "must be contact (the default) or deal")
        self.model = model
        permit = (
            read_permit(
                payload.permit.status,
                payload.permit.group,
                payload.permit.users,
                directory,
                join_path(self.path, "permit"),
                warnings,
                updating=False,
            )
            if payload.permit
            else Permit()
        )
        channel = catalog_entry(
            directory,
            CatalogKind.CHANNEL,
            payload.channel,
            join_path(self.path, "channel"),
            warnings,
        )
        self.note = NoteInput(payload.body, permit, channel, payload.tag or [])
        if model == "deal":
            if not (payload.deal_id or payload.name):
                raise fail(self.path, "a note on a deal needs its dealId or name")
            given = payload.deal_id
            self.deal = DealTarget(
                join_path(self.path, "dealId" if given else "name"),
                # Not a number: no deal has it, which the not_found says.
                int(given) if given and given.isdecimal() and len(given) < 19 else None,
                given,
                payload.name,
            )
            if payload.tag:
                warnings.warn(
                    join_path(self.path, "tag"), "tags are added to customers only; ignored"
                )
            self.note.tags = []
            for key in _CUSTOMER_KEYS:
                if getattr(payload, key) is not None:
                    warnings.warn(
                        join_path(self.path, schemas.AddNote.model_fields[key].alias or key),
                        'finds a customer, and this note is for a deal ("model": "deal"); ignored',
                    )
            return
        for key, field in (("deal_id", "dealId"), ("name", "name")):
            if getattr(payload, key) is not None:
                warnings.warn(
                    join_path(self.path, field),
                    'finds a deal, and this note is for a customer (set "model": "deal" '
                    "for a deal's note); ignored",
                )
        self.who = read_lookup(
            path=self.path,
            directory=directory,
            warnings=warnings,
            code=payload.customer_id,
            contact_id=payload.contact_id,
            passport=payload.passport,
            email=payload.email,
            phone=payload.phone,
        )
        self.lead = lead_meant(self.who, payload.contact_type, warnings)
        who = self.who
        if not (who.code or who.contact_id or who.passport or who.emails or who.phones):
            raise fail(
                self.path,
                "a note on a customer needs its customerId, contactId, passport, email or phone",
            )

    def run(self, origin: Origin, batch: Batch) -> Outcome:
        if self.model == "deal":
            result = note_on_deal(origin=origin, target=self.deal, note=self.note, batch=batch)
        else:
            result = note_on_customer(
                origin=origin, who=self.who, lead=self.lead, note=self.note, batch=batch
            )
        if result.note is None:
            return Outcome("not_found")
        if result.customer is not None:
            related = [customer_ref(result.customer, "linked")]
        else:
            assert result.deal is not None
            related = [RecordRef("deal", result.deal.number, status="linked")]
        return Outcome("created", RecordRef("note", result.note.id), related, result.matched_on)
