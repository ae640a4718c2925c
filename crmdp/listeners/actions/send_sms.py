"""send-sms: queue a text to the phones given and those of a customer named by code."""

from __future__ import annotations

from typing import Any

from crmdp.customers.matching import customer_by_code
from crmdp.customers.writing import Batch
from crmdp.history.services import Origin
from crmdp.lib.issues import Warnings, fail, join_path
from crmdp.lib.values import read_phone
from crmdp.listeners import schemas
from crmdp.listeners.actions.base import Action
from crmdp.listeners.results import Outcome, RecordRef
from crmdp.messaging.services import sendable_phones, sms_queue
from crmdp.orgs.directory import OrgDirectory


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
