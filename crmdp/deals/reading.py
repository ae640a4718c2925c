"""Reading an add-deal payload: catalog names resolved, values parsed (SPEC §4-5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from crmdp.customers.models import Kind, kind_of_code
from crmdp.customers.reading import CustomerInput, lead_meant, read_company, read_customer
from crmdp.deals.fields import DealCustomerFields, DealFields
from crmdp.deals.models import deal_number
from crmdp.lib.issues import ActionFailed, Issue, Warnings, join_path
from crmdp.lib.values import aware, name_key, read_datetime, read_decimal
from crmdp.orgs.custom_fields import read_custom_fields
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.models import CatalogItem, CatalogKind, User, UserGroup
from crmdp.orgs.permits import Permit, read_permit

_NAME_LENGTH = 500  # Deal.name's max_length (PostgreSQL refuses longer, SQLite would keep it)
_DEAL_VALUE_LIMIT = Decimal(10) ** 16  # Deal.value: max_digits=20, decimal_places=4


@dataclass
class DealCustomer:
    data: CustomerInput
    lead: bool  # contactType "lead": looked for (and created) among leads


@dataclass
class DealInput:
    """An add-deal payload, read: catalog names resolved, values parsed."""

    path: str
    deal_id: int | None = None
    deal_id_given: str | None = None
    name: str | None = None
    value: Decimal | None = None
    currency: CatalogItem | None = None
    description: str | None = None
    stage: CatalogItem | None = None
    stage_problem: Issue | None = None  # an unknown stage fails the action when run
    close_date: datetime | None = None
    category: CatalogItem | None = None
    package: CatalogItem | None = None
    owner_users: list[User] | None = None
    owner_groups: list[UserGroup] | None = None
    customer: DealCustomer | None = None
    contacts: list[DealCustomer] = field(default_factory=list)
    permit: Permit | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)

    def name_key(self) -> str | None:
        return name_key(self.name) if self.name else None


def read_deal(
    payload: DealFields, directory: OrgDirectory, path: str, warnings: Warnings
) -> DealInput:
    if payload.name and len(payload.name) > _NAME_LENGTH:
        raise ActionFailed(Issue(join_path(path, "name"), f"longer than {_NAME_LENGTH} characters"))
    data = DealInput(path=path, name=payload.name, description=payload.description)
    if payload.deal_id:
        data.deal_id_given = payload.deal_id
        data.deal_id = deal_number(payload.deal_id)
        if data.deal_id is None:
            warnings.warn(
                join_path(path, "dealId"), "a dealId is a number; looked up by name instead"
            )
    if payload.value is not None:
        value = read_decimal(payload.value, directory.org.conventions)
        if value.problem:  # unreadable, or read by the org's convention (50,000)
            warnings.warn(join_path(path, "value"), value.problem)
        if value.value is not None:
            # Rounded as the column stores it; beyond the column (20 digits, 4 after the
            # point) PostgreSQL would refuse the action and SQLite store what it cannot
            # read back.
            fits = abs(value.value) < _DEAL_VALUE_LIMIT
            rounded = value.value.quantize(Decimal("0.0001")) if fits else None
            if rounded is None or abs(rounded) >= _DEAL_VALUE_LIMIT:
                warnings.warn(
                    join_path(path, "value"),
                    "too large (at most 16 digits before the decimal point); ignored",
                )
            else:
                data.value = rounded
    if payload.close_date is not None:
        moment = read_datetime(payload.close_date, directory.org.conventions)
        if moment.problem:
            warnings.warn(join_path(path, "closeDate"), moment.problem)
        data.close_date = aware(moment.value) if moment.value else None
    if payload.stage:
        data.stage = directory.catalog(CatalogKind.STAGE, payload.stage)
        if data.stage is None:
            known = ", ".join(directory.catalog_names(CatalogKind.STAGE)) or "none defined"
            data.stage_problem = Issue(
                join_path(path, "stage"), f"no stage named {payload.stage!r}; known stages: {known}"
            )
    for kind, given, attribute in (
        (CatalogKind.CURRENCY, payload.currency, "currency"),
        (CatalogKind.CATEGORY, payload.category, "category"),
        (CatalogKind.PACKAGE, payload.package, "package"),
    ):
        if given:
            item = directory.catalog(kind, given)
            if item is None:
                known = ", ".join(directory.catalog_names(kind)) or "none defined"
                warnings.warn(
                    join_path(path, attribute),
                    f"no {kind} named {given!r} (known: {known}); skipped",
                )
            setattr(data, attribute, item)
    owners = payload.owner_opportunity
    if owners is not None:
        where = join_path(path, "owner_opportunity")
        if owners.users is not None:
            data.owner_users = []
            for index, email in enumerate(owners.users):
                user = directory.user(email)
                if user is None:
                    warnings.warn(
                        join_path(where, "users", index),
                        f"no active user {email!r} in this org; skipped",
                    )
                elif user not in data.owner_users:
                    data.owner_users.append(user)
        if owners.groups is not None:
            data.owner_groups = []
            for index, group_name in enumerate(owners.groups):
                group = directory.group(group_name)
                if group is None:
                    warnings.warn(
                        join_path(where, "groups", index), f"no group named {group_name!r}; skipped"
                    )
                elif group not in data.owner_groups:
                    data.owner_groups.append(group)
    if payload.deal_with is not None:
        data.customer = _read_deal_customer(
            payload.deal_with, directory, join_path(path, "dealWith"), warnings
        )
    for index, contact in enumerate(payload.contacts or []):
        data.contacts.append(
            _read_deal_customer(contact, directory, join_path(path, "contacts", index), warnings)
        )
    if payload.permit is not None:
        p = payload.permit
        data.permit = read_permit(
            p.status, p.group, p.users, directory, join_path(path, "permit"), warnings
        )
    if payload.cus_fields:
        data.custom_fields = read_custom_fields(
            payload.cus_fields, "deal", directory, join_path(path, "cusFields"), warnings
        )
    return data


def _read_deal_customer(
    payload: DealCustomerFields, directory: OrgDirectory, path: str, warnings: Warnings
) -> DealCustomer:
    # The code names the record (SPEC §4), and so whose custom fields are meant.
    named = kind_of_code(payload.customer_id)
    if named is not None:
        lead = named == Kind.LEAD
    else:
        lead = (payload.contact_type or "").strip().lower() == "lead"
    data = read_customer(
        payload,
        record_type="lead" if lead else "contact",
        directory=directory,
        path=path,
        warnings=warnings,
    )
    lead = lead_meant(data, payload.contact_type, warnings)
    if payload.company_contact is not None:
        if lead:
            warnings.warn(
                join_path(path, "companyContact"),
                "a lead has no company record (its company is the text companyLead); ignored",
            )
        else:
            data.company = read_company(payload.company_contact, directory, path, warnings)
    return DealCustomer(data, lead)
