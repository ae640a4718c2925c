"""Issue 17, points 10 and 11: the delivery log says what each delivery came to, in
words and colour; Replay asks first and says what runs again; and a message is
"sent" only when a real transport took it."""

from __future__ import annotations

import re

import pytest

from crmdp.listeners.models import Delivery
from crmdp.listeners.selectors import delivery_outcome
from crmdp.messaging.models import Message
from crmdp.messaging.services import sms_set
from crmdp.messaging.worker import Worker
from tests.listeners.setups import other_org, welcoming_poster
from tests.messaging.servers import smtp_server
from tests.web.conftest import names_listed


def log_page(listener) -> str:
    return f"/settings/webhook/listeners/{listener.id}/"


@pytest.fixture
def four_deliveries(listener, post):
    """ok, partial, failed (every action an error) and refused (an unknown sender)."""
    post.action("add-contact", {"name": "Fine"})
    post.actions(("add-contact", {"name": "Also fine"}), ("add-contact", {"nope": 1}))
    post.actions(("update-contact", {"customerId": "PID-999", "name": "X"}))
    post({"senderUser": "nobody@example.com", "data": []})
    return list(Delivery.objects.filter(listener=listener).order_by("id"))


def test_each_delivery_has_an_outcome_in_words_not_only_a_status(owner, listener, four_deliveries):
    assert [delivery_outcome(d) for d in four_deliveries] == [
        "ok",
        "partial",
        "failed",
        "refused",
    ]
    page = owner.get(log_page(listener)).content.decode()
    badges = re.findall(r'class="badge badge-(\w+)">(\w+)<', page)
    assert badges[1:] == [
        ("refused", "Refused"),
        ("failed", "Failed"),
        ("partial", "Partial"),
        ("ok", "OK"),
    ]
    partial = four_deliveries[1]
    detail = owner.get(f"{log_page(listener)}deliveries/{partial.id}/").content.decode()
    assert 'badge-partial">Partial<' in detail
    assert "Some actions did what they were asked" in detail
    assert "HTTP 200" in detail  # the status is still there, beside the words


def test_the_failed_filter_shows_every_delivery_that_did_not_all_work(
    owner, listener, four_deliveries, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        page = owner.get(log_page(listener), {"show": "failed"}).content.decode()
    shown = re.findall(r'aria-label="Open delivery (\d+)"', page)
    assert shown == [str(d.id) for d in reversed(four_deliveries[1:])]
    assert 'aria-current="page">Failed<' in page


def test_the_failed_filter_says_so_when_there_are_none(owner, listener, post):
    post.action("add-contact", {"name": "Fine"})
    page = owner.get(log_page(listener), {"show": "failed"}).content.decode()
    assert "No failed deliveries" in page


def test_replay_asks_first_and_says_what_runs_again(owner, listener, post):
    post.actions(
        ("add-contact", {"name": "Lan"}),
        ("add-ticket", {"title": "Help", "body": "x"}),
    )
    original = Delivery.objects.get(listener=listener)
    url = f"{log_page(listener)}deliveries/{original.id}/replay/"
    detail = owner.get(f"{log_page(listener)}deliveries/{original.id}/").content.decode()
    assert f'href="{url}">Replay' in detail  # a link to the question, not a button that does it
    asked = owner.get(url)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Replay delivery #" in page
    assert "add-contact" in page and "comes back as duplicate" in page
    assert "add-ticket" in page and "opens a new ticket: a second one" in page
    assert 'class="result result-created">created<' in page  # what the first run did
    assert Delivery.objects.count() == 1  # asking changed nothing
    done = owner.post(url)
    assert done.status_code == 302
    assert Delivery.objects.count() == 2


def test_replay_of_a_body_that_is_not_json_says_it_will_be_refused_again(owner, listener, post):
    post.raw(b"{not json")
    delivery = Delivery.objects.get(listener=listener)
    page = owner.get(f"{log_page(listener)}deliveries/{delivery.id}/replay/").content.decode()
    assert "it will be refused again" in page


def test_another_orgs_delivery_cannot_be_asked_about_or_replayed(owner, db):
    _, theirs = other_org()
    theirs.action("add-contact", {"name": "Theirs"}, sender="boss@other.example")
    delivery = Delivery.objects.get()
    url = f"/settings/webhook/listeners/{delivery.listener_id}/deliveries/{delivery.id}/replay/"
    assert owner.get(url).status_code == 404
    assert owner.post(url).status_code == 404
    assert Delivery.objects.count() == 1


def test_email_kept_in_a_file_is_not_called_sent_and_the_outbox_says_so(org, owner, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    sms_set(org, provider="log", url=None, trial=None)
    post = welcoming_poster(org)
    post.action(
        "add-contact",
        {
            "name": "Lan",
            "emails": [{"value": "lan@example.com"}],
            "phones": [{"value": "0905000001"}],
        },
    )
    Worker(name="test-worker").run_until_idle()
    assert set(Message.objects.values_list("provider", flat=True)) == {"file", "log"}
    page = owner.get("/messages/").content.decode()
    assert page.count('badge-kept">kept, not sent<') == 2
    assert 'badge-sent">sent<' not in page
    assert "Email is not being sent: no SMTP server is set up" in page
    assert "SMS are not being sent: the SMS provider is “Log”" in page
    assert "crmdp " not in page  # the UI's words, not the CLI's
    email = Message.objects.get(channel="email")
    detail = owner.get(f"/messages/{email.id}/").content.decode()
    assert "kept as files in the server&#x27;s data directory" in detail
    assert 'badge-sent">sent<' not in detail
    contact = owner.get(f"/contacts/{email.customer.code}/").content.decode()
    assert 'badge-kept">kept, not sent<' in contact


def test_email_through_smtp_is_sent_and_the_trial_sms_left_are_shown(org, owner, settings):
    post = welcoming_poster(org)
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        post.action("add-contact", {"name": "Hoa", "emails": [{"value": "hoa@example.com"}]})
        Worker(name="test-worker").run_until_idle()
        page = owner.get("/messages/").content.decode()
    assert Message.objects.get().provider == "smtp"
    assert 'badge-sent">sent<' in page
    assert "Email is not being sent" not in page
    org.refresh_from_db()
    assert f"Trial SMS left: {org.sms_trial_remaining}." in page
    assert names_listed(owner.get("/messages/").content) == ["hoa@example.com"]


def test_an_sms_refused_for_want_of_a_provider_points_to_the_settings_page(org, listener, post):
    sms_set(org, provider="", url=None, trial=0)
    answer = post.action("send-sms", {"content": "Hi", "phones": ["0905000001"]})
    (error,) = answer["errors"] if "errors" in answer else answer["results"][0]["errors"]
    assert "Settings → SMS" in error["message"]
    assert "crmdp sms" not in error["message"]
