"""The one list/detail pattern every record type's pages follow.

A record type's list page is a RecordList (its columns, title and the link to a
record) applied to a queryset from its selector; its detail page extends
`web/records/detail.html` and fills the facts, side cards and timeline. Customers,
deals, tickets and messages each write the same three things: a RecordList, a
filter form and a detail view; plus an entry in RECORD_PAGES so that delivery logs
link to them.

Every cell and fact is computed in Python (here and in the pages), from rows the
selector loaded with their relations: templates only print.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from crmdp.orgs.models import Membership
from crmdp.orgs.permits import permit_of
from crmdp.orgs.selectors import record_type_fields
from crmdp.web.layout import NavLink, page

# One way of writing moments everywhere: 24 Nov 2026, 11:53 (day first, 24-hour clock).
MOMENT = "j M Y, H:i"
DAY = "j M Y"


def when(moment: Any) -> str:
    return date_format(timezone.localtime(moment), MOMENT) if moment else ""


def day(moment: Any) -> str:
    return date_format(timezone.localtime(moment), DAY) if moment else ""


def money(value: Decimal | None, currency: Any = None) -> str:
    """50,000 VND: grouped digits, no trailing zeros, the currency's code after."""
    if value is None:
        return ""
    amount = f"{value.normalize():,f}"
    return f"{amount} {currency.name}" if currency is not None else amount


# What a page shows in place of a related record the member may not see: neither its
# name nor its code (issue 13).
NOT_SHARED = "Not shared with you"


def visible_to(record: Any) -> str:
    """Who the record's permit lets see it, in words (customers, deals, notes);
    permit_users is read from its prefetched rows."""
    return permit_of(record).describe()


@dataclass(frozen=True)
class Link:
    text: str
    url: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Badge:
    """A word in a coloured pill: a message's status, an overdue time."""

    text: str
    tone: str  # the CSS class badge-<tone>: queued, sent, failed, overdue, open, …

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Action:
    """A button at the top of a page: "New contact", "Board", "Edit"."""

    text: str
    url: str
    primary: bool = False


Cell = str | Link | Badge | Sequence[str] | None


@dataclass(frozen=True)
class Column:
    label: str
    cell: Callable[[Any], Cell]
    # "tags" draws a list of chips, "muted" greys the text, "nowrap" keeps it on one line.
    style: str = ""
    # The key of RecordList.sorts its header sorts by; empty: not sortable.
    sort: str = ""
    # What the CSV export writes, when it is more than the cell shows (every email,
    # not the first and "+1").
    export: Callable[[Any], Cell] | None = None


@dataclass(frozen=True)
class RecordList:
    """What one record type's list page shows."""

    section: str  # its place in the sidebar (layout.NAV)
    title: str  # "Contacts and accounts"
    noun: str  # "contacts": "No contacts match"
    columns: Sequence[Column]
    detail_url: Callable[[Any], str]
    empty_hint: str = ""  # where records of this type come from
    # What to try when a search finds nothing.
    search_hint: str = (
        "Try the start of a name, a whole email or phone number, or a code such as PID-12."
    )
    per_page: int = 25
    # A filter shown as tabs above the list (contacts: all, contacts, accounts).
    tab_param: str = ""
    tabs: Sequence[tuple[str, str]] = ()
    # The orders a list may be sorted in (`?sort=name`, `?sort=-name`), each as the
    # fields it orders by, ascending; only these are ever passed to order_by.
    sorts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The file name of its CSV export, without the date; empty: no export.
    export_name: str = ""


@dataclass
class Row:
    url: str
    cells: list[tuple[Column, Cell]]


def _tab_links(request: HttpRequest, spec: RecordList, current: str) -> list[NavLink]:
    """The tabs keep the search and filters; a new tab starts at its first page."""
    links = []
    for value, label in spec.tabs:
        params = request.GET.copy()
        params.pop("page", None)
        params.pop(spec.tab_param, None)
        if value:
            params[spec.tab_param] = value
        links.append(NavLink(label, f"?{params.urlencode()}", value == current))
    return links


@dataclass(frozen=True)
class Header:
    """A column's header: a link that sorts by it, and which way it is sorted now."""

    column: Column
    url: str = ""
    order: str = ""  # "ascending", "descending" (aria-sort) or ""


def _sorted(
    request: HttpRequest, spec: RecordList, records: QuerySet[Any]
) -> tuple[QuerySet[Any], list[Header]]:
    """The records in the order `?sort=` asks for, if it names one of spec.sorts
    (anything else keeps the selector's order), and the headers that change it."""
    asked = request.GET.get("sort", "")
    key = asked.removeprefix("-")
    descending = asked.startswith("-")
    if key in spec.sorts:
        fields = spec.sorts[key]
        records = records.order_by(*(f"-{name}" if descending else name for name in fields))
    else:
        key = ""
    headers = []
    for column in spec.columns:
        if not column.sort or column.sort not in spec.sorts:
            headers.append(Header(column))
            continue
        params = request.GET.copy()
        params.pop("page", None)
        current = column.sort == key
        params["sort"] = f"-{column.sort}" if current and not descending else column.sort
        order = ("descending" if descending else "ascending") if current else ""
        headers.append(Header(column, f"?{params.urlencode()}", order))
    return records, headers


def list_page(
    request: HttpRequest,
    membership: Membership,
    spec: RecordList,
    records: QuerySet[Any],
    filters: forms.Form,
    *,
    scope: Link | None = None,
    actions: Sequence[Action] = (),
    notices: Sequence[str] = (),
) -> HttpResponseBase:
    """A record list: search and filters on top, one page of rows, page links below.
    `scope` is the record the list is narrowed to (a customer's deals), if any;
    `actions` are the buttons beside the title ("New deal", "Board"); `notices` are
    warnings shown above the list (the outbox: messages that reach no one).
    `?export=csv` answers the same records (filtered and sorted alike) as a CSV file."""
    records, headers = _sorted(request, spec, records)
    if spec.export_name and request.GET.get("export") == "csv":
        return csv_export(spec, records)
    paginator = Paginator(records, spec.per_page)
    shown = paginator.get_page(request.GET.get("page"))
    rows = [
        Row(spec.detail_url(record), [(column, column.cell(record)) for column in spec.columns])
        for record in shown
    ]
    filtered = any(
        value not in (None, "")
        for name, value in filters.cleaned_data.items()
        if name != spec.tab_param
    )
    current_tab = filters.cleaned_data.get(spec.tab_param) or "" if spec.tab_param else ""
    export_url = ""
    if spec.export_name:
        params = request.GET.copy()
        params.pop("page", None)
        params["export"] = "csv"
        export_url = f"?{params.urlencode()}"
    return page(
        request,
        membership,
        "web/records/list.html",
        {
            "spec": spec,
            "headers": headers,
            "rows": rows,
            "page_obj": shown,
            "filters": filters,
            "filtered": filtered,
            "current_tab": current_tab,
            "tab_links": _tab_links(request, spec, current_tab) if spec.tabs else [],
            "scope": scope,
            "export_url": export_url,
            "export_max": CSV_EXPORT_MAX_ROWS,
            "actions": actions,
            "notices": notices,
        },
        section=spec.section,
    )


# -- CSV export -----------------------------------------------------------------------

# An export is written row by row as it is read (a chunk of rows at a time) and stops
# here: a list is for people, and a file of more rows than this wants a narrower
# filter or the read API. The last line says when rows were left out.
CSV_EXPORT_MAX_ROWS = 10_000
_EXPORT_CHUNK = 500
# A spreadsheet runs a cell that starts with one of these as a formula (CSV
# injection, OWASP): such a cell is written with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """The text as a spreadsheet shows it and never runs it. A plain number keeps its
    sign (`+84905000001`, `-5`): no spreadsheet reads a number as a formula."""
    if text.startswith(_FORMULA_START):
        bare = text[1:].replace(" ", "").replace(".", "", 1)
        if not (text[0] in "+-" and bare.isascii() and bare.isdigit()):
            return "'" + text
    return text


def _csv_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, (Link, Badge)):
        return cell.text
    if isinstance(cell, str):
        return cell
    return ", ".join(str(value) for value in cell)


class _Lines:
    """A file-like object that hands each line csv.writer writes back to it."""

    def write(self, line: str) -> str:
        return line


def csv_export(spec: RecordList, records: QuerySet[Any]) -> StreamingHttpResponse:
    """The records as CSV, streamed, at most CSV_EXPORT_MAX_ROWS of them."""

    def lines() -> Iterator[str]:
        writer = csv.writer(_Lines())
        yield writer.writerow([column.label for column in spec.columns])
        cap = CSV_EXPORT_MAX_ROWS
        # One more than the cap, to tell "exactly the cap" from "more than it".
        rows = records[: cap + 1].iterator(chunk_size=_EXPORT_CHUNK)
        for written, record in enumerate(rows):
            if written == cap:
                note = f"Only the first {cap:,} rows: narrow the filter for the rest."
                yield writer.writerow([note])
                break
            cells = [(column.export or column.cell)(record) for column in spec.columns]
            yield writer.writerow([csv_safe(_csv_text(cell)) for cell in cells])

    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{spec.export_name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Fact:
    """One labelled value of a detail page; several lines for list values."""

    label: str
    lines: Sequence[str | Link | Badge]
    style: str = ""  # "tags", "pre" (keeps line breaks)


def fact(label: str, *values: str | Link | Badge | None, style: str = "") -> Fact:
    return Fact(label, [value for value in values if value is not None and value != ""], style)


def custom_field_facts(org_id: int, record_type: str, values: dict[str, Any]) -> list[Fact]:
    """One fact per custom field of the record type (contact, lead, deal, ticket), in
    the order of their definitions; `values` is keyed by definition id."""
    facts = []
    for definition in record_type_fields(org_id, record_type):
        value = values.get(str(definition.id))
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        facts.append(fact(definition.name, "" if shown is None else str(shown)))
    return facts


@dataclass
class Card:
    """A titled box of facts (or rows) beside or below a record's main facts."""

    title: str
    facts: list[Fact] = field(default_factory=list)
    empty: str = ""


# -- links from the delivery log to the records a request touched --------------------


def _customer_page(name: str) -> Callable[[dict[str, Any]], str | None]:
    def url(ref: dict[str, Any]) -> str | None:
        code = ref.get("customerId")
        return reverse(name, args=[code]) if code else None

    return url


def _page_by(name: str, key: str) -> Callable[[dict[str, Any]], str | None]:
    def url(ref: dict[str, Any]) -> str | None:
        value = ref.get(key)
        return reverse(name, args=[value]) if value else None

    return url


# The response's `record`/`related` types that have a page. A note has none of its
# own: its link opens the customer or deal it is on, at the note.
RECORD_PAGES: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "contact": _customer_page("web:contact"),
    "account": _customer_page("web:contact"),
    "lead": _customer_page("web:lead"),
    "deal": _page_by("web:deal", "id"),
    "ticket": _page_by("web:ticket", "code"),
    "note": _page_by("web:note", "id"),
    "message": _page_by("web:message", "id"),
}


def record_link(ref: dict[str, Any]) -> Link:
    """A `record`/`related` entry of a listener response, as a link where it has a page."""
    kind = str(ref.get("type") or "record")
    code = ref.get("customerId") or ref.get("code") or ref.get("id", "?")
    to_page = RECORD_PAGES.get(kind)
    return Link(f"{kind} {code}", (to_page(ref) if to_page else None) or "")
