"""Body formats: reading a request's body into its sender and its list of action
items, one module per format, registered here by name.

A reader refuses what it cannot read by raising `envelope.Rejected` (400 or 413,
naming the field); the envelope's work cap and the actions' dispatch table then
treat every format's items alike.
"""

from __future__ import annotations

from crmdp.listeners.formats import actions
from crmdp.listeners.formats.base import Body, Read, Reader

__all__ = ["DEFAULT", "FORMATS", "Body", "Read", "Reader", "read"]

# The registry: format name -> its reader.
FORMATS: dict[str, Reader] = {
    "actions": actions.read,
}
DEFAULT = "actions"  # today's JSON body (SPEC §3)


def read(name: str, body: Body) -> Read:
    """Read `body` in the format `name` (one of FORMATS)."""
    return FORMATS[name](body)
