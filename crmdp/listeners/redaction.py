"""Listener URLs carry their secret: no log line may show it.

One filter, used by Django's log handler (crmdp.settings.LOGGING) and by gunicorn's
error and access logs (crmdp.web.gunicorn_conf), rewrites every record before it
is written: `/listener/<token>` becomes `/listener/[redacted]` in the message and
in any traceback, whether the path came percent-encoded (gunicorn's raw request
line) or decoded (Django's "Internal Server Error: /listener/…").
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

# Everything after the prefix up to the end of the path, slashes included: a token
# in a URL that does not resolve is a secret all the same.
_LISTENER_PATH = re.compile(r"(/listener/)[^\s\"'?#<>]+", re.IGNORECASE)
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    """`text` with every listener token replaced; unchanged when it names none."""
    # Percent-encoded paths ("/listener%2F<token>", "/%6Cistener/<token>") reach the
    # view all the same, so they are read decoded.
    decoded = unquote(text) if "%" in text else text
    if _LISTENER_PATH.search(decoded) is None:
        return text
    return _LISTENER_PATH.sub(REDACTED, decoded)


class RedactListenerTokens(logging.Filter):
    """Rewrites a record's message and traceback in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text once it is set: format the traceback here.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
