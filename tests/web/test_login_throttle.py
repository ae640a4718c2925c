"""Failed logins are throttled per account and per client address, in the database
(every web process sees the same count), and the login page says so."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from crmdp.orgs.logins import login_failed
from crmdp.orgs.models import LoginThrottle
from crmdp.orgs.services import user_add
from tests.conftest import SENDER
from tests.web.conftest import OWNER_PASSWORD

LOCKED = "Too many failed logins"


def log_in(email: str, password: str, address: str = "192.0.2.1") -> tuple[bool, str]:
    client = Client(REMOTE_ADDR=address)
    answer = client.post("/login/", {"username": email, "password": password})
    return answer.status_code == 302, answer.content.decode()


def test_the_login_page_says_that_failures_lock_an_account(db):
    page = Client().get("/login/").content.decode()
    assert "After 5 failed attempts an account is locked for 15 minutes" in page


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(org):
    for _ in range(5):
        assert log_in(SENDER, "wrong-guess")[0] is False
    entered, page = log_in(SENDER, OWNER_PASSWORD)
    assert not entered
    assert LOCKED in page
    assert "Try again in 15 minutes" in page
    # The lock is the account's: another address does no better...
    elsewhere = log_in(SENDER, OWNER_PASSWORD, address="198.51.100.7")
    assert not elsewhere[0]
    assert LOCKED in elsewhere[1]
    # ...and the address is not locked for other accounts.
    user_add(org=org, email="colleague@example.com", password="colleague-pass-1")
    assert log_in("colleague@example.com", "colleague-pass-1")[0]
    # The operator lifts the lock.
    call_command("user", "unlock", "--email", SENDER.upper(), stdout=io.StringIO())
    assert log_in(SENDER, OWNER_PASSWORD)[0]


def test_an_email_without_a_login_is_locked_the_same_way(db):
    answers = [log_in("nobody@example.com", "guess") for _ in range(6)]
    assert LOCKED in answers[-1][1]
    assert LOCKED not in answers[4][1]


def test_a_right_password_clears_the_accounts_count(org):
    for _ in range(4):
        log_in(SENDER, "wrong-guess")
    assert log_in(SENDER, OWNER_PASSWORD)[0]
    for _ in range(4):
        log_in(SENDER, "wrong-guess")
    assert log_in(SENDER, OWNER_PASSWORD)[0]


def test_an_address_spraying_many_accounts_is_locked_after_twenty_failures(org):
    for n in range(20):
        assert not log_in(f"person{n}@example.com", "Summer2026!", address="203.0.113.9")[0]
    entered, page = log_in(SENDER, OWNER_PASSWORD, address="203.0.113.9")
    assert not entered
    assert LOCKED in page
    # The accounts themselves were tried once each: from elsewhere the owner logs in.
    assert log_in(SENDER, OWNER_PASSWORD, address="192.0.2.50")[0]
    call_command("user", "unlock", "--client", "203.0.113.9", stdout=io.StringIO())
    assert log_in(SENDER, OWNER_PASSWORD, address="203.0.113.9")[0]


def test_failures_older_than_the_window_are_forgotten_and_pruned(db):
    long_ago = timezone.now() - timedelta(hours=1)
    for n in range(4):
        login_failed(email="old@example.com", client=f"192.0.2.{n}", now=long_ago)
    assert LoginThrottle.objects.count() == 5
    # A new failure starts a new window for the account and prunes the stale rows.
    login_failed(email="old@example.com", client="192.0.2.200")
    account = LoginThrottle.objects.get(scope="account", key="old@example.com")
    assert account.failures == 1
    assert account.locked_until is None
    assert set(LoginThrottle.objects.values_list("key", flat=True)) == {
        "old@example.com",
        "192.0.2.200",
    }


def test_set_password_lifts_the_accounts_lock(org):
    for _ in range(5):
        log_in(SENDER, "wrong-guess")
    call_command(
        "user", "set-password", "--email", SENDER, "--password", "brand-new-pass-9",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert log_in(SENDER, "brand-new-pass-9")[0]
