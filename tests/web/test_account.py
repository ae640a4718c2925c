"""Issue 17, point 12: a person changes their own password, gets a new one by email
when they forgot it (through the configured SMTP server), and admins rename groups."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from crmdp.orgs.models import Role, User, UserGroup
from crmdp.orgs.services import group_add, org_create, user_add
from crmdp.web.pages import account
from tests.conftest import SENDER
from tests.messaging.servers import smtp_server
from tests.web.conftest import OWNER_PASSWORD

NEW_PASSWORD = "a-much-longer-secret-17"


@pytest.fixture(autouse=True)
def fresh_reset_limits(monkeypatch):
    """Each test starts with nobody having asked for a link yet."""
    monkeypatch.setattr(account, "_per_email", account.SlidingLimit(3, window=3600))
    monkeypatch.setattr(account, "_per_client", account.SlidingLimit(20, window=3600))


def logs_in(email: str, password: str) -> bool:
    return Client().login(username=email, password=password)


def test_a_user_changes_their_own_password_with_the_current_one(owner, org):
    page = owner.get("/account/password/")
    assert page.status_code == 200
    assert b"Change password" in page.content
    wrong = owner.post(
        "/account/password/",
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert b"Your old password was entered incorrectly" in wrong.content
    done = owner.post(
        "/account/password/",
        {
            "old_password": OWNER_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert b"Password changed." in done.content
    assert owner.get("/contacts/").status_code == 200  # still logged in here
    assert logs_in(SENDER, NEW_PASSWORD)
    assert not logs_in(SENDER, OWNER_PASSWORD)


def test_the_sidebar_and_the_login_page_lead_to_the_password_pages(owner):
    assert b'href="/account/password/"' in owner.get("/contacts/").content
    assert b'href="/password-reset/"' in Client().get("/login/").content


def _ask(email: str) -> bytes:
    return Client().post("/password-reset/", {"email": email}, follow=True).content


def _link(message) -> str:
    return re.search(r"http://testserver(/password-reset/\S+/)", message.body).group(1)


def test_forgot_password_answers_the_same_whether_or_not_the_login_exists(org):
    known = _ask(SENDER)
    unknown = _ask("nobody@example.com")
    assert known == unknown
    assert b"If a login uses that address" in known
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [SENDER]


def test_the_emailed_link_sets_a_new_password_once(org):
    _ask(SENDER.upper())
    link = _link(mail.outbox[0])
    client = Client()
    form = client.get(link, follow=True)
    assert b"Set a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert b"Password set. Log in with the new one." in done.content
    assert logs_in(SENDER, NEW_PASSWORD)
    # Used: the same link no longer works.
    again = Client().get(link, follow=True)
    assert b"This link no longer works" in again.content


def test_the_link_expires(org, settings, monkeypatch):
    _ask(SENDER)
    link = _link(mail.outbox[0])
    settings.PASSWORD_RESET_TIMEOUT = -1  # as if the hour had passed
    assert b"This link no longer works" in Client().get(link, follow=True).content


def test_forgot_password_is_throttled_per_address_without_saying_so(org):
    for _ in range(5):
        assert b"If a login uses that address" in _ask(SENDER)
    assert len(mail.outbox) == account.RESET_EMAILS_PER_HOUR


def test_the_link_goes_out_through_the_configured_smtp_server(org, settings):
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        _ask(SENDER)
    (received,) = inbox.messages
    assert received["To"] == SENDER
    assert "/password-reset/" in received.get_payload(decode=True).decode()


def test_an_smtp_failure_is_not_shown_to_the_asker(org, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    settings.EMAIL_TIMEOUT = 2
    assert b"If a login uses that address" in _ask(SENDER)


def test_an_admin_renames_a_group_of_their_org(org, owner):
    group = group_add(org=org, name="Sales")
    group_add(org=org, name="Support")
    done = owner.post(f"/settings/groups/{group.id}/", {"name": "  Sales  North "}, follow=True)
    assert "Group renamed to “Sales North”." in done.content.decode()
    group.refresh_from_db()
    assert (group.name, group.key) == ("Sales North", "sales north")
    taken = owner.post(f"/settings/groups/{group.id}/", {"name": "support"}, follow=True)
    assert "already exists" in taken.content.decode()
    assert owner.get(f"/settings/groups/{group.id}/").status_code == 302  # a GET goes back


def test_nobody_renames_another_orgs_group(org, owner, login_as):
    other, _ = org_create(name="Other Org", owner_email="boss@other.example")
    theirs = group_add(org=other, name="Theirs")
    owner.post(f"/settings/groups/{theirs.id}/", {"name": "Mine now"})
    assert UserGroup.objects.get(id=theirs.id).name == "Theirs"
    member = login_as("member@example.com")
    mine = group_add(org=org, name="Ours")
    assert member.post(f"/settings/groups/{mine.id}/", {"name": "X"}).status_code == 403
    assert UserGroup.objects.get(id=mine.id).name == "Ours"


def test_changing_ones_password_never_touches_another_login(org, owner):
    other = user_add(org=org, email="colleague@example.com", role=Role.MEMBER, password="pw-17-a")
    owner.post(
        "/account/password/",
        {
            "old_password": OWNER_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "user": other.user.id,
            "email": "colleague@example.com",
        },
    )
    assert User.objects.get(email="colleague@example.com").check_password("pw-17-a")
