"""Today's JSON body (SPEC §3): `{"senderUser": "…", "data": [{"actionType": …}, …]}`."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from crmdp.lib.issues import Issue
from crmdp.lib.jsonbody import BodyError, parse_json
from crmdp.listeners.envelope import Rejected
from crmdp.listeners.formats.base import Body, Read


def read(body: Body) -> Read:
    sender, items = read_envelope(parse(body.raw))
    return Read(sender, items)


def parse(body: bytes) -> Any:
    try:
        return parse_json(
            body,
            max_depth=settings.CRMDP_MAX_DEPTH,
            max_string=settings.CRMDP_MAX_STRING_LENGTH,
            max_items=settings.CRMDP_MAX_LIST_ITEMS,
        )
    except BodyError as exc:
        details = [Issue(exc.field, exc.message)] if exc.field else []
        raise Rejected(400, "invalid_body", exc.message, *details) from None


def read_envelope(document: Any) -> tuple[str, list[Any]]:
    if not isinstance(document, dict):
        raise Rejected(400, "invalid_envelope", "the body must be a JSON object")
    sender = document.get("senderUser")
    problems = []
    if not isinstance(sender, str) or not sender.strip():
        problems.append(Issue("senderUser", "is required: the email of a user of this org"))
    items = document.get("data")
    if not isinstance(items, list):
        problems.append(Issue("data", "is required: an array of actions"))
    if problems:
        raise Rejected(400, "invalid_envelope", "the request envelope is incomplete", *problems)
    assert isinstance(sender, str) and isinstance(items, list)
    if len(items) > settings.CRMDP_MAX_ACTIONS:
        raise Rejected(
            413,
            "too_many_actions",
            f"{len(items)} actions in one request; the limit is {settings.CRMDP_MAX_ACTIONS}",
            Issue("data", f"at most {settings.CRMDP_MAX_ACTIONS} actions per request"),
        )
    return sender.strip(), items
