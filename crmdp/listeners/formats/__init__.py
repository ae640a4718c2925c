"""Listener formats: each reads a raw body into the actions of SPEC §3.

A new format is one module here with a `read(Request) -> Submission`, its entry
in FORMATS (and in crmdp.listeners.models.Format), fixtures of what its sender
really sends in tests/listeners/fixtures/<format>/, and a section in
docs/listener.md. A format refuses a body by raising `submission.Refused`
(the envelope answers it, crmdp.listeners.envelope.read_submission).
"""

from __future__ import annotations

from crmdp.listeners.formats import actions, form, google_ads, mapped, typeform
from crmdp.listeners.formats.submission import Reader
from crmdp.listeners.models import Format

# The registry: each Format a listener may be set to, and its reader.
FORMATS: dict[str, Reader] = {
    Format.ACTIONS: actions.read,
    Format.FORM: form.read,
    Format.GOOGLE_ADS: google_ads.read,
    Format.TYPEFORM: typeform.read,
    Format.MAPPED: mapped.read,
}
