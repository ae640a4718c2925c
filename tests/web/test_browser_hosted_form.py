"""In a real Chromium: a visitor fills in the hosted form inside a frame on another
site (a second loopback origin), and the lead arrives (issue 18)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from crmdp.customers.models import Customer
from crmdp.listeners.models import Delivery
from crmdp.orgs.models import Org
from tests.listeners.formats import format_listener
from tests.web.conftest import screenshot
from tests.web.test_browser import log_in


class _Site:
    """Someone's website: serves one page, set by the test, at any path."""

    def __init__(self) -> None:
        self.page = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    def framing(self, src: str) -> None:
        self.page = (
            '<!doctype html><html lang="en"><head><title>Shop</title></head><body>'
            "<h1>Our shop</h1>"
            f'<iframe src="{src}" title="Contact us" style="width:100%;height:640px;border:0">'
            "</iframe></body></html>"
        )


@pytest.fixture
def site() -> Iterator[_Site]:
    shop = _Site()
    thread = threading.Thread(target=shop.server.serve_forever, daemon=True)
    thread.start()
    yield shop
    shop.server.shutdown()
    shop.server.server_close()


def test_a_visitor_sends_the_hosted_form_framed_on_another_site(
    live_server: Any, org: Org, page: Page, site: _Site
) -> None:
    assert not live_server.url.startswith(site.origin)  # two origins
    listener = format_listener(
        org,
        "form",
        embed_origins=[site.origin],
        form_fields=["first_name", "last_name", "email", "phone", "message"],
    )
    site.framing(f"{live_server.url}/f/{listener.token}")
    page.goto(site.origin + "/contact")
    frame = page.frame_locator('iframe[title="Contact us"]')
    frame.get_by_label("First name").fill("Thu")
    frame.get_by_label("Last name").fill("Ngo")
    frame.get_by_label("Email").fill("thu.ngo@example.com")
    frame.get_by_label("Phone").fill("0905 000 888")
    frame.get_by_label("Message").fill("Do you deliver to Hue?")
    screenshot(page, "hosted-form-framed")
    frame.get_by_role("button", name="Send").click()
    expect(frame.get_by_role("heading", name="Thank you!")).to_be_visible()

    lead = Customer.objects.get()
    assert (lead.kind, lead.name, lead.lastname) == ("lead", "Thu", "Ngo")
    assert lead.phones[0]["e164"] == "+84905000888"
    delivery = Delivery.objects.get()
    assert (delivery.format, delivery.spam, delivery.status) == ("form", False, 200)


def test_a_site_that_is_not_an_embed_origin_cannot_frame_the_form(
    live_server: Any, org: Org, page: Page, site: _Site
) -> None:
    listener = format_listener(org, "form", embed_origins=["https://shop.example"])
    site.framing(f"{live_server.url}/f/{listener.token}")
    page.goto(site.origin + "/contact")  # returns once the page and its frame loaded
    expect(page.get_by_role("heading", name="Our shop")).to_be_visible()
    # Chromium refused to show it (CSP frame-ancestors): no frame holds the form.
    assert len(page.frames) == 2
    assert all(frame.query_selector('input[name="email"]') is None for frame in page.frames)


def test_the_settings_page_previews_the_form_as_its_fields_are_typed(
    live_server: Any, org: Org, page: Page
) -> None:
    listener = format_listener(org, "form")
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/settings/webhook/listeners/{listener.id}/edit/")
    preview = page.frame_locator('iframe[title="Preview of the hosted form"]')
    expect(preview.get_by_label("First name")).to_be_visible()
    page.get_by_label("Hosted form fields").fill("name,email,budget")
    expect(preview.get_by_label("Budget")).to_be_visible()
    expect(preview.get_by_label("First name")).to_have_count(0)
    screenshot(page, "hosted-form-settings")
    listener.refresh_from_db()
    assert listener.form_fields == []  # only Save changes the form
