"""The `google-ads` format: the Google Ads lead form webhook (issue 18)."""

from __future__ import annotations

import json

import pytest

from crmdp.customers.models import Customer
from crmdp.listeners.models import Delivery, Listener
from crmdp.listeners.services import delivery_replay
from crmdp.notes.models import Note
from crmdp.orgs.models import User
from tests.conftest import SENDER
from tests.listeners.formats import fixture, fixture_json, format_listener, poster

KEY = "ads-key-7f3a"  # the google_key of the fixtures


@pytest.fixture
def send(org):
    return poster(format_listener(org, "google-ads", format_secret=KEY))


def test_a_lead_becomes_a_lead_with_the_ads_ids_as_attribution(send, owner_api):
    answer = send.raw(fixture("google-ads", "lead.json"))
    assert answer.status == 200, answer
    assert [r["status"] for r in answer.json["results"]] == ["created", "created"]
    lead = Customer.objects.get()
    assert (lead.kind, lead.name, lead.lastname, lead.company_lead) == (
        "lead",
        "Mai",
        "Tran",
        "Tran Trading",
    )
    assert lead.emails[0]["value"] == "mai.tran@example.com"
    assert lead.phones[0]["e164"] == "+84905000123"
    assert lead.addresses[0]["city"] == "Da Nang"
    assert lead.addresses[0]["zip"] == "550000"
    assert lead.attribution == {
        "utm_source": "google",
        "utm_medium": "cpc",
        "google_ads_campaign_id": "20000000000",
        "google_ads_adgroup_id": "20000000000",
        "google_ads_creative_id": "30000000000",
        "google_ads_form_id": "40000000000",
        "google_ads_lead_id": fixture_json("google-ads", "lead.json")["lead_id"],
        "gclid": "EAIaIQobChMI-gclid-example",
    }
    # A question of the advertiser's own is a line of the note.
    assert Note.objects.get(customer=lead).body == "How many rooms?: 3"
    # The read API shows the attribution.
    shown = owner_api.customer(lead.code)
    assert shown["attribution"]["gclid"] == "EAIaIQobChMI-gclid-example"


def test_a_wrong_google_key_is_refused_and_nothing_created(send):
    body = fixture_json("google-ads", "lead.json") | {"google_key": "guessed"}
    answer = send(body)
    assert answer.status == 403
    assert answer.json["error"]["code"] == "invalid_google_key"
    assert answer.json["error"]["details"][0]["field"] == "google_key"
    assert not Customer.objects.exists()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.format) == (403, "google-ads")


def test_a_missing_google_key_is_refused_too(send):
    body = fixture_json("google-ads", "lead.json")
    del body["google_key"]
    assert send(body).status == 403
    assert not Customer.objects.exists()


def test_a_listener_gets_a_key_made_up_when_none_is_given(org):
    listener = format_listener(org, "google-ads")
    assert len(listener.format_secret) >= 22
    assert poster(listener).raw(fixture("google-ads", "lead.json")).status == 403


def test_a_listener_without_a_key_accepts_no_lead(org):
    listener = format_listener(org, "google-ads")
    Listener.objects.filter(id=listener.id).update(format_secret="")  # as an old row might be
    listener.refresh_from_db()
    body = fixture_json("google-ads", "lead.json") | {"google_key": ""}
    assert poster(listener)(body).status == 403
    assert not Customer.objects.exists()


def test_google_resending_a_lead_gets_the_first_answer_and_nothing_twice(send):
    body = fixture("google-ads", "lead.json")
    first = send.raw(body)
    again = send.raw(body)
    assert again.status == 200
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1


def test_the_same_lead_id_with_another_body_is_refused(send):
    send.raw(fixture("google-ads", "lead.json"))
    changed = fixture_json("google-ads", "lead.json")
    changed["user_column_data"][0]["string_value"] = "Someone Else"
    assert send(changed).status == 422
    assert Customer.objects.count() == 1


def test_a_test_lead_is_marked_as_a_test(send, owner_api):
    answer = send.raw(fixture("google-ads", "test-lead.json"))
    assert answer.status == 200
    lead = Customer.objects.get()
    assert (lead.name, lead.lastname) == ("FirstName", "LastName")
    assert lead.attribution["is_test"] == "true"
    assert owner_api.customer(lead.code)["attribution"]["is_test"] == "true"


def test_a_body_without_user_column_data_is_refused_naming_it(send):
    body = fixture_json("google-ads", "lead.json")
    body["user_column_data"] = "nope"
    answer = send(body)
    assert answer.status == 400
    assert answer.json["error"]["details"][0]["field"] == "user_column_data"


def test_a_google_ads_delivery_replays(send):
    send.raw(fixture("google-ads", "lead.json"))
    Customer.objects.all().delete()
    replay = delivery_replay(Delivery.objects.get(), by=User.objects.get(email=SENDER))
    assert replay.status == 200
    assert replay.format == "google-ads"
    assert Customer.objects.count() == 1


def test_not_json_is_refused_with_where_it_breaks(send):
    answer = send.raw(b'{"lead_id": ')
    assert answer.status == 400
    assert answer.json["error"]["code"] == "invalid_body"
    assert json.dumps(answer.json)
