"""`crmdp listener create --format ...`: the format options of issue 18, checked by
the same service as the settings page."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from crmdp.listeners.models import Listener


def create(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command(
        "listener", "create", "--org", "Test Org", "--name", "F", *args, "--json", stdout=out
    )
    printed: dict[str, Any] = json.loads(out.getvalue())
    return printed


def test_a_form_listener_with_every_form_option(org):
    printed = create(
        "--format", "form",
        "--create", "contact",
        "--redirect", "https://shop.example/thanks",
        "--allow-redirect-host", "shop.example",
        "--allow-redirect-host", "www.shop.example",
        "--embed-origin", "https://shop.example",
        "--embed-origin", "http://localhost:8080/",
        "--fields", "name,email,company,budget",
    )  # fmt: skip
    assert {"id", "token", "url"} <= set(printed)
    assert printed["url"] == f"/listener/{printed['token']}"
    assert printed["formUrl"] == f"/f/{printed['token']}"
    listener = Listener.objects.get(id=printed["id"])
    assert (listener.format, listener.creates) == ("form", "contact")
    assert listener.redirect_url == "https://shop.example/thanks"
    assert listener.redirect_hosts == ["shop.example", "www.shop.example"]
    assert listener.embed_origins == ["https://shop.example", "http://localhost:8080"]
    assert listener.form_fields == ["name", "email", "company", "budget"]


def test_google_ads_and_typeform_get_a_secret_made_up_unless_given(org):
    made_up = create("--format", "google-ads")
    assert len(made_up["secret"]) >= 22
    assert Listener.objects.get(id=made_up["id"]).format_secret == made_up["secret"]
    given = create("--format", "typeform", "--secret", "tf-secret")
    assert given["secret"] == "tf-secret"


def test_a_mapped_listener_keeps_its_map(org):
    printed = create(
        "--format", "mapped", "--map", "email=contact.emails.0", "--map", "note=text"
    )  # fmt: skip
    listener = Listener.objects.get(id=printed["id"])
    assert listener.field_map == {"email": "contact.emails.0", "note": "text"}


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--format", "fax"], "--format"),
        (["--create", "deal"], "--create"),
        (["--format", "form", "--redirect", "javascript:alert(1)"], "--redirect"),
        (
            ["--format", "form", "--allow-redirect-host", "https://x.example/"],
            "--allow-redirect-host",
        ),
        (["--format", "form", "--embed-origin", "https://x.example/page"], "--embed-origin"),
        (["--format", "form", "--fields", "email,Bad Name"], "--fields"),
        (["--format", "mapped", "--map", "nickname=a"], "--map"),
        (["--format", "mapped", "--map", "note=text"], "--map"),
    ],
)
def test_a_bad_option_is_refused_naming_its_flag(org, args, flag):
    with pytest.raises(CommandError) as refused:
        create(*args)
    # The service's refusal starts with the flag; argparse's says "argument --flag".
    assert str(refused.value).removeprefix("Error: argument ").startswith(flag), refused.value
    assert not Listener.objects.exists()
