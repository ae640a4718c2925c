"""`typeform`: Typeform's `form_response` webhook.

Typeform signs each request: `Typeform-Signature: sha256=<base64 of the HMAC-SHA256
of the raw body, keyed with the webhook's secret>`; a request without a good one is
refused (401). Answers of type email and phone_number are the email and phone; a
text answer whose question's title or ref says first name, last name, name or
company is that; the form's hidden fields (utm_source, gclid ...) are the record's
attribution; every other answer is a custom field of its question's title, or a
line of the note. The event id is the idempotency key: Typeform retries a
delivery it got no 2xx for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from crmdp.lib.issues import Issue
from crmdp.listeners.formats.person import Person, person_actions
from crmdp.listeners.formats.submission import Refused, Request, Submission, json_object

SIGNATURE_HEADER = "Typeform-Signature"
# What a question's title or ref says, for a text answer.
_TEXT_TARGETS = (
    (re.compile(r"first[\s_-]*name|given[\s_-]*name", re.I), "first_name"),
    (re.compile(r"last[\s_-]*name|surname|family[\s_-]*name", re.I), "last_name"),
    (re.compile(r"compan|organi[sz]ation", re.I), "company"),
    (re.compile(r"\bname\b|full[\s_-]*name|^name", re.I), "full_name"),
)
_MAX_HIDDEN = 30


def signature(secret: str, body: bytes) -> str:
    """The Typeform-Signature header value for `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def read(request: Request) -> Submission:
    if not request.replay:
        _check_signature(request)
    body = json_object(request.body, "Typeform webhook")
    response = body.get("form_response")
    if not isinstance(response, dict):
        raise Refused(
            400,
            "invalid_body",
            "a Typeform webhook carries form_response",
            Issue("form_response", "is required"),
        )
    person = Person()
    hidden = response.get("hidden")
    if isinstance(hidden, dict):
        for key, value in list(hidden.items())[:_MAX_HIDDEN]:
            text = _text(value)
            if text and len(key) <= 64:
                person.attribution[key] = text
    titles = _question_titles(response.get("definition"))
    answers = response.get("answers")
    for index, answer in enumerate(answers if isinstance(answers, list) else []):
        if not isinstance(answer, dict):
            continue
        field = answer.get("field")
        question: dict[str, Any] = field if isinstance(field, dict) else {}
        title = titles.get(_text(question.get("id")) or "", "")
        ref = _text(question.get("ref")) or ""
        kind = answer.get("type")
        value = _answer_value(answer)
        if not value:
            continue
        if kind == "email" and not person.email:
            person.email = value
        elif kind == "phone_number" and not person.phone:
            person.phone = value
        elif (
            kind == "text" and (target := _text_target(title, ref)) and not getattr(person, target)
        ):
            setattr(person, target, value)
        else:
            person.extras.append((title or ref or f"Answer {index + 1}", value))
    event_id = _text(body.get("event_id")) or _text(response.get("token"))
    return Submission(items=person_actions(request.listener, person), idempotency_key=event_id)


def _check_signature(request: Request) -> None:
    secret = request.listener.format_secret
    sent = request.header(SIGNATURE_HEADER) or ""
    # Fail closed: a listener without a secret accepts nothing.
    if not secret or not hmac.compare_digest(
        sent.strip().encode(), signature(secret, request.body).encode()
    ):
        problem = "is missing" if not sent else "does not match the body"
        raise Refused(
            401,
            "invalid_signature",
            f"the {SIGNATURE_HEADER} header {problem} (sha256=<base64 HMAC-SHA256 of the "
            "body with the webhook's secret>)",
            Issue(SIGNATURE_HEADER, "must sign the body with the listener's secret"),
        )


def _question_titles(definition: Any) -> dict[str, str]:
    fields = definition.get("fields") if isinstance(definition, dict) else None
    titles: dict[str, str] = {}
    for field in fields if isinstance(fields, list) else []:
        if isinstance(field, dict) and (key := _text(field.get("id"))):
            titles[key] = _text(field.get("title")) or ""
    return titles


def _text_target(title: str, ref: str) -> str | None:
    for said in (title, ref):
        for pattern, target in _TEXT_TARGETS:
            if said and pattern.search(said):
                return target
    return None


def _answer_value(answer: dict[str, Any]) -> str | None:
    kind = answer.get("type")
    value = answer.get(kind) if isinstance(kind, str) else None
    if kind == "choice" and isinstance(value, dict):
        return _text(value.get("label") or value.get("other"))
    if kind == "choices" and isinstance(value, dict):
        labels = value.get("labels")
        if isinstance(labels, list):
            return ", ".join(text for item in labels if (text := _text(item))) or None
        return None
    if kind == "boolean" and isinstance(value, bool):
        return "yes" if value else "no"
    return _text(value)


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        return str(value).strip() or None
    return None
