"""The settings of the listener formats other than `actions` (issue 18): their rules,
and their bounds (each is the tenant's own input, so none is unbounded)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from crmdp.lib.issues import Invalid
from crmdp.listeners.formats.mapped import IDENTITY, check_map
from crmdp.listeners.models import Creates, Format

MAX_HOSTS = 20  # allowed redirect hosts, and embed origins, per listener
MAX_FORM_FIELDS = 30  # fields of a hosted form
DEFAULT_FORM_FIELDS = ("first_name", "last_name", "email", "phone", "message")
# The hosted form's fields a listener may list; any other name (lower case, digits,
# `_`) is a text box labelled by its name, read as a custom field or a note line.
FORM_FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "title": "Job title",
    "street": "Street",
    "city": "City",
    "zip": "Postal code",
    "country": "Country",
    "message": "Message",
}
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_HOST = re.compile(
    r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)
NEEDS_SECRET = (Format.GOOGLE_ADS, Format.TYPEFORM)


def redirect_host(entry: str) -> str:
    host = entry.strip().lower().rstrip(".")
    if not _HOST.fullmatch(host):
        raise Invalid("redirect_hosts", f"{entry.strip()!r} is not a host name (shop.example)")
    return host


def embed_origin(entry: str) -> str:
    """`https://shop.example` or `http://localhost:8080`: a scheme, a host, maybe a port."""
    text = entry.strip().rstrip("/")
    problem = Invalid("embed_origins", f"{text!r} is not an origin (https://shop.example, no path)")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise problem from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
        raise problem
    if parts.query or parts.fragment or parts.username:
        raise problem
    host = parts.hostname.lower()
    if not _HOST.fullmatch(host) and not re.fullmatch(r"[0-9.]+|\[?[0-9a-f:]+\]?", host):
        raise problem
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def form_field_names(names: Sequence[str]) -> list[str]:
    chosen = [name.strip().lower() for name in names if name.strip()]
    if len(chosen) > MAX_FORM_FIELDS:
        raise Invalid("form_fields", f"at most {MAX_FORM_FIELDS} fields")
    for name in chosen:
        if not _FIELD_NAME.fullmatch(name) or name.startswith("_"):
            raise Invalid(
                "form_fields",
                f"{name!r}: a field name is lower-case letters, digits and _ (at most 40)",
            )
    return list(dict.fromkeys(chosen))


def check(
    *,
    format_name: str,
    creates: str,
    redirect_url: str,
    redirect_hosts: Sequence[str],
    embed_origins: Sequence[str],
    form_fields: Sequence[str],
    format_secret: str,
    field_map: Mapping[str, str],
) -> list[Invalid]:
    """Every problem, each naming its setting."""
    problems: list[Invalid] = []
    if format_name not in Format.values:
        problems.append(Invalid("format", f"one of {', '.join(Format.values)}"))
    if creates not in Creates.values:
        problems.append(Invalid("creates", f"one of {', '.join(Creates.values)}"))
    if redirect_url.strip():
        parts = urlsplit(redirect_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(Invalid("redirect_url", "must be an http(s) URL"))
        elif len(redirect_url.strip()) > 2000:
            problems.append(Invalid("redirect_url", "must be at most 2000 characters"))
    for field, entries, reader in (
        ("redirect_hosts", redirect_hosts, redirect_host),
        ("embed_origins", embed_origins, embed_origin),
    ):
        if len(entries) > MAX_HOSTS:
            problems.append(Invalid(field, f"at most {MAX_HOSTS}"))
            continue
        for entry in entries:
            try:
                reader(entry)
            except Invalid as problem:
                problems.append(problem)
                break
    try:
        form_field_names(form_fields)
    except Invalid as problem:
        problems.append(problem)
    if len(format_secret.strip()) > 200:
        problems.append(Invalid("format_secret", "must be at most 200 characters"))
    try:
        checked = check_map(dict(field_map))
    except Invalid as problem:
        problems.append(problem)
    else:
        if format_name == Format.MAPPED and not any(target in IDENTITY for target in checked):
            problems.append(
                Invalid(
                    "field_map",
                    "a mapped listener maps at least one of firstName, lastName, name, "
                    "email or phone (e.g. email=contact.email)",
                )
            )
    return problems
