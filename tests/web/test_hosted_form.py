"""The hosted form of a `form` listener (issue 18): GET /f/<token>, its framing
rules, and the snippets its settings page offers."""

from __future__ import annotations

from urllib.parse import urlencode

from django.test import Client

from crmdp.customers.models import Customer
from crmdp.listeners.services import listener_set_enabled
from crmdp.orgs.models import User
from tests.listeners.formats import format_listener, poster
from tests.listeners.setups import other_org

SHOP = "https://shop.example"


def test_the_hosted_form_has_the_configured_fields_and_the_honeypot(org):
    listener = format_listener(
        org, "form", embed_origins=[SHOP], form_fields=["name", "email", "budget"]
    )
    response = Client().get(f"/f/{listener.token}")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'action="/listener/{listener.token}"' in page
    assert 'name="name"' in page and 'type="email"' in page and 'name="budget"' in page
    assert '<label for="f-budget">Budget</label>' in page
    assert 'name="_gotcha"' in page and 'tabindex="-1"' in page
    assert 'name="viewport"' in page
    # Framed only by the embed origins (and the settings page's preview); no X-Frame-Options.
    assert f"frame-ancestors 'self' {SHOP}" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


def test_the_default_fields_are_first_and_last_name_email_phone_and_message(org):
    listener = format_listener(org, "form")
    page = Client().get(f"/f/{listener.token}").content.decode()
    for name in ("first_name", "last_name", "email", "phone"):
        assert f'name="{name}"' in page
    assert '<textarea id="f-message" name="message"' in page


def test_only_an_enabled_form_listener_has_a_hosted_form(org, listener):
    assert Client().get(f"/f/{listener.token}").status_code == 404  # an actions listener
    form = format_listener(org, "form")
    listener_set_enabled(listener=form, enabled=False)
    assert Client().get(f"/f/{form.token}").status_code == 404
    assert Client().get("/f/no-such-token").status_code == 404
    assert Client().get("/f/" + "x" * 65).status_code == 404


def test_a_post_from_the_hosted_form_thanks_in_the_same_frame(org):
    listener = format_listener(org, "form", embed_origins=[SHOP])
    answer = poster(listener).raw(
        urlencode({"first_name": "Hoa", "email": "hoa@example.com", "_gotcha": ""}),
        "application/x-www-form-urlencoded",
        HTTP_ACCEPT="text/html",
    )
    assert answer.status == 200
    assert f"frame-ancestors 'self' {SHOP}" in answer.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in answer.headers
    assert Customer.objects.get().name == "Hoa"


def test_the_settings_page_offers_the_frame_and_the_plain_html(org, owner):
    listener = format_listener(org, "form", embed_origins=[SHOP])
    page = owner.get(f"/settings/webhook/listeners/{listener.id}/edit/").content.decode()
    assert f"&lt;iframe src=&quot;http://testserver/f/{listener.token}&quot;" in page
    assert (
        f"&lt;form method=&quot;post&quot; action=&quot;http://testserver/listener/{listener.token}"
        in page
    )
    assert "_gotcha" in page
    assert f'<iframe class="form-preview" src="http://testserver/f/{listener.token}"' in page


def test_the_live_preview_fields_are_only_for_the_orgs_managers(org, owner):
    listener = format_listener(org, "form")
    preview = f"/f/{listener.token}?fields=email,budget"
    assert 'name="budget"' in owner.get(preview).content.decode()
    assert 'name="budget"' not in Client().get(preview).content.decode()
    other_org()
    outsider = Client()
    outsider.force_login(User.objects.get(email="boss@other.example"))
    assert 'name="budget"' not in outsider.get(preview).content.decode()
    # What is being typed and is not valid yet: the saved fields.
    page = owner.get(f"/f/{listener.token}?fields=Bad Name").content.decode()
    assert 'name="first_name"' in page


def test_another_orgs_owner_cannot_open_the_console_or_its_preview(org):
    listener = format_listener(org, "mapped", field_map={"email": "e"})
    other_org()
    outsider = Client()
    outsider.force_login(User.objects.get(email="boss@other.example"))
    console = f"/settings/webhook/listeners/{listener.id}/console/"
    assert outsider.get(console).status_code == 404
    response = outsider.post(console, {"preview_body": '{"e": "a@example.com"}'})
    assert response.status_code == 404
    assert "a@example.com" not in response.content.decode()
    edit = f"/settings/webhook/listeners/{listener.id}/edit/"
    assert listener.token not in outsider.get(edit).content.decode()
