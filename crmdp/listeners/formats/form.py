"""`form`: HTML form posts, as a website's own form or the hosted one sends them.

`application/x-www-form-urlencoded` and `multipart/form-data` (a JSON object of
fields is read too, for a site's own JavaScript). Well-known names become the
record's fields, campaign parameters its attribution, anything else a custom field
of the same label or a line of the note. Formspree's conventions: a non-empty
`_gotcha` (the honeypot a person never sees) is spam, `_next` is where the browser
goes next, if its host is allowed.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings

from crmdp.lib.issues import Issue
from crmdp.listeners.formats.person import ATTRIBUTION_FIELDS, Person, person_actions
from crmdp.listeners.formats.submission import Refused, Request, Submission, json_object
from crmdp.listeners.models import Listener

HONEYPOT = "_gotcha"
NEXT = "_next"
# The form's own name for each field, as sites and form builders write them
# (compared lower-cased, with "-" and spaces as "_").
WELL_KNOWN = {
    "first_name": ("first_name", "firstname", "fname", "given_name"),
    "last_name": ("last_name", "lastname", "lname", "family_name", "surname"),
    "full_name": ("name", "full_name", "fullname", "your_name"),
    "email": ("email", "e_mail", "email_address", "_replyto"),
    "phone": ("phone", "tel", "telephone", "phone_number", "mobile"),
    "company": ("company", "company_name", "organization", "organisation"),
    "title": ("title", "job_title"),
    "street": ("street", "address", "street_address"),
    "city": ("city", "town"),
    "zip": ("zip", "postal_code", "postcode", "zip_code"),
    "country": ("country",),
}
_FIELD_OF = {alias: name for name, aliases in WELL_KNOWN.items() for alias in aliases}
MESSAGE = ("message", "comments", "comment")
_BOUNDARY = re.compile(r'boundary="?([^";]{1,200})"?', re.IGNORECASE)
_PARAM = re.compile(r'\b(name|filename)="([^"]*)"', re.IGNORECASE)


def read(request: Request) -> Submission:
    fields = form_fields(request.body, request.content_type)
    if any(name == HONEYPOT and value.strip() for name, value in fields):
        return Submission(items=[], spam=True, redirect=_redirect(request.listener, fields))
    person = Person()
    gathered: dict[str, list[str]] = {}
    order: list[str] = []
    for name, value in fields:
        if name not in gathered:
            order.append(name)
        gathered.setdefault(name, []).append(value)
    for name in order:
        # A repeated name (a group of checkboxes) is one value.
        value = ", ".join(v.strip() for v in gathered[name] if v.strip())
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
        if not value or key in (HONEYPOT, NEXT):
            continue
        if key in _FIELD_OF:
            setattr(person, _FIELD_OF[key], value)
        elif key in MESSAGE:
            person.message.append(value)
        elif key in ATTRIBUTION_FIELDS:
            person.attribution[key] = value
        elif key.startswith("_"):
            continue  # other Formspree settings (_subject, _cc, _language): not data
        else:
            person.extras.append((name.strip(), value))
    return Submission(
        items=person_actions(request.listener, person),
        redirect=_redirect(request.listener, fields),
    )


def form_fields(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a form post, at most CRMDP_FORM_MAX_FIELDS of them,
    each value at most CRMDP_MAX_STRING_LENGTH characters."""
    media = content_type.split(";")[0].strip().lower()
    limit = settings.CRMDP_FORM_MAX_FIELDS
    if media == "multipart/form-data":
        fields = _multipart(body, content_type, limit)
    elif media == "application/json":
        document = json_object(body, "of form fields")
        fields = [(str(k), _scalar(v)) for k, v in document.items()]
    elif media in ("application/x-www-form-urlencoded", ""):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "invalid_body", "a form post must be UTF-8") from None
        try:
            fields = parse_qsl(text, keep_blank_values=True, max_num_fields=limit)
        except ValueError:
            raise _too_many(limit) from None
    else:
        raise Refused(
            415,
            "unsupported_media_type",
            f"a form listener reads application/x-www-form-urlencoded or "
            f"multipart/form-data, not {media}",
        )
    if len(fields) > limit:
        raise _too_many(limit)
    longest = settings.CRMDP_MAX_STRING_LENGTH
    for name, value in fields:
        if len(value) > longest or len(name) > 200:
            raise Refused(
                413,
                "field_too_large",
                f"the field {name[:200]!r} is larger than {longest} characters",
                Issue(name[:200], f"at most {longest} characters"),
            )
    return fields


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_scalar(item) for item in value)
    if isinstance(value, dict):
        raise Refused(400, "invalid_body", "form fields are strings, numbers or lists of them")
    return str(value)


def _too_many(limit: int) -> Refused:
    return Refused(
        413,
        "too_many_fields",
        f"a form post has at most {limit} fields (CRMDP_FORM_MAX_FIELDS)",
    )


def _multipart(body: bytes, content_type: str, limit: int) -> list[tuple[str, str]]:
    """The text fields of a multipart/form-data body. Uploaded files are not kept:
    their part is noted as a field saying so."""
    found = _BOUNDARY.search(content_type)
    if not found:
        raise Refused(400, "invalid_body", "multipart/form-data without a boundary")
    delimiter = b"--" + found.group(1).encode("latin-1")
    chunks = body.split(delimiter)
    # The preamble, then one chunk per part, then the epilogue after "--".
    if len(chunks) - 2 > limit:
        raise _too_many(limit)
    fields: list[tuple[str, str]] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, separator, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise Refused(400, "invalid_body", "a multipart part has no header")
        content = content.removesuffix(b"\r\n")
        disposition = ""
        for line in head.decode("latin-1").split("\r\n"):
            header, _, value = line.partition(":")
            if header.strip().lower() == "content-disposition":
                disposition = value
        params = {key.lower(): value for key, value in _PARAM.findall(disposition)}
        name = params.get("name")
        if name is None:
            raise Refused(400, "invalid_body", "a multipart part has no name")
        name = name.encode("latin-1").decode("utf-8", errors="replace")
        if "filename" in params:
            if params["filename"]:
                fields.append((name, f"(file {params['filename']!r} not kept)"))
            continue
        try:
            fields.append((name, content.decode("utf-8")))
        except UnicodeDecodeError:
            raise Refused(
                400, "invalid_body", f"the field {name!r} is not UTF-8", Issue(name, "not UTF-8")
            ) from None
    return fields


def redirect_allowed(listener: Listener, url: str) -> bool:
    """Whether a browser may be sent to `url`: http(s), to the listener's redirect
    URL's host or one of its allowed redirect hosts (never anywhere a form says)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    allowed = {host.lower() for host in listener.redirect_hosts}
    if listener.redirect_url:
        allowed.add((urlsplit(listener.redirect_url).hostname or "").lower())
    return parts.hostname.lower() in allowed


def _redirect(listener: Listener, fields: list[tuple[str, str]]) -> str | None:
    wanted = next((value for name, value in fields if name == NEXT and value.strip()), None)
    if wanted and redirect_allowed(listener, wanted):
        return wanted.strip()
    return listener.redirect_url or None
