"""Message templates (listener auto email and SMS): Django template text that
sees the new customer's fields and the org's name (SPEC §2).

Org admins write these templates, so they are tenant-controlled work: the
language is cut down to tags and filters that cannot reach anything (no
`{% include %}`, `{% load %}`, `{% url %}`, `{% debug %}`, `{% lorem %}`), and
every rendering has a budget of time and output (CRMDP_TEMPLATE_MAX_SECONDS,
CRMDP_TEMPLATE_MAX_CHARS). A template is tried against the longest values it
can ever see when it is saved, so one that blows the budget (nested loops over a
name, `ljust:"100000000"`) is refused then, not when a customer arrives; the
worker renders with the same budget, outside any transaction.
"""

from __future__ import annotations

import contextvars
import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import (
    Context,
    Engine,
    Library,
    Node,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)

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


def _longest(length: int) -> str:
    return ("Nguyễn Văn " * (length // 11 + 1))[:length]


# The longest value each name can hold (the columns' lengths): a template that
# keeps its budget with these keeps it with any customer.
LONGEST_VALUES = {
    "name": _longest(500),
    "lastname": _longest(500),
    "title": _longest(500),
    "customerId": "PID-" + "9" * 16,
    "email": "a" * 64 + "@" + ("b" * 62 + ".") * 3 + "example",
    "phone": "+" + "9" * 15,
    "org": _longest(200),
}
_MISSING = "\x00missing:%s\x00"
_MISSING_RE = re.compile("\x00missing:(.*?)\x00")

TAGS = (
    *("autoescape", "comment", "cycle", "filter", "firstof", "for", "if", "ifchanged"),
    *("now", "spaceless", "templatetag", "verbatim", "with"),
)
FILTERS = (
    *("add", "addslashes", "capfirst", "center", "cut", "date", "default"),
    *("default_if_none", "divisibleby", "first", "get_digit", "iriencode", "join", "last"),
    *("length", "ljust", "lower", "make_list", "phone2numeric", "pluralize", "rjust"),
    *("slice", "slugify", "striptags", "time", "title", "truncatechars", "truncatewords"),
    *("upper", "urlencode", "wordcount", "wordwrap", "yesno"),
)
_WIDTH_FILTERS = {"ljust", "rjust", "center"}


class TemplateProblem(ValueError):
    pass


class BudgetExceeded(TemplateProblem):
    pass


@dataclass
class Budget:
    # In this thread's CPU time: the work the template does, not how busy the
    # machine is (a loaded host must not make a one-line template "too costly").
    deadline: float
    seconds: float
    chars_left: int
    max_chars: int
    blown: str = ""

    def tick(self) -> None:
        if not self.blown and time.thread_time() > self.deadline:
            self.blown = f"takes longer than {self.seconds:g} s to render"
        if self.blown:
            # Raised again at every step: a tag that swallows errors ({% if %}) cannot
            # make the template go on.
            raise BudgetExceeded(self.blown)

    def spend(self, chars: int) -> None:
        self.chars_left -= chars
        if self.chars_left < 0 and not self.blown:
            self.blown = f"writes more than {self.max_chars} characters"
        self.tick()

    def allow(self, chars: int) -> None:
        """A value about to be made (a filter's result) fits in the whole budget."""
        if chars > self.max_chars and not self.blown:
            self.blown = f"writes more than {self.max_chars} characters"
        self.tick()


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("budget", default=None)


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def guarded(value: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget.get()
        if budget is not None:
            if name in _WIDTH_FILTERS and args:
                try:
                    width = int(args[0])
                except (TypeError, ValueError):
                    width = 0
                budget.allow(width)  # before a huge string is made, not after
            budget.tick()
        result = function(value, *args, **kwargs)
        if budget is not None and isinstance(result, str | list):
            budget.allow(len(result))
        return result

    for flag in ("is_safe", "needs_autoescape", "expects_localtime"):
        if hasattr(function, flag):
            setattr(guarded, flag, getattr(function, flag))
    return guarded


register = Library()
for _tag in TAGS:
    register.tag(_tag, defaulttags.register.tags[_tag])
for _name in FILTERS:
    register.filters[_name] = _guarded(_name, defaultfilters.register.filters[_name])

# No loaders and no directories: {% include %} and {% extends %} can reach nothing;
# and only the library above is built in ({% load %} is not even a tag).
_engine = Engine(dirs=[], app_dirs=False, autoescape=False, loaders=[], string_if_invalid=_MISSING)
_engine.template_builtins = [register]
_engine.template_libraries = {}


def _budgeted(render: Callable[[Context], Any], leaf: bool, context: Context) -> Any:
    budget = _budget.get()
    if budget is not None:
        budget.tick()
    output = render(context)
    if budget is not None and leaf:
        # Only what leaves write is counted: a loop's own output is theirs, joined.
        budget.spend(len(output))
    return output


def _compile(text: str) -> Any:
    try:
        template = _engine.from_string(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"does not render: {exc}") from None
    for node in template.nodelist.get_nodes_by_type(Node):
        leaf = not any(getattr(node, attr, None) for attr in node.child_nodelists)
        node.render_annotated = functools.partial(_budgeted, node.render_annotated, leaf)  # type: ignore[method-assign]
    return template


def render(
    text: str,
    context: dict[str, Any],
    *,
    seconds: float | None = None,
    chars: int | None = None,
) -> str:
    """Render `text` as plain text within the budget; names it does not know render
    as empty text. TemplateProblem (BudgetExceeded) says why it cannot."""
    return _MISSING_RE.sub("", _render_raw(text, context, seconds, chars))


def one_line(text: str) -> str:
    """A header value (an email subject): every run of whitespace, line breaks
    included, becomes one space, so a name with a newline cannot add a header."""
    return " ".join(text.split())


def check(text: str) -> None:
    """Refuse a template that does not compile, names something it cannot see, or
    blows its budget with the longest values it may ever be given."""
    try:
        output = _render_raw(text, TEMPLATE_NAMES)
        render(text, LONGEST_VALUES)
    except BudgetExceeded as exc:
        raise TemplateProblem(
            f"is too costly: with the longest values a customer may have, it {exc}"
        ) from None
    unknown = sorted(set(_MISSING_RE.findall(output)))
    if unknown:
        raise TemplateProblem(
            f"uses {', '.join(unknown)}, which templates cannot see; "
            f"available: {', '.join(TEMPLATE_NAMES)}"
        )


def _render_raw(
    text: str, context: dict[str, Any], seconds: float | None = None, chars: int | None = None
) -> str:
    """`render`, keeping the markers of unknown names."""
    seconds = settings.CRMDP_TEMPLATE_MAX_SECONDS if seconds is None else seconds
    chars = settings.CRMDP_TEMPLATE_MAX_CHARS if chars is None else chars
    template = _compile(text)
    budget = Budget(time.thread_time() + seconds, seconds, chars, chars)
    token = _budget.set(budget)
    try:
        # Plain text: an email body or SMS is not HTML, so O'Brien stays O'Brien.
        output = str(template.render(Context(context, autoescape=False)))
    except TemplateProblem:
        raise
    except Exception as exc:  # a filter that fails on these values
        raise TemplateProblem(f"does not render: {exc}") from None
    finally:
        _budget.reset(token)
    if budget.blown:  # blown inside something that swallowed the error
        raise BudgetExceeded(budget.blown)
    return output
