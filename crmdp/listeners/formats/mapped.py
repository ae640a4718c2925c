"""`mapped`: any JSON, through the listener's field map.

Each entry of the map names a target (a field of the record) and the dotted path
of the value in the body, numeric parts indexing lists: `email=contact.emails.0`.
The map is the tenant's own configuration, so it is bounded: at most
CRMDP_MAP_MAX_ENTRIES entries, each path at most CRMDP_MAP_MAX_PATH_DEPTH parts.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from crmdp.lib.issues import Invalid
from crmdp.listeners.formats.person import Person, person_actions
from crmdp.listeners.formats.submission import Request, Submission, parse_body_json

# Target → the Person field it fills.
TARGETS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "name": "full_name",
    "email": "email",
    "phone": "phone",
    "companyName": "company",
    "title": "title",
    "street": "street",
    "city": "city",
    "zip": "zip",
    "country": "country",
    "note": "message",
}
# Prefixed targets: `attribution.utm_source`, `custom.Budget` (a custom field's label).
PREFIXES = ("attribution.", "custom.")
IDENTITY = ("firstName", "lastName", "name", "email", "phone")


def check_map(entries: dict[str, str]) -> dict[str, str]:
    """The map as stored (targets and paths trimmed); Invalid names the bad entry."""
    limit = settings.CRMDP_MAP_MAX_ENTRIES
    if len(entries) > limit:
        raise Invalid("field_map", f"at most {limit} entries (CRMDP_MAP_MAX_ENTRIES)")
    checked: dict[str, str] = {}
    for target, path in entries.items():
        target, path = target.strip(), path.strip()
        known = target in TARGETS or (
            target.startswith(PREFIXES) and 0 < len(target.partition(".")[2]) <= 64
        )
        if not known:
            allowed = ", ".join([*TARGETS, "attribution.<key>", "custom.<field label>"])
            raise Invalid("field_map", f"unknown target {target!r}; allowed: {allowed}")
        parts = path.split(".")
        if not path or any(not part for part in parts):
            raise Invalid("field_map", f"{target}: the path {path!r} has an empty part")
        if len(parts) > settings.CRMDP_MAP_MAX_PATH_DEPTH:
            raise Invalid(
                "field_map",
                f"{target}: at most {settings.CRMDP_MAP_MAX_PATH_DEPTH} parts in a path "
                "(CRMDP_MAP_MAX_PATH_DEPTH)",
            )
        checked[target] = path
    return checked


def parse_map(lines: list[str]) -> dict[str, str]:
    """`TARGET=PATH` lines (the CLI's repeated --map, the settings page's lines)."""
    entries: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            continue
        target, equals, path = line.partition("=")
        if not equals:
            raise Invalid(
                "field_map", f"{line.strip()!r}: write TARGET=PATH, e.g. email=contact.email"
            )
        entries[target.strip()] = path.strip()
    return check_map(entries)


def value_at(document: Any, path: str) -> Any:
    """The value at a dotted path (numeric parts index lists), None when absent."""
    node = document
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | str):
        return str(value).strip() or None
    return None


def read(request: Request) -> Submission:
    document = parse_body_json(request.body)
    person = Person()
    for target, path in request.listener.field_map.items():
        value = _text(value_at(document, path))
        if value is None:
            continue
        if target == "note":
            person.message.append(value)
        elif target in TARGETS:
            setattr(person, TARGETS[target], value)
        elif target.startswith("attribution."):
            person.attribution[target.partition(".")[2]] = value
        else:
            person.extras.append((target.partition(".")[2], value))
    mapped = [
        f"{target} (at {path})"
        for target, path in request.listener.field_map.items()
        if target in IDENTITY
    ]
    missing = "name, email or phone: " + (
        ", ".join(mapped) + " found nothing"
        if mapped
        else "the map names none of firstName, lastName, name, email or phone"
    )
    return Submission(items=person_actions(request.listener, person, missing=missing))
