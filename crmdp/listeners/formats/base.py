"""What every body format reads from, and what it reads a body into."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Body:
    """A request's body as received, with what a reader may need to make sense of it."""

    raw: bytes
    content_type: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Read:
    """What a body says: who sends it (an email, checked by the envelope) and its
    action items, each `{"actionType": …, "data": {…}}` as in today's JSON."""

    sender: str
    items: list[Any]


# Reads a body, or raises envelope.Rejected (400 or 413) naming what is wrong.
Reader = Callable[[Body], Read]
