"""A customer (or a deal) as someone wrote it, before it is read: the shape the
reading functions take (crmdp.customers.reading, crmdp.deals.reading).

Every way in writes the same fields: the listener's payload models (pydantic, in
crmdp.listeners.schemas) have them, and a page or a command builds the plain
`*Values` dataclasses below from what was typed. The readers see only these
protocols, so the domain knows nothing of the listener, and a phone typed in a
form is read exactly as a phone sent to a listener. Names are the listener
contract's (SPEC §4): `tag`, `cus_fields`, `record_type` for "type".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# -- what a reader reads (read-only, so that any object with these fields fits) ------


class ContactPointFields(Protocol):
    """An email or a phone: its type (Work, Home, Mobile, Other) and what was written."""

    @property
    def type(self) -> str | None: ...
    @property
    def value(self) -> str | None: ...


class CountryFields(Protocol):
    @property
    def code(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...


class AddressFields(Protocol):
    @property
    def type(self) -> str | None: ...
    @property
    def street(self) -> str | None: ...
    @property
    def city(self) -> str | None: ...
    @property
    def state(self) -> str | None: ...
    @property
    def zip(self) -> str | None: ...
    @property
    def country(self) -> CountryFields | None: ...


class ImFields(Protocol):
    @property
    def protocol(self) -> str | None: ...
    @property
    def value(self) -> str | None: ...


class WebsiteFields(Protocol):
    @property
    def value(self) -> str | None: ...


class CustomFieldFields(Protocol):
    """One custom field's value, the field named as the org defined it."""

    @property
    def name(self) -> str | None: ...
    @property
    def value(self) -> Any: ...


class PermitFields(Protocol):
    """Who may see a record (SPEC §1): a status 1-4 as written, a group, user emails."""

    @property
    def status(self) -> Any: ...
    @property
    def group(self) -> str | None: ...
    @property
    def users(self) -> Sequence[str] | None: ...


class CustomerFields(Protocol):
    """A person, company or lead as written."""

    @property
    def customer_id(self) -> str | None: ...
    @property
    def contact_id(self) -> str | None: ...
    @property
    def contact_type(self) -> str | None: ...
    @property
    def record_type(self) -> int | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def lastname(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def passport(self) -> str | None: ...
    @property
    def gender(self) -> int | None: ...
    @property
    def bg_info(self) -> str | None: ...
    @property
    def date_of_birth(self) -> Any: ...
    @property
    def emails(self) -> Sequence[ContactPointFields] | None: ...
    @property
    def phones(self) -> Sequence[ContactPointFields] | None: ...
    @property
    def addresses(self) -> Sequence[AddressFields] | None: ...
    @property
    def im(self) -> Sequence[ImFields] | None: ...
    @property
    def websites(self) -> Sequence[WebsiteFields] | None: ...
    @property
    def tag(self) -> Sequence[str] | None: ...
    @property
    def cus_fields(self) -> Sequence[CustomFieldFields] | None: ...
    @property
    def permit(self) -> PermitFields | None: ...
    @property
    def attribution(self) -> Mapping[str, str] | None: ...


# -- the same fields as plain values, for a page or a command to fill in -------------


@dataclass(frozen=True)
class ContactPointValues:
    value: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class CountryValues:
    code: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class AddressValues:
    type: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: CountryValues | None = None


@dataclass(frozen=True)
class ImValues:
    value: str | None = None
    protocol: str | None = None


@dataclass(frozen=True)
class WebsiteValues:
    value: str | None = None


@dataclass(frozen=True)
class CustomFieldValues:
    name: str | None = None
    value: Any = None


@dataclass(frozen=True)
class PermitValues:
    status: Any = None
    group: str | None = None
    users: Sequence[str] | None = None


@dataclass(frozen=True)
class CustomerValues:
    """A customer typed into a form: every field optional, as in a listener payload."""

    customer_id: str | None = None
    contact_id: str | None = None
    contact_type: str | None = None
    record_type: int | None = None  # 1: an account (the listener's "type")
    name: str | None = None
    lastname: str | None = None
    title: str | None = None
    passport: str | None = None
    gender: int | None = None
    bg_info: str | None = None
    date_of_birth: Any = None
    emails: Sequence[ContactPointValues] | None = None
    phones: Sequence[ContactPointValues] | None = None
    addresses: Sequence[AddressValues] | None = None
    im: Sequence[ImValues] | None = None
    websites: Sequence[WebsiteValues] | None = None
    tag: Sequence[str] | None = None
    cus_fields: Sequence[CustomFieldValues] | None = None
    permit: PermitValues | None = None
    attribution: Mapping[str, str] | None = None
    company_lead: str | None = None  # a lead's company, as text
    company_contact: CustomerValues | None = None  # a contact's account
