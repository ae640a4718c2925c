"""A deal as someone wrote it, before it is read (crmdp.deals.reading): the
listener's add-deal payload has these fields, and a page or a command fills in
`DealValues`. See crmdp.customers.fields for why the readers see only protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from crmdp.customers.fields import (
    CustomerFields,
    CustomerValues,
    CustomFieldFields,
    CustomFieldValues,
    PermitFields,
    PermitValues,
)


class OwnersFields(Protocol):
    """`owner_opportunity`: the users (emails) and groups (names) who own a deal."""

    @property
    def users(self) -> Sequence[str] | None: ...
    @property
    def groups(self) -> Sequence[str] | None: ...


class DealCustomerFields(CustomerFields, Protocol):
    """A deal's customer (dealWith) or contact: a customer, with a contact's company."""

    @property
    def company_contact(self) -> CustomerFields | None: ...


class DealFields(Protocol):
    @property
    def deal_id(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def value(self) -> Any: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def stage(self) -> str | None: ...
    @property
    def close_date(self) -> Any: ...
    @property
    def category(self) -> str | None: ...
    @property
    def package(self) -> str | None: ...
    @property
    def owner_opportunity(self) -> OwnersFields | None: ...
    @property
    def deal_with(self) -> DealCustomerFields | None: ...
    @property
    def contacts(self) -> Sequence[DealCustomerFields] | None: ...
    @property
    def permit(self) -> PermitFields | None: ...
    @property
    def cus_fields(self) -> Sequence[CustomFieldFields] | None: ...


@dataclass(frozen=True)
class OwnersValues:
    users: Sequence[str] | None = None
    groups: Sequence[str] | None = None


@dataclass(frozen=True)
class DealValues:
    """A deal typed into a form: every field optional, as in an add-deal payload.
    Catalog entries (stage, currency …) by name, as the listener receives them."""

    deal_id: str | None = None
    name: str | None = None
    value: Any = None
    currency: str | None = None
    description: str | None = None
    stage: str | None = None
    close_date: Any = None
    category: str | None = None
    package: str | None = None
    owner_opportunity: OwnersValues | None = None
    deal_with: CustomerValues | None = None
    contacts: Sequence[CustomerValues] | None = None
    permit: PermitValues | None = None
    cus_fields: Sequence[CustomFieldValues] | None = None
