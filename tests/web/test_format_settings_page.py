"""The listener settings page offers the format options of issue 18, with the
service's rules (the same as `crmdp listener create`'s)."""

from __future__ import annotations

from crmdp.customers.models import Customer
from crmdp.listeners.models import Delivery, Listener
from tests.listeners.formats import format_listener
from tests.web.test_listener_pages import ADD, error_beside, valid_form


def test_a_form_listener_is_set_up_on_the_page(owner):
    response = owner.post(
        ADD,
        valid_form(
            format="form",
            creates="contact",
            redirect_url="https://shop.example/thanks",
            redirect_hosts="shop.example\nwww.shop.example",
            embed_origins="https://shop.example",
            form_fields="name,email,budget",
        ),
    )
    assert response.status_code == 302, error_beside(response.content, "embed_origins")
    listener = Listener.objects.get()
    assert (listener.format, listener.creates) == ("form", "contact")
    assert listener.redirect_hosts == ["shop.example", "www.shop.example"]
    assert listener.embed_origins == ["https://shop.example"]
    assert listener.form_fields == ["name", "email", "budget"]


def test_a_mapped_listener_takes_its_map_one_entry_a_line(owner):
    response = owner.post(
        ADD, valid_form(format="mapped", field_map="email=contact.emails.0\nnote=text")
    )
    assert response.status_code == 302
    assert Listener.objects.get().field_map == {"email": "contact.emails.0", "note": "text"}


def test_bad_format_settings_are_shown_beside_their_fields(owner):
    response = owner.post(
        ADD,
        valid_form(
            format="form",
            embed_origins="https://shop.example/page",
            redirect_url="javascript:alert(1)",
        ),
    )
    assert response.status_code == 400
    assert "not an origin" in error_beside(response.content, "embed_origins")
    assert "http(s) URL" in error_beside(response.content, "redirect_url")
    response = owner.post(ADD, valid_form(format="mapped", field_map="nickname=a"))
    assert "unknown target" in error_beside(response.content, "field_map")
    assert not Listener.objects.exists()


def test_a_google_ads_listener_gets_its_key_on_the_page(owner):
    owner.post(ADD, valid_form(format="google-ads"))
    listener = Listener.objects.get()
    assert len(listener.format_secret) >= 22
    # Saved again with the secret left empty: the key stays.
    page = f"/settings/webhook/listeners/{listener.id}/edit/"
    owner.post(page, valid_form(format="google-ads", format_secret=""))
    listener.refresh_from_db()
    assert len(listener.format_secret) >= 22


def test_the_console_previews_the_actions_a_pasted_sample_makes(owner, org):
    listener = format_listener(
        org, "mapped", field_map={"email": "contact.emails.0", "note": "text"}
    )
    console = f"/settings/webhook/listeners/{listener.id}/console/"
    response = owner.post(
        console,
        {
            "preview_type": "application/json",
            "preview_body": '{"contact": {"emails": ["a@example.com"]}, "text": "Hi"}',
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "add-lead" in page and "a@example.com" in page and "add-note" in page
    response = owner.post(console, {"preview_type": "application/json", "preview_body": "{}"})
    assert "email (at contact.emails.0) found nothing" in response.content.decode()
    assert not Customer.objects.exists() and not Delivery.objects.exists()
