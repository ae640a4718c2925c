"""The actions a listener accepts, and the dispatch table from `actionType` to each.

An action is handled in two steps. Reading (the constructor) validates the payload
against its schema and normalises every value; it needs no lock and runs before
the request's write transaction opens. Running (`run`) matches and writes, inside
the transaction, after the identity-key locks of the whole request are taken.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from crmdp.customers.locking import code_lock, customer_locks
from crmdp.customers.matching import KeyIndex, customer_by_code, find_duplicate
from crmdp.customers.models import Kind, kind_of_code
from crmdp.customers.reading import (
    kind_for,
    lead_meant,
    read_company,
    read_customer,
    read_lookup,
    settle_code,
)
from crmdp.customers.services import Linked, customer_create, customer_update, space_kinds
from crmdp.customers.writing import Batch
from crmdp.deals.reading import read_deal
from crmdp.deals.services import deal_locks, deal_upsert
from crmdp.history.services import Origin
from crmdp.lib.issues import Warnings, fail, join_path
from crmdp.lib.values import read_phone
from crmdp.listeners import schemas
from crmdp.listeners.results import Outcome, RecordRef, customer_ref
from crmdp.messaging.services import sendable_phones, sms_queue
from crmdp.notes.services import DealTarget, NoteInput, note_on_customer, note_on_deal
from crmdp.orgs.custom_fields import read_custom_fields
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import CatalogItem, CatalogKind
from crmdp.orgs.permits import Permit, read_permit
from crmdp.tickets.services import TicketInput, ticket_add


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


# -- contacts and leads ---------------------------------------------------------------


class _CustomerAction(Action):
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


class _AddAction(_CustomerAction):
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
        _warn_other_space(payload, action, self.lead, self.path, warnings)

    @property
    def needs_customer_rows(self) -> bool:
        # A duplicate is found through the key index alone; but a company is found
        # by its row, and named users are linked to the new row through the ORM.
        permit = self.data.permit
        return self.data.company is not None or bool(permit and permit.users)

    def new_customers_expected(self, keys: KeyIndex) -> int:
        return 0 if find_duplicate(keys, space_kinds(self.kind), self.data) else 1

    def run(self, origin: Origin, batch: Batch) -> Outcome:
        return customer_outcome(
            customer_create(origin=origin, data=self.data, kind=self.kind, batch=batch)
        )


def _warn_other_space(payload: Any, action: str, lead: bool, path: str, warnings: Warnings) -> None:
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


class AddContact(_AddAction):
    schema = schemas.AddContact
    record_type = "contact"


class AddLead(_AddAction):
    schema = schemas.AddLead
    record_type = "lead"


class _UpdateAction(_CustomerAction):
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
            _warn_other_space(payload, action, self.lead, self.path, warnings)
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

    def may_number(self, keys: KeyIndex) -> bool:
        return self.data.company is not None  # a company it names may be new


class UpdateLead(_UpdateAction):
    schema = schemas.UpdateLead
    record_type = "lead"


# -- deals, notes, tickets, SMS -------------------------------------------------------


def _catalog_entry(
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


def _deal_id(value: str | None, path: str, warnings: Warnings) -> int | None:
    if value is None:
        return None
    if value.isdecimal() and len(value) < 19:
        return int(value)
    warnings.warn(path, f"{value!r} is not a dealId (a number); ignored")
    return None


def _customer_related(linked: Linked) -> RecordRef:
    ref = customer_ref(linked.customer, "created" if linked.created else "linked")
    ref.matched_on = linked.match.matched_on if linked.match else None
    return ref


class AddDeal(Action):
    schema = schemas.AddDeal

    def read(self, payload: Any, directory: OrgDirectory, warnings: Warnings) -> None:
        self.data = read_deal(payload, directory, self.path, warnings)

    def may_number(self, keys: KeyIndex) -> bool:
        return True

    def lock_keys(self) -> list[str]:
        return deal_locks(self.data)

    def run(self, origin: Origin, batch: Batch) -> Outcome:
        result = deal_upsert(origin=origin, data=self.data, batch=batch)
        related = [_customer_related(linked) for linked in result.customers]
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
        channel = _catalog_entry(
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


class AddTicket(Action):
    schema = schemas.AddTicket

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
            sla=_catalog_entry(
                directory, CatalogKind.SLA, payload.sla_name, join_path(path, "slaName"), warnings
            ),
            channel=_catalog_entry(
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

    def may_number(self, keys: KeyIndex) -> bool:
        return True

    def run(self, origin: Origin, batch: Batch) -> Outcome:
        result = ticket_add(origin=origin, data=self.data, batch=batch)
        related = [_customer_related(result.customer)] if result.customer else []
        if result.deal is not None:
            related.append(RecordRef("deal", result.deal.number, status="linked"))
        ticket = result.ticket
        return Outcome("created", RecordRef("ticket", ticket.id, ("code", ticket.code)), related)


class SendSms(Action):
    schema = schemas.SendSms

    def read(self, payload: Any, directory: OrgDirectory, warnings: Warnings) -> None:
        self.content: str = payload.content
        self.code: str | None = payload.customer_id
        self.phones = []
        if not payload.phones and not self.code:
            raise fail(
                join_path(self.path, "phones"),
                "is required (or a customerId, to send to that customer's phones)",
            )
        for index, raw in enumerate(payload.phones or []):
            phone = read_phone(raw, directory.org.phone_region)
            if phone.problem or not phone.value.e164:
                problem = phone.problem or "not a valid phone number"
                warnings.warn(join_path(self.path, "phones", index), f"{problem}; not sent")
            else:
                self.phones.append(phone.value)
        if not self.phones and not self.code:
            raise fail(join_path(self.path, "phones"), "no readable phone number to send to")

    def run(self, origin: Origin, batch: Batch) -> Outcome:
        phones, named = list(self.phones), {}
        if self.code:
            where = join_path(self.path, "customerId")
            customer = customer_by_code(origin.org.id, self.code)
            if customer is None and not phones:
                batch.warnings.warn(where, f"no customer has the code {self.code.strip().upper()}")
                return Outcome("not_found")
            if customer is None:
                batch.warnings.warn(
                    where,
                    f"no customer has the code {self.code.strip().upper()}; "
                    "sent to the phones given only",
                )
            else:
                theirs = sendable_phones(
                    org_id=origin.org.id,
                    customer_id=customer[0],
                    path=where,
                    warnings=batch.warnings,
                )
                named = {phone.e164: customer[0] for phone in theirs if phone.e164}
                phones += theirs
        if not phones:
            raise fail(join_path(self.path, "phones"), "no valid phone number to send to")
        messages = sms_queue(
            origin=origin,
            content=self.content,
            phones=phones,
            path=join_path(self.path, "phones"),
            named=named,
            batch=batch,
        )
        return Outcome(
            "queued",
            related=[RecordRef("message", m.id, status="queued") for m in messages],
            extra={"messageIds": [m.id for m in messages]},
        )


# The dispatch table: the one place that says which actions exist.
ACTIONS: dict[str, type[Action]] = {
    "add-contact": AddContact,
    "add-lead": AddLead,
    "update-contact": UpdateContact,
    "update-lead": UpdateLead,
    "add-deal": AddDeal,
    "add-note": AddNote,
    "add-ticket": AddTicket,
    "send-sms": SendSms,
}
