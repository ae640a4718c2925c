"""Issue 17, point 13: the small things a person notices."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from crmdp.lib.issues import Invalid
from crmdp.listeners.models import Delivery
from crmdp.orgs.models import CatalogItem
from crmdp.orgs.services import catalog_add
from tests.conftest import sample


def test_the_demo_banner_names_the_port_serve_listens_on(db):
    out = StringIO()
    call_command("demo", "--port", "9123", stdout=out)
    text = out.getvalue()
    assert "web UI:    http://127.0.0.1:9123/" in text
    assert "http://127.0.0.1:9123/listener/" in text
    assert ":8000" not in text
    out = StringIO()
    call_command("demo", "--host", "0.0.0.0", "--port", "9001", stdout=out)
    assert "http://0.0.0.0:9001/" in out.getvalue()


def test_the_sla_form_refuses_a_first_response_longer_than_the_resolution(org, owner):
    page = owner.post(
        "/settings/catalogs/sla-policies/",
        {"name": "Gold", "first_response_minutes": "600", "resolution_minutes": "60"},
    )
    assert page.status_code == 400
    beside = re.search(r'id="id_first_response_minutes_error">([^<]*)<', page.content.decode())
    assert beside is not None
    assert beside.group(1) == (
        "First response (minutes) must not be longer than the resolution time"
    )
    assert not CatalogItem.objects.filter(org=org, kind="sla").exists()
    with pytest.raises(Invalid, match="must not be longer than the resolution"):
        catalog_add(
            org=org, kind="sla", name="Gold", first_response_minutes=61, resolution_minutes=60
        )
    equal = owner.post(
        "/settings/catalogs/sla-policies/",
        {"name": "Even", "first_response_minutes": "60", "resolution_minutes": "60"},
    )
    assert equal.status_code == 302


@pytest.mark.parametrize(
    ("path", "back"),
    [
        ("/logout/", "/"),
        ("/org/", "/"),
        ("/settings/groups/", "/settings/"),
        (
            "/settings/webhook/listeners/{listener}/state/",
            "/settings/webhook/listeners/{listener}/",
        ),
    ],
)
def test_a_get_on_a_post_only_url_goes_back_instead_of_405(owner, listener, path, back):
    path, back = (p.format(listener=listener.id) for p in (path, back))
    response = owner.get(path)
    assert response.status_code == 302
    assert response["Location"] == back
    # From a page of ours, it goes back to that page.
    came_from = "http://testserver/contacts/?q=x"
    assert owner.get(path, HTTP_REFERER=came_from)["Location"] == came_from
    # Never to another site.
    assert owner.get(path, HTTP_REFERER="https://evil.example/")["Location"] == back


def test_the_listener_and_the_api_keep_their_own_405(listener):
    response = Client().get(listener.path)
    assert response.status_code == 405


def test_breadcrumbs_run_from_the_section_down_to_the_page(owner, listener, post):
    post(sample("add-contact"))
    delivery = Delivery.objects.get(listener=listener)
    base = f"/settings/webhook/listeners/{listener.id}/"

    def crumbs(path: str) -> list[str]:
        html = owner.get(path).content.decode()
        nav = re.search(r'<nav class="crumbs"[^>]*>(.*?)</nav>', html, re.S)
        assert nav is not None, path
        return [re.sub(r"<[^>]+>", "", part).strip() for part in nav.group(1).split("/</span>")]

    webhook = ["Settings", "Other settings", "Webhook"]
    assert crumbs("/settings/webhook/")[-1] == "Webhook"
    assert crumbs(base) == [*webhook, "Web form"]
    assert crumbs(f"{base}deliveries/{delivery.id}/") == [
        *webhook,
        "Web form",
        f"Delivery #{delivery.id}",
    ]
    assert crumbs(f"{base}deliveries/{delivery.id}/replay/") == [
        *webhook,
        "Web form",
        f"Delivery #{delivery.id}",
        "Replay",
    ]
    assert crumbs(f"{base}delete/") == [*webhook, "Web form", "Delete listener"]
    assert crumbs(f"{base}regenerate/")[:4] == [*webhook, "Web form"]
