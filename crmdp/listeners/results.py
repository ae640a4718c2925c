"""The response format of a listener request (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crmdp.customers.models import Customer
from crmdp.lib.issues import Issue


@dataclass
class RecordRef:
    type: str  # contact, account, lead, deal, note, ticket, message
    id: int
    code: tuple[str, str] | None = None  # ("customerId", "PID-41") or ("code", "TID-3")
    status: str | None = None  # on related records: created, linked, …
    matched_on: str | None = None  # on related records found by a key

    def as_dict(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"type": self.type, "id": self.id}
        if self.code:
            ref[self.code[0]] = self.code[1]
        if self.status:
            ref["status"] = self.status
        if self.matched_on:
            ref["matchedOn"] = self.matched_on
        return ref


def customer_ref(customer: Customer, status: str | None = None) -> RecordRef:
    return RecordRef(customer.kind, customer.id, ("customerId", customer.code), status)


@dataclass
class Outcome:
    """What one action did."""

    status: str  # created, updated, duplicate, not_found, queued, error
    record: RecordRef | None = None
    related: list[RecordRef] = field(default_factory=list)
    matched_on: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. send-sms's messageIds


def action_result(
    index: int,
    action_type: str | None,
    outcome: Outcome,
    warnings: list[Issue],
    errors: list[Issue] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    return {
        "index": index,
        "actionType": action_type,
        "status": outcome.status,
        "record": outcome.record.as_dict() if outcome.record else None,
        "related": [ref.as_dict() for ref in outcome.related],
        "matchedOn": outcome.matched_on,
        **outcome.extra,
        "warnings": [issue.as_dict() for issue in warnings],
        "errors": [issue.as_dict() for issue in errors],
    }


def error_body(code: str, message: str, details: list[Issue] | None = None) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "details": [issue.as_dict() for issue in details or []],
        }
    }
