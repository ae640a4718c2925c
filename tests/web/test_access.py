"""Who may open which page: logins, roles, permits and orgs."""

from __future__ import annotations

import pytest
from django.test import Client

from crmdp.listeners.services import ListenerSettings, listener_create
from crmdp.orgs.models import Role
from crmdp.orgs.services import org_create, user_add
from tests.conftest import SENDER, Poster
from tests.web.conftest import OWNER_PASSWORD

SETTINGS_PAGES = [
    "/settings/",
    "/settings/users/",
    "/settings/catalogs/stages/",
    "/settings/fields/",
    "/settings/sms/",
    "/settings/region/",
    "/settings/other/",
    "/settings/webhook/",
    "/settings/webhook/listeners/add/",
]


RECORD_PAGES = ["/contacts/", "/leads/", "/deals/", "/deals/1/", "/tickets/", "/tickets/TID-1/"]


@pytest.mark.parametrize("path", ["/", *RECORD_PAGES, "/messages/", "/notes/1/", *SETTINGS_PAGES])
def test_pages_send_a_visitor_who_is_not_logged_in_to_the_login_page(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_logging_in_with_email_and_password_opens_the_contacts(org):
    client = Client()
    page = client.get("/login/")
    assert b'href="/static/web/app.css"' in page.content  # the login page is styled too
    response = client.post(
        "/login/", {"username": SENDER.upper(), "password": OWNER_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/contacts/"
    assert b"Contacts and accounts" in response.content


def test_a_wrong_password_is_refused_on_the_login_page(org):
    response = Client().post("/login/", {"username": SENDER, "password": "not it"})
    assert response.status_code == 200
    assert b"Please enter a correct email and password" in response.content


def test_logging_out_ends_the_session(owner):
    assert owner.get("/contacts/").status_code == 200
    response = owner.post("/logout/")
    assert response.status_code == 302
    assert owner.get("/contacts/").status_code == 302


@pytest.mark.parametrize("path", SETTINGS_PAGES)
def test_a_member_cannot_open_settings(login_as, path):
    member = login_as("member@example.com")
    response = member.get(path)
    assert response.status_code == 403
    assert b"Only owners and admins can do this" in response.content


def test_a_member_cannot_change_settings_by_posting(login_as, listener):
    member = login_as("member@example.com")
    response = member.post(f"/settings/webhook/listeners/{listener.id}/regenerate/")
    assert response.status_code == 403
    token = listener.token
    listener.refresh_from_db()
    assert listener.token == token


def test_a_member_has_no_settings_link(login_as):
    page = login_as("member@example.com").get("/contacts/")
    assert b'href="/settings/"' not in page.content


def test_the_sidebar_leads_to_deals_and_tickets_and_managers_to_messages(owner, login_as):
    member_nav = login_as("member@example.com").get("/deals/").content.decode()
    assert 'href="/deals/" aria-current="page"' in member_nav
    assert 'href="/tickets/"' in member_nav
    assert 'href="/messages/"' not in member_nav
    assert 'href="/messages/"' in owner.get("/tickets/").content.decode()


def test_an_admin_manages_settings(login_as):
    admin = login_as("admin@example.com", Role.ADMIN)
    assert admin.get("/settings/webhook/").status_code == 200


def test_a_member_does_not_see_another_users_only_me_contact(post, login_as):
    hidden = post.action(
        "add-contact",
        {"name": "Secret", "emails": [{"value": "secret@example.com"}], "permit": {"status": 2}},
    )
    shared = post.action("add-contact", {"name": "Shared", "permit": {"status": 1}})
    member = login_as("member@example.com")

    listing = member.get("/contacts/")
    assert b"Shared" in listing.content
    assert b"Secret" not in listing.content
    assert b"Secret" not in member.get("/contacts/", {"q": "secret@example.com"}).content

    code = hidden["record"]["customerId"]
    response = member.get(f"/contacts/{code}/")
    assert response.status_code == 404
    assert b"Secret" not in response.content
    assert member.get(f"/contacts/{shared['record']['customerId']}/").status_code == 200


def test_a_member_sees_a_contact_shared_with_their_group(post, login_as):
    login = login_as("member@example.com", groups=("Sales",))
    shared = post.action(
        "add-contact", {"name": "Grouped", "permit": {"status": 3, "group": "Sales"}}
    )
    assert login.get(f"/contacts/{shared['record']['customerId']}/").status_code == 200
    assert b"Grouped" in login.get("/contacts/").content


def test_another_orgs_records_and_listeners_are_not_found(owner, db):
    other, _ = org_create(name="Other Org", owner_email="boss@other.example")
    other_listener = listener_create(org=other, settings=ListenerSettings(name="Theirs"))
    poster = Poster(Client(), other_listener)
    contact = poster.action("add-contact", {"name": "Elsewhere"}, sender="boss@other.example")
    lead = poster.action("add-lead", {"name": "Their lead"}, sender="boss@other.example")

    assert owner.get(f"/contacts/{contact['record']['customerId']}/").status_code == 404
    assert owner.get(f"/leads/{lead['record']['customerId']}/").status_code == 404
    assert b"Elsewhere" not in owner.get("/contacts/").content
    listener_page = f"/settings/webhook/listeners/{other_listener.id}/"
    assert owner.get(listener_page).status_code == 404
    assert owner.get(listener_page + "console/").status_code == 404
    delivery = other_listener.deliveries.first()
    assert owner.get(f"{listener_page}deliveries/{delivery.id}/").status_code == 404
    assert owner.post(f"{listener_page}deliveries/{delivery.id}/replay/").status_code == 404
    assert other_listener.deliveries.count() == 2


def test_a_lead_is_not_found_among_contacts(post, owner):
    lead = post.action("add-lead", {"name": "Only a lead"})
    code = lead["record"]["customerId"]
    assert owner.get(f"/contacts/{code}/").status_code == 404
    assert owner.get(f"/leads/{code}/").status_code == 200


def test_a_user_of_two_orgs_switches_between_them(org, post, owner):
    post.action("add-contact", {"name": "In the first org"})
    other, _ = org_create(name="Second Org", owner_email="boss@second.example")
    user_add(org=other, email=SENDER, role=Role.MEMBER)
    theirs = listener_create(org=other, settings=ListenerSettings(name="Second"))
    Poster(Client(), theirs).action(
        "add-contact", {"name": "In the second org"}, sender="boss@second.example"
    )

    first = owner.get("/contacts/")
    assert b"In the first org" in first.content
    assert b"Second Org" in first.content  # offered in the switcher

    switched = owner.post("/org/", {"org": other.id, "section": "contacts"}, follow=True)
    assert switched.redirect_chain[-1][0] == "/contacts/"
    assert b"In the second org" in switched.content
    assert b"In the first org" not in switched.content
    # A member there: the second org's settings are closed to them.
    assert owner.get("/settings/").status_code == 403


def test_switching_to_an_org_one_is_not_in_changes_nothing(org, post, owner):
    post.action("add-contact", {"name": "Mine"})
    stranger, _ = org_create(name="Stranger Org", owner_email="boss@stranger.example")
    response = owner.post("/org/", {"org": stranger.id}, follow=True)
    assert b"You are not a member of that org." in response.content
    assert b"Mine" in owner.get("/contacts/").content


def test_a_user_with_no_org_is_told_so(db):
    from crmdp.orgs.models import User

    user = User.objects.create_user("lonely@example.com", "pw-lonely-123")
    client = Client()
    client.force_login(user)
    response = client.get("/contacts/")
    assert response.status_code == 403
    assert b"not an active member of any organisation" in response.content
