"""What every listener format reads a body into, and how it refuses one.

A format turns a raw body into the same action items a JSON sender would send
(SPEC §3); everything after that (matching, permits, history, welcome messages,
the delivery log, limits, idempotency) is the listener's, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from crmdp.lib.issues import Issue
from crmdp.lib.jsonbody import BodyError, parse_json
from crmdp.listeners.models import Listener


class Refused(Exception):
    """The body is refused as a whole (a bad signature, a wrong key, an unreadable
    body): nothing is done, and the delivery is logged with this answer."""

    def __init__(self, status: int, code: str, message: str, *details: Issue) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details)


@dataclass
class Unreadable:
    """An action a format could not build: it is answered as that action's error
    (per action, like any other), and the request's other actions still run."""

    action_type: str
    issues: list[Issue]  # fields relative to the action (`data.name`)


@dataclass
class Request:
    """What a format may look at: the listener, the raw body and the headers."""

    listener: Listener
    body: bytes
    content_type: str
    # Lower-case names. A replay carries none: what was checked on the original
    # delivery (a signature over the headers) is not checked again (see `replay`).
    headers: Mapping[str, str] = field(default_factory=dict)
    # Set when an admin replays a delivery that the listener accepted: checks of the
    # sender that need the original headers were passed then.
    replay: bool = False

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Submission:
    """A body, read: the actions to run, and what the listener should know."""

    items: list[Any]
    sender: str | None = None  # senderUser; None: the listener's owner (envelope.owner_email)
    spam: bool = False  # answered like a success; nothing is run
    idempotency_key: str | None = None  # the sender's own id of this submission
    redirect: str | None = None  # where a browser goes next (form posts)


Reader = Callable[[Request], Submission]


def parse_body_json(body: bytes) -> Any:
    """The body as JSON, within the listener's limits (400 naming where it breaks)."""
    try:
        return parse_json(
            body,
            max_depth=settings.CRMDP_MAX_DEPTH,
            max_string=settings.CRMDP_MAX_STRING_LENGTH,
            max_items=settings.CRMDP_MAX_LIST_ITEMS,
        )
    except BodyError as exc:
        details = [Issue(exc.field, exc.message)] if exc.field else []
        raise Refused(400, "invalid_body", exc.message, *details) from None


def json_object(body: bytes, what: str) -> dict[str, Any]:
    document = parse_body_json(body)
    if not isinstance(document, dict):
        raise Refused(400, "invalid_body", f"the body must be a JSON object ({what})")
    return document
