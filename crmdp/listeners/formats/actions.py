"""The `actions` format, today's JSON body (SPEC §3):
`{"senderUser": "…", "data": [{"actionType": …, "data": {…}}, …]}`."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from crmdp.lib.issues import Issue
from crmdp.listeners.formats.submission import Refused, Request, Submission, parse_body_json


def read(request: Request) -> Submission:
    sender, items = read_envelope(parse_body_json(request.body))
    return Submission(items, sender=sender)


def read_envelope(document: Any) -> tuple[str, list[Any]]:
    if not isinstance(document, dict):
        raise Refused(400, "invalid_envelope", "the body must be a JSON object")
    sender = document.get("senderUser")
    problems = []
    if not isinstance(sender, str) or not sender.strip():
        problems.append(Issue("senderUser", "is required: the email of a user of this org"))
    items = document.get("data")
    if not isinstance(items, list):
        problems.append(Issue("data", "is required: an array of actions"))
    if problems:
        raise Refused(400, "invalid_envelope", "the request envelope is incomplete", *problems)
    assert isinstance(sender, str) and isinstance(items, list)
    if len(items) > settings.CRMDP_MAX_ACTIONS:
        raise Refused(
            413,
            "too_many_actions",
            f"{len(items)} actions in one request; the limit is {settings.CRMDP_MAX_ACTIONS}",
            Issue("data", f"at most {settings.CRMDP_MAX_ACTIONS} actions per request"),
        )
    return sender.strip(), items
