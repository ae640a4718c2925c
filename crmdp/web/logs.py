"""Requests refused for a bad Host header: one short line each, no traceback.

Django logs each at ERROR with the whole traceback of DisallowedHost, a dozen lines
per probe from any scanner on the internet that sends an IP address or a stranger's
name as the host: real errors drown in them. What matters is that it happened and
which host was asked for; the line is cut to a few hundred printable characters
(the header is the client's choice).
"""

from __future__ import annotations

import logging

MAX_LINE = 300


class OneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage().split(" You may need to add", 1)[0]
        message = "".join(c if c.isprintable() else "?" for c in message)
        if len(message) > MAX_LINE:
            message = message[:MAX_LINE] + "…"
        record.msg, record.args = message, None
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
