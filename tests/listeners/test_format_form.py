"""The `form` format: what a website's HTML form posts (issue 18)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from crmdp.customers.models import Customer
from crmdp.listeners.models import Delivery
from crmdp.listeners.services import ListenerSettings, delivery_replay, listener_create
from crmdp.notes.models import Note
from crmdp.orgs.models import User
from crmdp.orgs.services import field_add
from tests.conftest import SENDER
from tests.listeners.formats import fixture, format_listener, poster
from tests.listeners.setups import other_org

FORM = "application/x-www-form-urlencoded"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def form(org):
    return format_listener(
        org,
        "form",
        redirect_url="https://shop.example/thank-you",
        redirect_hosts=["shop.example"],
        embed_origins=["https://shop.example"],
    )


@pytest.fixture
def send(form):
    return poster(form)


def test_a_urlencoded_post_becomes_a_lead_with_its_note_custom_fields_and_attribution(org, send):
    field_add(org=org, record_type="lead", name="Budget", field_type="number")
    answer = send.raw(fixture("form", "contact.urlencoded"), FORM, HTTP_ACCEPT="application/json")
    assert answer.status == 200, answer
    lead_result, note_result = answer.json["results"]
    assert (lead_result["actionType"], lead_result["status"]) == ("add-lead", "created")
    assert (note_result["actionType"], note_result["status"]) == ("add-note", "created")
    lead = Customer.objects.get()
    assert (lead.kind, lead.name, lead.lastname, lead.company_lead) == (
        "lead",
        "An",
        "Le",
        "Le Studio",
    )
    assert lead.emails[0]["value"] == "an.le@example.com"
    assert lead.phones[0]["value"] == "0905 000 321"
    assert lead.owner == User.objects.get(email=SENDER)
    assert lead.source.name == "Web lead"
    assert lead.attribution == {
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "spring",
        "gclid": "Cj0KCQ-example",
    }
    assert list(lead.custom_fields.values()) == ["5000"]
    note = Note.objects.get(customer=lead)
    # The message, then what the org has no custom field for; never the form's settings.
    assert note.body == "Please call me about pricing.\n\nfavourite_colour: teal"
    delivery = Delivery.objects.get()
    assert (delivery.format, delivery.spam, delivery.status) == ("form", False, 200)


def test_a_multipart_post_is_read_the_same_and_an_uploaded_file_is_not_kept(send):
    body = fixture("form", "contact.multipart")
    answer = send.raw(body, "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW")
    assert answer.status == 200, answer
    lead = Customer.objects.get()
    # `name` is split at its first space; `tel` is the phone.
    assert (lead.name, lead.lastname) == ("Bao", "Nguyen")
    assert lead.phones[0]["e164"] == "+84905000555"
    assert lead.attribution == {"utm_source": "facebook", "fbclid": "IwAR-example"}
    note = Note.objects.get(customer=lead).body
    assert note == "Multipart works too.\n\ncv: (file 'cv.pdf' not kept)"


def test_the_honeypot_filled_in_is_spam_answered_as_success_with_nothing_created(send):
    body = urlencode({"name": "Bot", "email": "bot@spam.example", "_gotcha": "http://x"})
    answer = send.raw(body, FORM, HTTP_ACCEPT="application/json")
    assert answer.status == 200
    assert answer.json["results"] == []
    assert not Customer.objects.exists()
    delivery = Delivery.objects.get()
    assert (delivery.spam, delivery.format) == (True, "form")


def test_a_browser_is_sent_to_next_when_its_host_is_allowed(send):
    body = urlencode({"email": "a@example.com", "_next": "https://shop.example/merci"})
    answer = send.raw(body, FORM, HTTP_ACCEPT=BROWSER)
    assert answer.status == 303
    assert answer.headers["Location"] == "https://shop.example/merci"


def test_next_to_another_host_is_never_followed_the_listener_redirect_is(send):
    body = urlencode({"email": "a@example.com", "_next": "https://evil.example/phish"})
    answer = send.raw(body, FORM, HTTP_ACCEPT=BROWSER)
    assert answer.status == 303
    assert answer.headers["Location"] == "https://shop.example/thank-you"


def test_spam_from_a_browser_is_redirected_like_a_success(send):
    answer = send.raw(
        urlencode({"email": "a@b.example", "_gotcha": "y"}), FORM, HTTP_ACCEPT=BROWSER
    )
    assert answer.status == 303
    assert not Customer.objects.exists()


def test_without_a_redirect_a_browser_gets_a_small_thank_you_page(org):
    send = poster(format_listener(org, "form"))
    answer = send.raw(urlencode({"email": "a@example.com"}), FORM, HTTP_ACCEPT=BROWSER)
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert Customer.objects.get().name == "a@example.com"  # named by its email


def test_a_browser_is_told_in_html_when_nothing_could_be_sent(send):
    answer = send.raw(b"x" * 10, "application/pdf", HTTP_ACCEPT=BROWSER)
    assert answer.status == 415
    assert answer.headers["Content-Type"].startswith("text/html")


def test_a_submission_without_name_email_or_phone_is_that_actions_error(send):
    answer = send.raw(urlencode({"message": "hello"}), FORM)
    assert answer.status == 200
    (result,) = answer.json["results"]
    assert result["status"] == "error"
    assert result["errors"] == [
        {"field": "data[0].data", "message": "no name, email or phone was found"}
    ]


def test_a_listener_may_create_contacts_instead(org):
    send = poster(format_listener(org, "form", creates="contact"))
    answer = send.raw(
        urlencode({"name": "Chi Vo", "email": "chi@example.com", "company": "Vo Co"}), FORM
    )
    assert answer.json["results"][0]["actionType"] == "add-contact"
    contact = Customer.objects.get(kind="contact")
    assert contact.company.name == "Vo Co"


def test_the_same_person_again_is_a_duplicate_and_the_new_message_a_new_note(send):
    first = urlencode({"email": "a@example.com", "message": "one"})
    second = urlencode({"email": "A@example.com", "message": "two"})
    send.raw(first, FORM)
    answer = send.raw(second, FORM)
    assert [r["status"] for r in answer.json["results"]] == ["duplicate", "created"]
    assert Customer.objects.count() == 1
    assert sorted(Note.objects.values_list("body", flat=True)) == ["one", "two"]


def test_too_many_fields_are_refused(send, settings):
    settings.CRMDP_FORM_MAX_FIELDS = 5
    answer = send.raw(urlencode({f"f{i}": "x" for i in range(6)}), FORM)
    assert answer.status == 413
    assert answer.json["error"]["code"] == "too_many_fields"
    multipart = b"".join(
        b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(6)
    )
    answer = send.raw(multipart + b"--b--\r\n", "multipart/form-data; boundary=b")
    assert answer.status == 413
    assert not Customer.objects.exists()


def test_a_field_longer_than_the_limit_is_refused_naming_it(send, settings):
    settings.CRMDP_MAX_STRING_LENGTH = 20
    answer = send.raw(urlencode({"email": "a@example.com", "message": "x" * 21}), FORM)
    assert answer.status == 413
    assert answer.json["error"]["details"][0]["field"] == "message"


def test_the_embed_origins_may_post_from_their_own_javascript(send):
    preflight = send.client.options(
        send.listener.path,
        HTTP_ORIGIN="https://shop.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    answer = send.raw(
        urlencode({"email": "a@example.com"}), FORM, HTTP_ORIGIN="https://shop.example"
    )
    assert answer.headers["Access-Control-Allow-Origin"] == "https://shop.example"


def test_other_origins_get_no_cors(send):
    preflight = send.client.options(send.listener.path, HTTP_ORIGIN="https://evil.example")
    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight
    answer = send.raw(
        urlencode({"email": "a@example.com"}), FORM, HTTP_ORIGIN="https://evil.example"
    )
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_a_form_delivery_replays_as_a_duplicate(org, send):
    send.raw(fixture("form", "contact.urlencoded"), FORM)
    replay = delivery_replay(Delivery.objects.get(), by=User.objects.get(email=SENDER))
    assert (replay.status, replay.format) == (200, "form")
    assert [r["status"] for r in replay.response["results"]] == ["duplicate", "created"]
    assert Customer.objects.count() == 1


def test_another_orgs_custom_field_of_the_same_label_is_not_used(org, send):
    other, _ = other_org()
    field_add(org=other, record_type="lead", name="Budget", field_type="number")
    send.raw(urlencode({"email": "a@example.com", "budget": "9"}), FORM)
    lead = Customer.objects.get(org=org)
    assert lead.custom_fields == {}
    assert Note.objects.get(customer=lead).body == "budget: 9"


def test_the_rate_limit_and_body_size_still_apply(send, settings):
    settings.CRMDP_MAX_BODY_BYTES = 50
    answer = send.raw(urlencode({"email": "a@example.com", "message": "x" * 60}), FORM)
    assert answer.status == 413
    settings.CRMDP_MAX_BODY_BYTES = 10_000
    send.listener.rate_limit_per_minute = 1
    send.listener.save()
    assert send.raw(urlencode({"email": "a@example.com"}), FORM).status == 200
    assert send.raw(urlencode({"email": "b@example.com"}), FORM).status == 429


def test_a_listener_made_on_the_command_line_gives_its_leads_to_the_orgs_owner(org):
    listener = listener_create(org=org, settings=ListenerSettings(name="CLI form", format="form"))
    assert listener.created_by is None
    answer = poster(listener).raw(urlencode({"email": "a@example.com"}), FORM)
    assert answer.status == 200
    assert Customer.objects.get().owner == User.objects.get(email=SENDER)  # the org's owner


def test_a_text_plain_post_is_not_taken_for_a_form(send):
    answer = send.raw("email=a@example.com\r\n", "text/plain")
    assert answer.status == 415
    assert not Customer.objects.exists()


def test_a_multipart_delivery_keeps_its_boundary_and_replays(send):
    content_type = "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"
    send.raw(fixture("form", "contact.multipart"), content_type)
    original = Delivery.objects.get()
    assert original.content_type == content_type
    Customer.objects.all().delete()
    replay = delivery_replay(original, by=User.objects.get(email=SENDER))
    assert replay.status == 200
    assert Customer.objects.get().name == "Bao"
