"""One search box for everything a member may see (issue 17): people first.

A code (`PID-4`, `CID-2`, `LID-7`, `TID-3`, `#12` for a deal) opens its record when
the member may see it; anything else lists the contacts and accounts, leads, deals
and tickets it finds, the first few of each with a link to the whole list.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from crmdp.customers.matching import parse_code
from crmdp.customers.selectors import customer_list, visible_customer
from crmdp.deals.selectors import deal_list, visible_deal
from crmdp.orgs.models import Membership
from crmdp.tickets.selectors import ticket_list, ticket_number, visible_ticket
from crmdp.web.access import member_view
from crmdp.web.forms import SearchForm
from crmdp.web.layout import page
from crmdp.web.pages.customers import CONTACTS, CUSTOMER_KINDS, LEADS
from crmdp.web.pages.related import (
    ALL_CUSTOMER_KINDS,
    DEAL_COLUMNS,
    customer_url,
    deal_url,
    related_table,
    ticket_columns,
    ticket_url,
)

# The columns a person is recognised by in the results.
_PEOPLE = ("Name", "Code", "Company", "Email", "Phone")
MAX_QUERY = 200  # longer than any name, email or code


def _opened(membership: Membership, q: str) -> str | None:
    """The page of the one record a code names, if the member may see it."""
    if parse_code(q) is not None:
        customer = visible_customer(membership, q, ALL_CUSTOMER_KINDS)
        return customer_url(customer) if customer else None
    if ticket_number(q) is not None:
        ticket = visible_ticket(membership, q)
        return ticket_url(ticket) if ticket else None
    digits = q.removeprefix("#").strip()
    if q.startswith("#") and digits.isascii() and digits.isdigit() and len(digits) <= 18:
        deal = visible_deal(membership, int(digits))
        return deal_url(deal) if deal else None
    return None


@member_view
def search(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = SearchForm({"q": request.GET.get("q", "")[:MAX_QUERY]})
    q = form.cleaned_data["q"] if form.is_valid() else ""
    if not q:
        return page(request, membership, "web/search.html", {"q": "", "tables": []})
    opened = _opened(membership, q)
    if opened:
        return redirect(opened)
    more = urlencode({"q": q})
    now = timezone.now()
    tables = [
        related_table(
            "Contacts and accounts",
            "contacts",
            [c for c in CONTACTS.columns if c.label in _PEOPLE],
            customer_list(membership, kinds=CUSTOMER_KINDS, q=q),
            customer_url,
            empty="No contacts or accounts.",
            more_url=f"{reverse('web:contacts')}?{more}",
        ),
        related_table(
            "Leads",
            "leads",
            [c for c in LEADS.columns if c.label in _PEOPLE],
            customer_list(membership, kinds=[ALL_CUSTOMER_KINDS[2]], q=q),
            customer_url,
            empty="No leads.",
            more_url=f"{reverse('web:leads')}?{more}",
        ),
        related_table(
            "Deals",
            "deals",
            DEAL_COLUMNS,
            deal_list(membership, q=q),
            deal_url,
            empty="No deals.",
            more_url=f"{reverse('web:deals')}?{more}",
        ),
        related_table(
            "Tickets",
            "tickets",
            ticket_columns(now),
            ticket_list(membership, q=q),
            ticket_url,
            empty="No tickets.",
            more_url=f"{reverse('web:tickets')}?{more}",
        ),
    ]
    return page(request, membership, "web/search.html", {"q": q, "tables": tables})
