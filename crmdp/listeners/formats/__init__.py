"""Listener formats: each reads a raw body into the actions of SPEC §3.

A new format is one module here with a `read(Request) -> Submission`, its entry
in FORMATS (and in crmdp.listeners.models.Format), fixtures of what its sender
really sends in tests/listeners/fixtures/<format>/, and a section in
docs/listener.md. A format refuses a body by raising `submission.Refused`
(the envelope answers it, crmdp.listeners.envelope.read_submission).
"""

from __future__ import annotations

from typing import Any

from crmdp.listeners.formats import actions, form, google_ads, mapped, typeform
from crmdp.listeners.formats.submission import (
    Reader,
    Refused,
    Request,
    Unreadable,
    parse_body_json,
)
from crmdp.listeners.models import Format, Listener

# The registry: each Format a listener may be set to, and its reader.
FORMATS: dict[str, Reader] = {
    Format.ACTIONS: actions.read,
    Format.FORM: form.read,
    Format.GOOGLE_ADS: google_ads.read,
    Format.TYPEFORM: typeform.read,
    Format.MAPPED: mapped.read,
}


def preview(listener: Listener, body: bytes, content_type: str) -> dict[str, Any]:
    """What `listener` would make of `body`, without running anything: the actions
    (an action the format could not build shows its errors), or the refusal. For the
    settings' test console; a sender's signature is not asked for (nothing runs)."""
    try:
        if listener.format == Format.ACTIONS:
            document = parse_body_json(body)
            items = document.get("data") if isinstance(document, dict) else None
            return {"actions": items if isinstance(items, list) else []}
        read = FORMATS[listener.format](
            Request(listener=listener, body=body, content_type=content_type, replay=True)
        )
    except Refused as refused:
        details = [{"field": d.field, "message": d.message} for d in refused.details]
        return {
            "refused": {
                "status": refused.status,
                "code": refused.code,
                "message": refused.message,
                "details": details,
            }
        }
    actions: list[Any] = []
    for item in read.items:
        if isinstance(item, Unreadable):
            errors = [{"field": i.field, "message": i.message} for i in item.issues]
            actions.append({"actionType": item.action_type, "errors": errors})
        else:
            actions.append(item)
    return {"actions": actions, "spam": True} if read.spam else {"actions": actions}
