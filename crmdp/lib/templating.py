"""Message templates (listener auto email and SMS): Django template text that
sees the new customer's fields and the org's name (SPEC §2)."""

from __future__ import annotations

import re
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError

# The names a template may use, with sample values for checking a template on save.
TEMPLATE_NAMES = {
    "name": "Huy",
    "lastname": "Nguyen",
    "title": "Manager",
    "customerId": "PID-1",
    "email": "huy@example.com",
    "phone": "+84905000001",
    "org": "Example Org",
}
_MISSING = "\x00missing:%s\x00"
_MISSING_RE = re.compile("\x00missing:(.*?)\x00")

# No loaders and no directories: {% include %} and {% extends %} can reach nothing.
_engine = Engine(dirs=[], app_dirs=False, autoescape=False, loaders=[], string_if_invalid=_MISSING)


class TemplateProblem(ValueError):
    pass


def render(text: str, context: dict[str, Any]) -> str:
    """Render `text`; names it does not know render as empty text."""
    try:
        # Plain text: an email body or SMS is not HTML, so O'Brien stays O'Brien.
        output = _engine.from_string(text).render(Context(context, autoescape=False))
    except TemplateSyntaxError as exc:
        raise TemplateProblem(str(exc)) from None
    return _MISSING_RE.sub("", output)


def one_line(text: str) -> str:
    """A header value (an email subject): every run of whitespace, line breaks
    included, becomes one space, so a name with a newline cannot add a header."""
    return " ".join(text.split())


def check(text: str) -> None:
    """Refuse a template that does not compile or names something it cannot see."""
    try:
        output = _engine.from_string(text).render(Context(TEMPLATE_NAMES, autoescape=False))
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"does not render: {exc}") from None
    except Exception as exc:  # a filter that fails on the sample values
        raise TemplateProblem(f"does not render: {exc}") from None
    unknown = sorted(set(_MISSING_RE.findall(output)))
    if unknown:
        raise TemplateProblem(
            f"uses {', '.join(unknown)}, which templates cannot see; "
            f"available: {', '.join(TEMPLATE_NAMES)}"
        )
