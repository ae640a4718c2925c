"""A delivery's page links every record a request touched (deals, tickets, notes,
messages, customers); a note opens on the page of what it is on."""

from __future__ import annotations

import re

import pytest

from crmdp.listeners.models import Delivery
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import new_deal


@pytest.fixture
def guide_org(org):
    set_up_guide_org(org)
    return org


def _delivery_page(owner, listener) -> str:
    delivery = Delivery.objects.filter(listener=listener).latest("id")
    url = f"/settings/webhook/listeners/{listener.id}/deliveries/{delivery.id}/"
    return owner.get(url).content.decode()


def test_a_delivery_links_the_deals_tickets_notes_and_messages_it_touched(
    guide_org, owner, listener, post
):
    deal, ticket, customer_note, deal_note, sms = post.actions(
        ("add-deal", new_deal("Linked deal")),
        ("add-ticket", {"body": "Linked ticket", "email": "lan@example.com"}),
        ("add-note", {"email": "lan@example.com", "body": "On Lan"}),
        ("add-note", {"model": "deal", "name": "Linked deal", "body": "On the deal"}),
        ("send-sms", {"content": "Hi", "phones": ["0905000001"]}),
    )
    page = _delivery_page(owner, listener)
    deal_id, code = deal["record"]["id"], ticket["record"]["code"]
    assert f'<a href="/deals/{deal_id}/">deal {deal_id}</a>' in page
    assert f'<a href="/tickets/{code}/">ticket {code}</a>' in page
    customer_note_id, deal_note_id = customer_note["record"]["id"], deal_note["record"]["id"]
    assert f'href="/notes/{customer_note_id}/"' in page
    assert f'href="/notes/{deal_note_id}/"' in page
    assert f'href="/messages/{sms["messageIds"][0]}/"' in page

    # A note opens on its customer's or deal's page, at the note.
    lan = deal["related"][0]["customerId"]
    on_customer = owner.get(f"/notes/{customer_note_id}/")
    assert on_customer["Location"] == f"/contacts/{lan}/#note-{customer_note_id}"
    assert f'id="note-{customer_note_id}"' in owner.get(f"/contacts/{lan}/").content.decode()
    on_deal = owner.get(f"/notes/{deal_note_id}/")
    assert on_deal["Location"] == f"/deals/{deal_id}/#note-{deal_note_id}"


def test_a_note_the_member_may_not_see_is_not_found(login_as, post):
    post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})
    private, public = post.actions(
        ("add-note", {"email": "lan@example.com", "body": "Private", "permit": {"status": 2}}),
        ("add-note", {"email": "lan@example.com", "body": "Public"}),
    )
    member = login_as("member@example.com")
    assert member.get(f"/notes/{private['record']['id']}/").status_code == 404
    assert member.get(f"/notes/{public['record']['id']}/").status_code == 302
    assert member.get("/notes/999999/").status_code == 404


def test_history_lines_on_a_deal_link_to_the_delivery_that_wrote_them(
    guide_org, owner, listener, post
):
    deal = post.action("add-deal", new_deal("Traced"))
    page = owner.get(f"/deals/{deal['record']['id']}/").content.decode()
    # Every line the request wrote (created, its customer) links to that one request.
    request = set(re.findall(r'href="(/settings/webhook/listeners/\d+/requests/[^"]+)"', page))
    assert len(request) == 1
    assert owner.get(request.pop(), follow=True).status_code == 200
