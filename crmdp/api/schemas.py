"""The read API's response shapes (SPEC §9). The views build plain dicts; these
models describe them for the OpenAPI document, and the tests hold every response
to them (extra keys forbidden), so the document cannot drift from the API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ContactPoint(Out):
    type: str
    value: str


class PhoneOut(ContactPoint):
    e164: str | None


class CountryOut(Out):
    code: str | None
    name: str


class AddressOut(Out):
    type: str
    street: str
    city: str
    state: str
    zip: str
    country: CountryOut | None


class ImOut(Out):
    protocol: str
    value: str


class WebsiteOut(Out):
    value: str


class PermitOut(Out):
    status: int = Field(
        description="1 everybody, 2 only the owner, 3 owner + group, 4 owner + users"
    )
    group: str | None
    users: list[str]


class CompanyOut(Out):
    customer_id: str
    name: str


class HistoryOut(Out):
    at: str
    text: str
    customer_id: str | None = Field(
        None,
        description="on an account's timeline, the code of the linked contact whose line "
        "this is (absent on the record's own lines)",
    )


class CustomerOut(Out):
    type: str = Field(description="contact, account or lead")
    id: int
    customer_id: str = Field(description="PID-n, CID-n or LID-n")
    name: str
    lastname: str
    title: str
    passport: str
    gender: int
    bg_info: str
    date_of_birth: str | None = Field(description="YYYY-MM-DD")
    emails: list[ContactPoint]
    phones: list[PhoneOut]
    addresses: list[AddressOut]
    im: list[ImOut]
    websites: list[WebsiteOut]
    tags: list[str]
    source: str | None
    owner: str | None
    permit: PermitOut
    custom_fields: dict[str, Any]
    company: CompanyOut | None
    company_lead: str
    contact_id: str
    attribution: dict[str, str] = Field(
        description="where the record came from, as its sender said (utm_source, gclid, "
        "an ad platform's campaign ids, a form's hidden fields), set when it was created"
    )
    created_at: str
    history: list[HistoryOut]


class CustomerList(Out):
    results: list[CustomerOut]
    next: str | None


class CustomerRefOut(Out):
    customer_id: str
    name: str


class DealRefOut(Out):
    deal_id: int
    name: str


class NoteOut(Out):
    id: int
    body: str
    author: str | None
    channel: str | None
    permit: PermitOut
    customer: CustomerRefOut | None
    deal: DealRefOut | None
    created_at: str


class NoteList(Out):
    results: list[NoteOut]
    next: str | None


class OwnersOut(Out):
    users: list[str]
    groups: list[str]


class DealOut(Out):
    type: str
    id: int = Field(description="the dealId")
    deal_id: int
    name: str
    stage: str | None
    value: str | None = Field(description="a decimal, as a string")
    currency: str | None
    description: str
    close_date: str | None
    category: str | None
    package: str | None
    owners: OwnersOut
    owner: str | None
    customer: CustomerRefOut | None
    contacts: list[CustomerRefOut]
    permit: PermitOut
    custom_fields: dict[str, Any]
    notes: list[NoteOut]
    created_at: str
    history: list[HistoryOut]


class DealList(Out):
    results: list[DealOut]
    next: str | None


class TicketOut(Out):
    type: str
    id: int
    code: str = Field(description="TID-n")
    title: str
    body: str
    status: str = Field(
        description="new (every new ticket), open, pending, resolved or closed: the "
        "vendor's New, Open, Pending, Resolved, Closed"
    )
    customer: CustomerRefOut | None
    deal: DealRefOut | None
    group: str | None
    sla: str | None
    first_response_due: str | None
    resolution_due: str | None
    channel: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    owner: str | None
    created_at: str
    history: list[HistoryOut]


class MessageOut(Out):
    id: int
    channel: str = Field(description="email or sms")
    to: str
    subject: str
    body: str
    reason: str = Field(description="welcome (a listener's auto message) or send-sms")
    status: str = Field(description="queued, sent or failed")
    attempts: int
    last_error: str
    provider: str
    provider_message_id: str
    customer: CustomerRefOut | None
    created_at: str
    sent_at: str | None


class MessageList(Out):
    results: list[MessageOut]
    next: str | None


class DeliveryOut(Out):
    id: int
    request_id: str
    received_at: str
    source_ip: str
    status: int
    sender: str
    body: str = Field(description="the raw body as text (undecodable bytes replaced)")
    body_size: int
    response: dict[str, Any]
    outcomes: dict[str, int]
    duration_ms: float
    replay_of: int | None
    format: str = Field(description="how the listener read it: actions, form, google-ads, ...")
    spam: bool = Field(description="a form's honeypot was filled in: answered, nothing run")


class DeliveryList(Out):
    results: list[DeliveryOut]
    next: str | None


class ErrorDetail(Out):
    field: str
    message: str


class ErrorInner(Out):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorOut(Out):
    error: ErrorInner
    request_id: str | None = None


class RecordRefOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    id: int
    status: str | None = None


class ActionResultOut(Out):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")
    index: int
    action_type: str | None
    status: str = Field(description="created, updated, duplicate, not_found, queued or error")
    record: RecordRefOut | None
    related: list[RecordRefOut]
    matched_on: str | None
    warnings: list[ErrorDetail]
    errors: list[ErrorDetail]


class ListenerResponse(Out):
    request_id: str
    results: list[ActionResultOut]
