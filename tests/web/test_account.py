"""Issue 17, point 12: a person changes their own password, gets a new one by email
when they forgot it (through the configured SMTP server), and admins rename groups."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.test import Client
from django.utils import timezone

from crmdp.orgs.logins import login_failed, login_unlock, reset_allowed
from crmdp.orgs.models import LoginThrottle, Role, User, UserGroup
from crmdp.orgs.services import group_add, org_create, user_add
from tests.conftest import SENDER
from tests.messaging.servers import smtp_server
from tests.web.conftest import OWNER_PASSWORD

NEW_PASSWORD = "a-much-longer-secret-17"


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


def test_forgot_password_is_throttled_per_address_without_saying_so(org, settings):
    assert settings.CRMDP_RESET_EMAILS_PER_HOUR == 3  # the documented default
    for _ in range(5):
        assert b"If a login uses that address" in _ask(SENDER)
    assert len(mail.outbox) == 3


def test_the_reset_limits_are_the_operators_settings(org, settings):
    settings.CRMDP_RESET_EMAILS_PER_HOUR = 1
    _ask(SENDER), _ask(SENDER)
    assert len(mail.outbox) == 1
    settings.CRMDP_RESET_EMAILS_PER_HOUR = 5
    settings.CRMDP_RESET_REQUESTS_PER_HOUR = 3  # from this one client, whatever the address
    _ask(SENDER), _ask(SENDER)
    assert len(mail.outbox) == 2  # the client's third request, not its fourth
    settings.CRMDP_RESET_REQUESTS_PER_HOUR = 0  # none at all: the page still answers the same
    assert b"If a login uses that address" in _ask(SENDER)
    assert len(mail.outbox) == 2


def test_the_reset_count_is_shared_by_every_web_process(org):
    """Counted in the database: requests another web process took (here, straight
    through the service, from other client addresses) use up the same address's
    hour, so N processes do not send N times the links."""
    for client in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        assert reset_allowed(email=SENDER.upper(), client=client)  # the same address
    assert b"If a login uses that address" in _ask(SENDER)
    assert mail.outbox == []


def test_the_reset_count_starts_again_after_an_hour_and_old_counts_are_pruned(org):
    an_hour_ago = timezone.now() - timedelta(minutes=61)
    for _ in range(3):
        reset_allowed(email=SENDER, client="203.0.113.9", now=an_hour_ago)
    reset_allowed(email="someone-else@example.com", client="203.0.113.8", now=an_hour_ago)
    _ask(SENDER)
    assert len(mail.outbox) == 1
    # Only the counts of this hour are left: the address's (started again) and the
    # test client's; the other address's and client's are gone.
    assert set(LoginThrottle.objects.values_list("scope", "key", "failures")) == {
        ("reset_mail", SENDER, 1),
        ("reset_ip", "127.0.0.1", 1),
    }


def test_failed_logins_do_not_wipe_the_reset_count_and_unlock_lifts_it(org, settings):
    settings.CRMDP_LOGIN_WINDOW_SECONDS = 60  # shorter than the reset hour
    for _ in range(3):
        _ask(SENDER)
    # A failed login two minutes later prunes the login counts older than its window,
    # and must leave the hour's reset counts alone.
    login_failed(
        email="x@example.com", client="203.0.113.5", now=timezone.now() + timedelta(minutes=2)
    )
    _ask(SENDER)
    assert len(mail.outbox) == 3
    # The operator lifts the address's count (`crmdp user unlock --email`).
    assert login_unlock(email=SENDER) == 1
    _ask(SENDER)
    assert len(mail.outbox) == 4


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
