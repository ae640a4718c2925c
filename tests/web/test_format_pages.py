"""Listener formats in the web UI: a record's attribution, spam in the delivery log."""

from __future__ import annotations

from urllib.parse import urlencode

from crmdp.customers.models import Customer
from tests.listeners.formats import fixture, format_listener, poster
from tests.web.conftest import section

FORM = "application/x-www-form-urlencoded"


def test_a_leads_page_shows_its_attribution(org, owner):
    send = poster(format_listener(org, "form"))
    send.raw(fixture("form", "contact.urlencoded"), FORM)
    lead = Customer.objects.get()
    page = owner.get(f"/leads/{lead.code}/")
    card = section(page.content, "Attribution")
    assert "utm_campaign" in card and "spring" in card
    assert "Cj0KCQ-example" in card


def test_a_google_ads_test_lead_is_shown_as_one(org, owner):
    send = poster(format_listener(org, "google-ads", format_secret="ads-key-7f3a"))
    send.raw(fixture("google-ads", "test-lead.json"))
    page = owner.get(f"/leads/{Customer.objects.get().code}/")
    assert "Test lead" in section(page.content, "Attribution")


def test_the_delivery_log_marks_spam_and_the_format(org, owner):
    listener = format_listener(org, "form")
    poster(listener).raw(urlencode({"email": "x@example.com", "_gotcha": "1"}), FORM)
    page = owner.get(f"/settings/webhook/listeners/{listener.id}/").content.decode()
    assert "Spam" in page
    assert "form" in page
