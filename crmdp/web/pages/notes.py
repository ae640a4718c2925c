"""Where a link to a note leads: a note has no page of its own, it is shown on the
page of the customer or deal it is on."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from crmdp.notes.selectors import visible_note
from crmdp.orgs.models import Membership
from crmdp.web.access import member_view
from crmdp.web.layout import page
from crmdp.web.pages.related import customer_url, deal_url


@member_view
def note_page(request: HttpRequest, membership: Membership, note_id: int) -> HttpResponse:
    note = visible_note(membership, note_id)
    if note is not None and note.customer is not None:
        return redirect(f"{customer_url(note.customer)}#note-{note.id}")
    if note is not None and note.deal is not None:
        return redirect(f"{deal_url(note.deal)}#note-{note.id}")
    return page(request, membership, "web/not_found.html", {"what": "note"}, status=404)
