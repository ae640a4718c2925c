"""Listener formats: each reads a raw body into the actions of SPEC §3.

A new format is one module here with a `read(Request) -> Submission`, its entry
in FORMATS (and in crmdp.listeners.models.Format), fixtures of what its sender
really sends in tests/listeners/fixtures/<format>/, and a section in
docs/listener.md. The `actions` format (today's JSON envelope) is read by the
envelope itself (crmdp.listeners.receiving).
"""

from __future__ import annotations

from crmdp.listeners.formats import form, google_ads, mapped, typeform
from crmdp.listeners.formats.submission import Reader
from crmdp.listeners.models import Format

FORMATS: dict[str, Reader] = {
    Format.FORM: form.read,
    Format.GOOGLE_ADS: google_ads.read,
    Format.TYPEFORM: typeform.read,
    Format.MAPPED: mapped.read,
}
