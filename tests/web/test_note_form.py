"""Notes written on a record's page: contacts, accounts, leads, deals and tickets;
newest first, a history line with the writer's name, and only on records they see."""

from __future__ import annotations

import pytest
from django.test import Client

from crmdp.history.models import HistoryEntry
from crmdp.notes.models import Note
from tests.conftest import SENDER
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import new_deal, other_org
from tests.web.conftest import section


@pytest.fixture
def records(org, post):
    """One of each record a note may be on: page URL by kind."""
    set_up_guide_org(org)
    contact, account, lead, deal, ticket = post.actions(
        ("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]}),
        ("add-contact", {"name": "Acme", "type": 1}),
        ("add-lead", {"name": "Minh"}),
        ("add-deal", new_deal("Order 7")),
        ("add-ticket", {"title": "Broken", "body": "It broke"}),
    )
    return {
        "contact": f"/contacts/{contact['record']['customerId']}/",
        "account": f"/contacts/{account['record']['customerId']}/",
        "lead": f"/leads/{lead['record']['customerId']}/",
        "deal": f"/deals/{deal['record']['id']}/",
        "ticket": f"/tickets/{ticket['record']['code']}/",
    }


@pytest.mark.parametrize("kind", ["contact", "account", "lead", "deal", "ticket"])
def test_a_note_is_added_on_every_record_page_newest_first_with_a_history_line(
    records, owner, kind
):
    url = records[kind]
    page = owner.get(url).content.decode()
    assert '<label for="id_note-body">Note</label>' in page
    assert ">Add note</button>" in page
    owner.post(f"{url}notes/", {"note-body": "Called, will call back", "note-visible_to": "1"})
    response = owner.post(
        f"{url}notes/", {"note-body": "Sent the offer", "note-visible_to": "1"}, follow=True
    )
    note = Note.objects.get(body="Sent the offer")
    assert response.redirect_chain[-1][0] == f"{url}#note-{note.id}"
    notes = section(response.content, "Notes")
    assert notes.index("Sent the offer") < notes.index("Called, will call back")
    assert SENDER in notes
    assert note.owner.email == SENDER
    line = HistoryEntry.objects.get(mentions_note=note)
    assert line.text == f"Note added by {SENDER}: “Sent the offer”."
    assert line.actor.email == SENDER
    assert f"Note added by {SENDER}: “Sent the offer”." in section(response.content, "History")
    # The link to a note opens its record's page, at the note.
    assert owner.get(f"/notes/{note.id}/").url == f"{url}#note-{note.id}"


def test_an_empty_note_is_refused_and_says_so(records, owner):
    url = records["contact"]
    response = owner.post(f"{url}notes/", {"note-body": "   ", "note-visible_to": "1"}, follow=True)
    assert "Note: write something first." in response.content.decode()
    assert not Note.objects.exists()
    owner.post(f"{url}notes/", {"note-body": "x" * 10_001, "note-visible_to": "1"})
    owner.post(f"{url}notes/", {"note-body": "fine", "note-visible_to": "7"})
    assert not Note.objects.exists()


def test_a_note_only_for_its_writer_is_hidden_from_other_members(records, owner, login_as):
    seller = login_as("seller@example.com")
    url = records["deal"]
    seller.post(f"{url}notes/", {"note-body": "My own reminder", "note-visible_to": "2"})
    seller.post(f"{url}notes/", {"note-body": "For the team", "note-visible_to": "1"})
    colleague = login_as("colleague@example.com")
    seen = section(colleague.get(url).content, "Notes")
    assert "For the team" in seen and "My own reminder" not in seen
    assert "My own reminder" not in colleague.get(url).content.decode()  # nor in history
    assert "My own reminder" in section(seller.get(url).content, "Notes")
    assert "My own reminder" in section(owner.get(url).content, "Notes")  # the org's owner


def test_no_note_on_a_record_the_member_may_not_see_or_of_another_org(org, post, login_as):
    set_up_guide_org(org)
    (private,) = post.actions(("add-contact", {"name": "Secret", "permit": {"status": 2}}))
    member = login_as("seller@example.com")
    code = private["record"]["customerId"]
    response = member.post(f"/contacts/{code}/notes/", {"note-body": "hi", "note-visible_to": "1"})
    assert response.status_code == 404
    other, their_post = other_org()
    # Codes count per org: their PID-3 is no record of ours (we have PID-1 only).
    *_, their_contact, their_ticket = their_post.actions(
        ("add-contact", {"name": "One"}),
        ("add-contact", {"name": "Two"}),
        ("add-contact", {"name": "Theirs"}),
        ("add-ticket", {"title": "Their ticket", "body": "b"}),
        sender="boss@other.example",
    )
    client = Client()
    client.force_login(org.memberships.get(user__email=SENDER).user)
    for url in (
        f"/contacts/{their_contact['record']['customerId']}/notes/",
        f"/tickets/{their_ticket['record']['code']}/notes/",
        "/deals/424242/notes/",
        "/leads/PID-1/notes/",  # a contact's code is no lead
    ):
        response = client.post(url, {"note-body": "hi", "note-visible_to": "1"})
        assert response.status_code == 404, url
    assert not Note.objects.exists()
    assert other.customers.count() == 3


def test_adding_a_note_needs_the_csrf_token_and_a_post(records, org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.memberships.get(user__email=SENDER).user)
    url = records["ticket"]
    assert client.post(f"{url}notes/", {"note-body": "hi"}).status_code == 403
    back = client.get(f"{url}notes/")  # a GET goes back to the record (issue 17)
    assert (back.status_code, back["Location"]) == (302, url)
    assert not Note.objects.exists()


def test_a_tickets_page_makes_the_same_queries_however_many_notes(
    records, owner, django_assert_max_num_queries
):
    url = records["ticket"]
    owner.post(f"{url}notes/", {"note-body": "one", "note-visible_to": "1"})
    with django_assert_max_num_queries(11):
        owner.get(url)
    for n in range(5):
        owner.post(f"{url}notes/", {"note-body": f"more {n}", "note-visible_to": "1"})
    with django_assert_max_num_queries(11):
        owner.get(url)
