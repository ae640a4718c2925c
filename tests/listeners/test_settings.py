"""A listener's settings are checked in one place (`crmdp.listeners.services.validate`):
the settings page shows each problem beside its field and `crmdp listener create`
names the flag, in the same words; another org's sources are refused by both."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from crmdp.lib.issues import Invalid
from crmdp.listeners.models import Listener
from crmdp.listeners.services import (
    ListenerSettings,
    listener_create,
    listener_update,
    source_named,
)
from crmdp.orgs.models import CatalogItem, Org
from crmdp.orgs.services import org_create
from tests.conftest import SENDER

ADD = "/settings/webhook/listeners/add/"

# (what the page is sent, what the command is given, the field, its flag, the words)
REFUSALS = {
    "blank name": ({"name": " "}, ["--name", " "], "name", "--name", "a listener needs a name"),
    "long name": (
        {"name": "x" * 201},
        ["--name", "x" * 201],
        "name",
        "--name",
        "must be at most 200 characters",
    ),
    "two tags": (
        {"default_tag": "a,b"},
        ["--default-tag", "a,b"],
        "default_tag",
        "--default-tag",
        "exactly one tag (no commas)",
    ),
    "bad address": (
        {"allowed_ips": "10.0.0.300"},
        ["--allow-ip", "10.0.0.300"],
        "allowed_ips",
        "--allow-ip",
        "10.0.0.300",
    ),
    "no rate": (
        {"rate_limit_per_minute": "0"},
        ["--rate-limit", "0"],
        "rate_limit_per_minute",
        "--rate-limit",
        "must be at least 1 request a minute",
    ),
    "email without subject": (
        {"email_enabled": "on", "email_body": "Hello"},
        ["--email-body", "Hello"],
        "email_subject",
        "--email-subject",
        "is required when auto email is on",
    ),
    "broken template": (
        {"sms_enabled": "on", "sms_text": "Hi {% if %}"},
        ["--sms-text", "Hi {% if %}"],
        "sms_text",
        "--sms-text",
        "does not render",
    ),
}


def error_beside(content: bytes, field: str) -> str:
    found = re.search(rf'id="id_{field}_error">([^<]*)<', content.decode())
    return found.group(1) if found else ""


@pytest.fixture
def owner(org: Org) -> Client:
    client = Client()
    client.force_login(org.memberships.get(user__email=SENDER).user)
    return client


@pytest.fixture
def other_source(db: None) -> CatalogItem:
    other, _ = org_create(name="Other Org", owner_email="boss@other.example")
    source = source_named(other, "Their website")
    assert source is not None
    return source


@pytest.mark.parametrize("case", REFUSALS)
def test_the_page_and_the_command_refuse_a_setting_in_the_same_words(owner, org, case):
    form, args, field, flag, words = REFUSALS[case]
    page = owner.post(ADD, {"name": "Landing page", **form})
    assert page.status_code == 400
    beside = error_beside(page.content, field)
    assert words.lower() in beside.lower(), beside

    with pytest.raises(CommandError) as refused:
        call_command(
            "listener", "create", "--org", org.name, "--name", "Landing page", *args,
            stdout=io.StringIO(),
        )  # fmt: skip
    assert str(refused.value).startswith(f"{flag}: "), refused.value
    assert words in str(refused.value)
    assert not Listener.objects.exists()


def test_a_refused_command_leaves_no_source_behind(org):
    with pytest.raises(CommandError, match="--name"):
        call_command(
            "listener", "create", "--org", org.name, "--name", " ",
            "--contact-source", "Brand new source", stdout=io.StringIO(),
        )  # fmt: skip
    assert not CatalogItem.objects.filter(org=org, name="Brand new source").exists()


def test_the_command_makes_a_signed_listener_in_one_step(org):
    out = io.StringIO()
    call_command(
        "listener", "create", "--org", org.name, "--name", "Signed", "--signed", stdout=out
    )
    listener = Listener.objects.get(name="Signed")
    assert listener.signing_secret.startswith("whsec_")
    assert f"signing secret: {listener.signing_secret}" in out.getvalue()


def test_the_service_refuses_another_orgs_source(org, other_source):
    with pytest.raises(Invalid) as refused:
        listener_create(
            org=org, settings=ListenerSettings(name="F", default_lead_source=other_source)
        )
    assert refused.value.field == "default_lead_source"
    assert not Listener.objects.exists()


def test_an_update_with_another_orgs_source_changes_nothing(listener, other_source):
    settings = ListenerSettings(name="Renamed", default_contact_source=other_source)
    with pytest.raises(Invalid, match="not one of this org's customer sources"):
        listener_update(listener=listener, settings=settings)
    listener.refresh_from_db()
    assert listener.name == "Web form"
    assert listener.default_contact_source is not None
    assert listener.default_contact_source.org_id == listener.org_id


def test_the_page_refuses_another_orgs_source_beside_its_field(owner, listener, other_source):
    page = owner.post(
        f"/settings/webhook/listeners/{listener.id}/edit/",
        {"name": "Renamed", "default_contact_source": other_source.id},
    )
    assert page.status_code == 400
    assert error_beside(page.content, "default_contact_source")
    assert "Their website" not in page.content.decode()  # never offered either
    listener.refresh_from_db()
    assert listener.name == "Web form"


def test_a_refused_edit_keeps_the_saved_name_in_the_page_header(owner, listener):
    page = owner.post(f"/settings/webhook/listeners/{listener.id}/edit/", {"name": ""})
    assert page.status_code == 400
    assert "A listener needs a name" in error_beside(page.content, "name")
    assert "<h1>Web form" in page.content.decode()


def test_a_new_listener_remembers_who_made_it(owner, org):
    owner.post(ADD, {"name": "Landing page", "rate_limit_per_minute": "60"})
    listener = Listener.objects.get(name="Landing page")
    assert listener.created_by is not None and listener.created_by.email == SENDER
    assert listener.rate_limit_per_minute == 60
