"""One person as a form-like sender describes them, and the actions that make the
record: an add-lead (or add-contact) item exactly as a JSON sender would write it,
then an add-note for what they wrote (their message, and the fields the org has no
custom field for)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crmdp.customers.keys import name_key
from crmdp.lib.issues import Issue
from crmdp.listeners.formats.submission import Unreadable
from crmdp.listeners.models import Creates, Listener
from crmdp.orgs.models import CustomFieldDefinition

# What a form's visitor may set as attribution: the campaign parameters of the
# page's URL and the ad networks' click ids.
ATTRIBUTION_FIELDS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "fbclid",
)


@dataclass
class Person:
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None  # split at its first space when no first name is given
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    title: str | None = None
    street: str | None = None
    city: str | None = None
    zip: str | None = None
    country: str | None = None
    message: list[str] = field(default_factory=list)  # paragraphs of the note
    extras: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    attribution: dict[str, str] = field(default_factory=dict)

    def names(self) -> tuple[str | None, str | None]:
        first, last = self.first_name, self.last_name
        if not first and self.full_name:
            head, _, rest = self.full_name.strip().partition(" ")
            first, last = head, last or rest.strip() or None
        return first, last


def _custom_field_labels(listener: Listener, record_type: str) -> dict[str, str]:
    """The org's custom fields of `record_type`, by the key a form's label is
    compared with (case, spaces and underscores aside)."""
    labels: dict[str, str] = {}
    for name in CustomFieldDefinition.objects.filter(
        org_id=listener.org_id, record_type=record_type
    ).values_list("name", flat=True):
        key = name_key(name.replace("_", " "))
        if key:
            labels[key] = name
    return labels


def person_actions(
    listener: Listener, person: Person, *, missing: str = "name, email or phone"
) -> list[Any]:
    """The actions that record `person` through `listener`: an add-lead or add-contact
    (its `creates` setting), then an add-note for the message, if any.

    A person with no name, email or phone cannot be found or created: the action
    is that action's error, naming what was missing (`missing`)."""
    lead = listener.creates != Creates.CONTACT
    action_type = "add-lead" if lead else "add-contact"
    first, last = person.names()
    if not (first or person.email or person.phone):
        return [Unreadable(action_type, [Issue("data", f"no {missing} was found")])]
    data: dict[str, Any] = {
        # A customer needs a name (SPEC §5): a newsletter form may ask only an email.
        "name": first or person.email or person.phone,
        "lastname": last,
        "title": person.title,
    }
    if person.email:
        data["emails"] = [{"type": "Other", "value": person.email}]
    if person.phone:
        data["phones"] = [{"type": "Other", "value": person.phone}]
    if person.company:
        if lead:
            data["companyLead"] = person.company
        else:
            data["companyContact"] = {"name": person.company}
    address = {
        "street": person.street,
        "city": person.city,
        "zip": person.zip,
        "country": person.country,
    }
    if any(address.values()):
        data["addresses"] = [{key: value for key, value in address.items() if value}]
    labels = _custom_field_labels(listener, "lead" if lead else "contact") if person.extras else {}
    custom: list[dict[str, str]] = []
    note = list(person.message)
    unlabelled: list[str] = []
    for label, value in person.extras:
        known = labels.get(name_key(label.replace("_", " ")) or "")
        if known:
            custom.append({"name": known, "value": value})
        else:
            unlabelled.append(f"{label}: {value}")
    if unlabelled:
        note.append("\n".join(unlabelled))
    if custom:
        data["cusFields"] = custom
    if person.attribution:
        data["attribution"] = person.attribution
    items: list[Any] = [
        {"actionType": action_type, "data": {k: v for k, v in data.items() if v is not None}}
    ]
    if note:
        body = "\n\n".join(note)
        finder = (
            {"email": person.email}
            if person.email
            else {"phone": person.phone}
            if person.phone
            else None
        )
        if finder is None:
            # Nothing a note could find the record by: the message goes on the record.
            items[0]["data"]["bgInfo"] = body
        else:
            contact_type = "lead" if lead else "customer"
            items.append(
                {
                    "actionType": "add-note",
                    "data": {"body": body, "contactType": contact_type, **finder},
                }
            )
    return items
