"""Turning a customer payload into normalised values, with a warning for each
value that could not be read (SPEC §4). Nothing here touches the database beyond
the org's directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crmdp.customers import keys
from crmdp.customers.fields import CustomerFields
from crmdp.customers.models import Customer, Kind, kind_of_code
from crmdp.lib.issues import Warnings, join_path
from crmdp.lib.values import Email, Phone, read_country, read_date, read_email, read_phone
from crmdp.orgs.custom_fields import read_custom_fields
from crmdp.orgs.directory import OrgDirectory
from crmdp.orgs.permits import Permit, read_permit

CONTACT_POINT_TYPES = ("Work", "Home", "Mobile", "Other")
ADDRESS_TYPES = ("Work", "Home", "Other")
IM_PROTOCOLS = ("Skype", "Facebook", "Yahoo", "Viber", "Hangouts", "Other")
SCALARS = (
    "name",
    "lastname",
    "title",
    "passport",
    "gender",
    "bg_info",
    "date_of_birth",
    "contact_id",
)


@dataclass
class CustomerInput:
    """One customer as the sender described it, read and normalised."""

    path: str  # where in the request it came from, for warnings
    code: str | None = None  # customerId: PID-/CID-/LID-
    wants_account: bool = False  # "type": 1, or a CID- customerId
    declared_type: int | None = None  # "type" as sent (0 or 1), None when not sent
    contact_type: str | None = None  # "lead" or "customer", where the action asks
    name: str | None = None
    lastname: str | None = None
    title: str | None = None
    passport: str | None = None
    gender: int | None = None
    bg_info: str | None = None
    date_of_birth: date | None = None
    contact_id: str | None = None
    emails: list[tuple[str, Email]] = field(default_factory=list)
    phones: list[tuple[str, Phone]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    im: list[dict[str, str]] = field(default_factory=list)
    websites: list[dict[str, str]] = field(default_factory=list)
    tags: list[str] | None = None  # None: the data carried no tag of its own
    custom_fields: dict[str, Any] = field(default_factory=dict)
    permit: Permit | None = None
    company: CustomerInput | None = None
    company_lead: str | None = None
    attribution: dict[str, str] = field(default_factory=dict)  # kept on a new record

    def given_scalars(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SCALARS if getattr(self, name) is not None}

    # What this customer can be found by, strongest first (SPEC §5).
    def contact_id_keys(self) -> list[str]:
        key = keys.contact_id_key(self.contact_id) if self.contact_id else None
        return [key] if key else []

    def passport_keys(self) -> list[str]:
        key = keys.passport_key(self.passport) if self.passport else None
        return [key] if key else []

    def name_keys(self) -> list[str]:
        key = keys.name_key(self.name) if self.name else None
        return [key] if key else []

    def email_keys(self) -> list[str]:
        return unique(keys.email_key(email) for _, email in self.emails if email.normalized)

    def phone_keys(self) -> list[str]:
        return unique(keys.phone_key(phone) for _, phone in self.phones if phone.e164)

    def identity_keys(self) -> list[str]:
        """Every key a duplicate of this customer could be found by."""
        return self.contact_id_keys() + self.passport_keys() + self.email_keys() + self.phone_keys()

    def keys_given(self) -> str:
        """The keys this customer was looked for by, for a not_found's reason."""
        parts = []
        if self.code:
            parts.append(f"customerId {self.code.strip().upper()}")
        if self.contact_id:
            parts.append(f"contactId {self.contact_id}")
        if self.passport:
            parts.append(f"passport {self.passport}")
        if self.name:
            parts.append(f"name “{self.name}”")
        parts += [f"email {email.value}" for _, email in self.emails]
        parts += [f"phone {phone.value}" for _, phone in self.phones]
        return ", ".join(parts) or "no key"

    def summary(self) -> str:
        """What arrived, in a few words, for a history line."""
        parts = []
        if self.name or self.lastname:
            parts.append(f"name “{' '.join(p for p in (self.name, self.lastname) if p)}”")
        if self.emails:
            parts.append("email " + ", ".join(email.value for _, email in self.emails))
        if self.phones:
            parts.append("phone " + ", ".join(phone.value for _, phone in self.phones))
        if self.passport:
            parts.append(f"passport {self.passport}")
        if self.contact_id:
            parts.append(f"contactId {self.contact_id}")
        return "; ".join(parts) or "no details"


def unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))


def read_customer(
    data: CustomerFields,
    *,
    record_type: str,
    directory: OrgDirectory,
    path: str,
    warnings: Warnings,
    updating: bool | None = None,
) -> CustomerInput:
    """Read a customer payload; `record_type` ("contact" or "lead") picks the custom
    fields; `updating` says whether the record is updated (True), created (False) or
    either (None), for what a warning says."""
    org = directory.org
    result = CustomerInput(
        path=path,
        code=data.customer_id,
        wants_account=data.record_type == 1,
        declared_type=data.record_type,
        contact_type=(data.contact_type or "").strip().lower() or None,
        name=data.name,
        lastname=data.lastname,
        title=data.title,
        passport=data.passport,
        gender=data.gender,
        bg_info=data.bg_info,
        contact_id=data.contact_id,
        tags=list(data.tag) if data.tag else None,
        company_lead=getattr(data, "company_lead", None),
        attribution=dict(data.attribution or {}),
    )
    _drop_overlong(result, warnings)
    if data.date_of_birth is not None:
        born = read_date(data.date_of_birth, org.conventions)
        if born.problem:
            warnings.warn(join_path(path, "dateOfBirth"), born.problem)
        result.date_of_birth = born.value

    # Repeats are dropped by set lookups: a list of thousands of values must cost
    # thousands of steps, not millions.
    seen_emails: set[str] = set()
    for index, item in enumerate(data.emails or []):
        where = join_path(path, "emails", index)
        if not item.value:
            warnings.warn(join_path(where, "value"), "an email needs a value; skipped")
            continue
        email = read_email(item.value)
        if email.problem:
            warnings.warn(join_path(where, "value"), email.problem)
        kind = _choice(item.type, CONTACT_POINT_TYPES, join_path(where, "type"), warnings)
        same = email.value.normalized or email.value.value
        if same not in seen_emails:
            seen_emails.add(same)
            result.emails.append((kind, email.value))

    seen_phones: set[str] = set()
    for index, entry in enumerate(data.phones or []):
        where = join_path(path, "phones", index)
        if not entry.value:
            warnings.warn(join_path(where, "value"), "a phone needs a value; skipped")
            continue
        phone = read_phone(entry.value, org.phone_region)
        if phone.problem:
            warnings.warn(join_path(where, "value"), phone.problem)
        kind = _choice(entry.type, CONTACT_POINT_TYPES, join_path(where, "type"), warnings)
        if phone.value.same_as not in seen_phones:
            seen_phones.add(phone.value.same_as)
            result.phones.append((kind, phone.value))

    for index, address in enumerate(data.addresses or []):
        where = join_path(path, "addresses", index)
        country = None
        if address.country is not None:
            read = read_country(address.country.code, address.country.name)
            if read.problem:
                warnings.warn(join_path(where, "country"), read.problem)
            if read.value:
                country = {"code": read.value.code, "name": read.value.name}
        stored: dict[str, Any] = {
            "type": _choice(address.type, ADDRESS_TYPES, join_path(where, "type"), warnings),
            "street": address.street or "",
            "city": address.city or "",
            "state": address.state or "",
            "zip": address.zip or "",
            "country": country,
        }
        if any(stored[part] for part in ("street", "city", "state", "zip", "country")):
            result.addresses.append(stored)

    for index, handle in enumerate(data.im or []):
        where = join_path(path, "im", index)
        if handle.value:
            protocol = _choice(
                handle.protocol, IM_PROTOCOLS, join_path(where, "protocol"), warnings
            )
            result.im.append({"protocol": protocol, "value": handle.value})

    for website in data.websites or []:
        if website.value:
            result.websites.append({"value": website.value})

    if data.cus_fields:
        result.custom_fields = read_custom_fields(
            data.cus_fields, record_type, directory, join_path(path, "cusFields"), warnings
        )
    if data.permit is not None:
        result.permit = read_permit(
            data.permit.status,
            data.permit.group,
            data.permit.users,
            directory,
            join_path(path, "permit"),
            warnings,
            updating=updating,
        )
    return result


def read_company(
    payload: CustomerFields, directory: OrgDirectory, path: str, warnings: Warnings
) -> CustomerInput:
    """`companyContact`: an account, found by its CID- code, name, emails or phones."""
    company = read_customer(
        payload,
        record_type="contact",
        directory=directory,
        path=join_path(path, "companyContact"),
        warnings=warnings,
    )
    named = kind_of_code(company.code)
    if company.code and named != Kind.ACCOUNT:
        what = f"names a {named.label.lower()}" if named else "is not a customer code"
        warnings.warn(
            join_path(company.path, "customerId"),
            f"{company.code} {what}, not an account (CID-); the company is looked up by "
            "its other fields",
        )
        company.code = None
    return company


# The text columns with a length limit, and their names in the request.
_LIMITED = {
    "name": "name",
    "lastname": "lastname",
    "title": "title",
    "passport": "passport",
    "contact_id": "contactId",
    "company_lead": "companyLead",
}


def _drop_overlong(result: CustomerInput, warnings: Warnings) -> None:
    """PostgreSQL refuses a value longer than its column and SQLite keeps it: such a
    value is ignored with a warning on both, rather than failing the action on one."""
    for attribute, name in _LIMITED.items():
        value = getattr(result, attribute)
        limit = getattr(Customer._meta.get_field(attribute), "max_length", None)
        if value is not None and limit is not None and len(value) > limit:
            warnings.warn(join_path(result.path, name), f"longer than {limit} characters; ignored")
            setattr(result, attribute, None)


def _choice(given: str | None, allowed: tuple[str, ...], path: str, warnings: Warnings) -> str:
    """One of `allowed` (any case); anything else is "Other", with a warning."""
    if not given:
        return "Other"
    for choice in allowed:
        if choice.casefold() == given.casefold():
            return choice
    warnings.warn(path, f"{given!r} is not one of {', '.join(allowed)}; stored as Other")
    return "Other"


def kind_for(record_type: str, wants_account: bool) -> Kind:
    if record_type == "lead":
        return Kind.LEAD
    return Kind.ACCOUNT if wants_account else Kind.CONTACT


def read_lookup(
    *,
    path: str,
    directory: OrgDirectory,
    warnings: Warnings,
    code: str | None = None,
    contact_id: str | None = None,
    passport: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    name: str | None = None,
) -> CustomerInput:
    """A customer named by the single-valued fields of add-note and add-ticket
    (`email`, `phone`, …), read like any customer's values."""
    found = CustomerInput(path=path, code=code, contact_id=contact_id, passport=passport, name=name)
    if email:
        read = read_email(email)
        if read.problem:
            warnings.warn(join_path(path, "email"), read.problem)
        found.emails.append(("Other", read.value))
    if phone:
        phone_read = read_phone(phone, directory.org.phone_region)
        if phone_read.problem:
            warnings.warn(join_path(path, "phone"), phone_read.problem)
        found.phones.append(("Other", phone_read.value))
    return found


def settle_code(
    data: CustomerInput, *, lead: bool, declared: str | None, warnings: Warnings
) -> bool:
    """Whether `data` names a lead, once its customerId has had its say.

    The code's prefix decides (SPEC §4): `LID-` is a lead, `PID-` a contact, `CID-`
    an account, whatever `contactType`, `type` or the action say; a contradiction is
    a warning, and the record the code names is still found (never a new record,
    never not_found). `lead` is what the data said otherwise, and `declared` what
    the warning says about who said it (`contactType 'customer' is ignored`); None
    when nobody said it explicitly (a default). Also sets `data.wants_account`.
    """
    kind = kind_of_code(data.code)
    if kind is None or data.code is None:
        return lead
    code = data.code.strip().upper()
    where = join_path(data.path, "customerId")
    if (kind == Kind.LEAD) != lead and declared is not None:
        warnings.warn(where, f"{code} names a {kind.label.lower()}; {declared}")
    if kind != Kind.LEAD:
        said_account = data.declared_type == 1
        if data.declared_type is not None and said_account != (kind == Kind.ACCOUNT):
            warnings.warn(
                where,
                f'{code} names a {kind.label.lower()}; "type": {data.declared_type} is ignored',
            )
        data.wants_account = kind == Kind.ACCOUNT
    return kind == Kind.LEAD


def lead_meant(data: CustomerInput, contact_type: str | None, warnings: Warnings) -> bool:
    """Whether the customer an add-note, add-ticket or deal names is a lead: by its
    customerId's prefix, else by `contactType` (SPEC §4-5)."""
    lead = read_contact_type(contact_type, join_path(data.path, "contactType"), warnings) == "lead"
    declared = f"contactType {contact_type!r} is ignored" if contact_type else None
    return settle_code(data, lead=lead, declared=declared, warnings=warnings)


def read_contact_type(value: str | None, path: str, warnings: Warnings) -> str:
    """`contactType`: "lead" or "customer" (the default)."""
    if value is None or value.lower() in ("customer", "contact", "account"):
        return "customer"
    if value.lower() == "lead":
        return "lead"
    warnings.warn(path, f"{value!r} is not lead or customer; taken as customer")
    return "customer"
