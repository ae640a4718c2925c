"""The normalised keys customers are found by (see CustomerKey).

A key is `<what>:<normalised value>`. Values too long for the index are replaced
by their SHA-256, which matches exactly when the value does.
"""

from __future__ import annotations

import hashlib

from crmdp.lib import values
from crmdp.lib.values import Email, Phone

_MAX_VALUE = 200


def _key(what: str, value: str) -> str:
    if len(value) > _MAX_VALUE:
        value = "sha256=" + hashlib.sha256(value.encode()).hexdigest()
    return f"{what}:{value}"


def contact_id_key(contact_id: str) -> str | None:
    value = values.contact_id_key(contact_id)
    return _key("contactid", value) if value else None


def passport_key(passport: str) -> str | None:
    value = values.passport_key(passport)
    return _key("passport", value) if value else None


def name_key(name: str) -> str | None:
    value = values.name_key(name)
    return _key("name", value) if value else None


def full_name_key(name: str, lastname: str) -> str | None:
    """For searching by the start of a whole name ("huy ng…"); never for matching."""
    value = values.name_key(f"{name} {lastname}")
    return _key("fullname", value) if value else None


def last_name_key(name: str, lastname: str) -> str | None:
    """For searching by the last name alone ("nguyen", or "nguyen huy" in the order
    many of our users write names); never for matching."""
    value = values.name_key(f"{lastname} {name}") if values.name_key(lastname) else ""
    return _key("lastname", value) if value else None


def domain_key(email: Email) -> str | None:
    """For searching by an email's domain ("htklabs.com"); never for matching."""
    domain = (email.normalized or "").rpartition("@")[2]
    return _key("domain", domain) if domain else None


def company_key(company: str) -> str | None:
    """For searching a lead by the company it names (free text); never for matching."""
    value = values.name_key(company)
    return _key("company", value) if value else None


def email_key(email: Email) -> str:
    assert email.normalized, "invalid emails are not matched"
    return _key("email", email.normalized)


def phone_key(phone: Phone) -> str:
    assert phone.e164, "invalid phones are not matched"
    return _key("phone", phone.e164)


def tag_key(tag: str) -> str:
    return _key("tag", values.name_key(tag))


KEY_WORDS = {
    "contactid": "contactId",
    "passport": "passport",
    "email": "email",
    "phone": "phone",
    "name": "name",
}


def matched_on(key: str) -> str:
    """The request field a key stands for: `email:a@b.c` → `email`."""
    return KEY_WORDS[key.split(":", 1)[0]]


def shown_value(key: str) -> str:
    return key.split(":", 1)[1]
