"""End to end, in a real headless Chromium against a live server (issue 17, points
7-9): finding people, sorting, filtering and exporting a list, and every main page on
a phone's 390 px screen, with the navigation behind "Menu"."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from crmdp.listeners.models import Delivery, Listener
from crmdp.messaging.models import Message
from crmdp.messaging.worker import Worker
from crmdp.orgs.models import Org, User
from crmdp.orgs.services import group_add
from tests.conftest import SENDER
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import welcoming_poster
from tests.messaging.servers import smtp_server
from tests.web.conftest import screenshot
from tests.web.test_browser import log_in

DOC_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"
PHONE_WIDTH = 390


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:
    """A tab of a phone's size (an iPhone 12-15's CSS width)."""
    context = chromium.new_context(
        viewport={"width": PHONE_WIDTH, "height": 844}, device_scale_factor=2
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def people(post: Any) -> dict[str, str]:
    """A few contacts to find, one with a name long enough to break a layout."""
    codes = {}
    for name, lastname, email, phone, company in (
        ("Thu", "Tran", "thu.tran@htklabs.com", "0905 000 001", "HTK Labs"),
        ("An", "Le", "an@example.com", "0905 000 002", "Blue Sky"),
        ("Bao", "Pham", "bao@htklabs.com", "0905 000 003", "HTK Labs"),
        ("Nguyễn-Phước-Thịnh-Vượng-Trường-Thọ-Bình-An", "Tôn-Thất" * 6, "x@y.io", "", ""),
    ):
        data: dict[str, Any] = {
            "name": name,
            "lastname": lastname,
            "emails": [{"value": email}],
            "tag": "vip" if name != "An" else "cold",
        }
        if phone:
            data["phones"] = [{"value": phone}]
        if company:
            data["companyContact"] = {"name": company}
        codes[name] = post.action("add-contact", data)["record"]["customerId"]
    return codes


def test_a_seller_finds_people_sorts_filters_and_exports_the_list(
    live_server: Any, org: Org, post: Any, page: Page
) -> None:
    codes = people(post)
    log_in(page, live_server.url)

    # The search box in the sidebar: a last name, a domain, a phone typed differently.
    search = page.get_by_label("Find people, deals, tickets")
    for query, found in (
        ("Tran", "Thu Tran"),
        ("htklabs.com", "Bao Pham"),
        ("+84 905-000-002", "An Le"),
        ("blue sky", "An Le"),
    ):
        search.fill(query)
        search.press("Enter")
        results = page.get_by_role("region", name="Contacts and accounts")
        expect(results.get_by_role("link", name=found)).to_be_visible()
    screenshot(page, "search")
    # A code opens the record.
    search = page.get_by_label("Find people, deals, tickets")
    search.fill(codes["Bao"].lower())
    search.press("Enter")
    expect(page.get_by_role("heading", name="Bao Pham")).to_be_visible()

    # The list: filter by tag, sort by name both ways.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.get_by_label("Tag").fill("vip")
    page.get_by_role("button", name="Search").click()
    table = page.get_by_role("table", name="Contacts and accounts")
    expect(table).not_to_contain_text("An Le")
    table.get_by_role("link", name="Name").click()
    header = table.get_by_role("columnheader", name="Name")
    expect(header).to_have_attribute("aria-sort", "ascending")
    names = table.locator("tbody th a.row-link").all_inner_texts()
    assert names[:2] == [
        "Bao Pham",
        "Nguyễn-Phước-Thịnh-Vượng-Trường-Thọ-Bình-An " + "Tôn-Thất" * 6,
    ]
    page.get_by_role("table", name="Contacts and accounts").get_by_role("link", name="Name").click()
    expect(header).to_have_attribute("aria-sort", "descending")

    # The export has what the list shows, in its order.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("contacts-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    shown = page.get_by_role("table", name="Contacts and accounts").locator("tbody th a.row-link")
    assert [row[0] for row in rows[1:]] == shown.all_inner_texts()
    assert "An Le" not in [row[0] for row in rows]

    # A very long name wraps on its page instead of widening it (point 13).
    long_name = "Nguyễn-Phước-Thịnh-Vượng-Trường-Thọ-Bình-An"
    page.goto(f"{live_server.url}/contacts/{codes[long_name]}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tôn-Thất")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1366


def _fits(page: Page, what: str) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{what} scrolls sideways: {width}px wide"


def test_every_main_page_fits_a_phone_and_the_navigation_is_behind_menu(
    live_server: Any, org: Org, listener: Listener, post: Any, phone: Page
) -> None:
    set_up_guide_org(org)
    codes = people(post)
    deal = post.action(
        "add-deal",
        {
            "name": "A deal with a rather long name " * 3,
            "stage": "New",
            "dealWith": {"customerId": codes["Thu"]},
        },
    )["record"]["id"]
    ticket = post.action(
        "add-ticket", {"title": "Printer on fire", "body": "Smoke", "customerId": codes["Thu"]}
    )["record"]["code"]
    lead = post.action("add-lead", {"name": "Minh", "companyLead": "Blue Sky"})["record"][
        "customerId"
    ]
    delivery = Delivery.objects.filter(listener=listener).latest("id")
    message = Message.objects.filter(org=org).first()

    log_in(phone, live_server.url)
    menu = phone.get_by_role("button", name="Menu")
    nav = phone.get_by_role("navigation", name="Main")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    phone.evaluate("window.scrollTo(0, 0)")
    screenshot(phone, "mobile-menu")
    if os.environ.get("DOC_IMAGES") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(DOC_IMAGES / "mobile-menu.png"))
    _fits(phone, "the open menu")
    nav.get_by_role("link", name="Deals").click()
    expect(phone.get_by_role("heading", name="Deals", exact=True)).to_be_visible()
    expect(nav).to_be_hidden()  # a new page starts with the menu closed
    menu.focus()  # the menu opens from the keyboard too
    phone.keyboard.press("Enter")
    expect(nav).to_be_visible()
    phone.keyboard.press("Escape")
    expect(nav).to_be_hidden()

    # Tables are stacks of labelled cells.
    phone.goto(live_server.url + "/contacts/")
    first = phone.get_by_role("table", name="Contacts and accounts").locator("tbody tr").first
    label = first.locator("td[data-label=Code]")
    assert label.evaluate("cell => getComputedStyle(cell, '::before').content") == '"Code"'
    screenshot(phone, "mobile-contacts")

    listener_page = f"/settings/webhook/listeners/{listener.id}/"
    for path in (
        "/contacts/",
        "/contacts/?sort=name&tag=vip",
        f"/contacts/{codes['Thu']}/",
        f"/contacts/{codes['Nguyễn-Phước-Thịnh-Vượng-Trường-Thọ-Bình-An']}/",
        "/leads/",
        f"/leads/{lead}/",
        "/deals/",
        "/deals/board/",
        f"/deals/{deal}/",
        "/tickets/",
        f"/tickets/{ticket}/",
        "/messages/",
        *([f"/messages/{message.id}/"] if message else []),
        "/search/?q=tran",
        "/settings/",
        "/settings/users/",
        "/settings/catalogs/sla-policies/",
        "/settings/fields/",
        "/settings/sms/",
        "/settings/region/",
        "/settings/webhook/",
        listener_page,
        f"{listener_page}edit/",
        f"{listener_page}console/",
        f"{listener_page}deliveries/{delivery.id}/",
    ):
        response = phone.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        _fits(phone, path)
    screenshot(phone, "mobile-delivery")
    phone.goto(live_server.url + listener_page)
    outcome = phone.get_by_role("table", name="Delivery log").locator("td[data-label=Outcome]")
    assert outcome.first.evaluate("c => getComputedStyle(c, '::before').content") == '"Outcome"'
    screenshot(phone, "mobile-delivery-log")
    # Outside the frame too.
    phone.context.clear_cookies()
    phone.goto(live_server.url + "/login/")
    _fits(phone, "the login page")


def test_an_admin_reads_what_each_delivery_came_to_and_where_messages_went(
    live_server: Any, org: Org, listener: Listener, post: Any, page: Page, settings: Any
) -> None:
    # Points 10 and 11: outcomes in words, the Failed filter, and honest messages.
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    post.action("add-contact", {"name": "Fine"})
    post.actions(("add-contact", {"name": "Also fine"}), ("add-contact", {"nope": 1}))
    post({"senderUser": "nobody@example.com", "data": []})
    welcome = welcoming_poster(org)
    welcome.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})
    Worker(name="test-worker").run_until_idle()

    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/settings/webhook/listeners/{listener.id}/")
    log = page.get_by_role("table", name="Delivery log")
    for word in ("OK", "Partial", "Refused"):
        expect(log.get_by_text(word, exact=True)).to_be_visible()
    refused = log.get_by_text("Refused", exact=True)
    colour = refused.evaluate("badge => getComputedStyle(badge).backgroundColor")
    ok_colour = log.get_by_text("OK", exact=True).evaluate(
        "badge => getComputedStyle(badge).backgroundColor"
    )
    assert colour != ok_colour
    page.get_by_role("navigation", name="Show deliveries").get_by_role(
        "link", name="Failed"
    ).click()
    expect(log.get_by_role("row")).to_have_count(3)  # header + partial + refused
    expect(log.get_by_text("OK", exact=True)).to_have_count(0)
    screenshot(page, "delivery-log-failed")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Messages").click()
    expect(page.get_by_text("Email is not being sent")).to_be_visible()
    expect(page.get_by_text("Trial SMS left:")).to_be_visible()
    outbox = page.get_by_role("table", name="Messages")
    expect(outbox.get_by_text("kept, not sent")).to_be_visible()
    expect(outbox.get_by_text("sent", exact=True)).to_have_count(0)
    screenshot(page, "messages-kept")


def test_a_user_resets_a_forgotten_password_by_email_and_changes_it_again(
    live_server: Any, org: Org, page: Page, settings: Any
) -> None:
    # Point 12: "Forgot password" through the configured SMTP server, then "Change
    # password" for one's own login, and an admin renames a group.
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        page.goto(live_server.url + "/login/")
        page.get_by_role("link", name="Forgot password?").click()
        page.get_by_label("Email").fill(SENDER)
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    (received,) = inbox.messages
    text = received.get_payload(decode=True).decode()
    link = re.search(r"http://\S+/password-reset/\S+/", text)
    assert link is not None, text
    page.goto(link.group(0))
    page.get_by_label("New password", exact=True).fill("first-new-secret-17")
    page.get_by_label("New password confirmation").fill("first-new-secret-17")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Password set. Log in with the new one.")).to_be_visible()
    page.get_by_label("Email").fill(SENDER)
    page.get_by_label("Password").fill("first-new-secret-17")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Contacts and accounts")).to_be_visible()

    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Old password").fill("first-new-secret-17")
    page.get_by_label("New password", exact=True).fill("second-new-secret-17")
    page.get_by_label("New password confirmation").fill("second-new-secret-17")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    assert User.objects.get(email=SENDER).check_password("second-new-secret-17")

    group_add(org=org, name="Sales")
    page.goto(live_server.url + "/settings/users/")
    page.get_by_label("New name for Sales").fill("Sales North")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_text("Group renamed to “Sales North”.")).to_be_visible()


def test_without_javascript_the_navigation_simply_stays_open_on_a_phone(
    live_server: Any, org: Org, chromium: Browser
) -> None:
    context = chromium.new_context(
        viewport={"width": PHONE_WIDTH, "height": 844}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        log_in(tab, live_server.url)
        expect(tab.get_by_role("button", name="Menu")).to_be_hidden()
        nav = tab.get_by_role("navigation", name="Main")
        expect(nav).to_be_visible()
        nav.get_by_role("link", name="Deals").click()
        expect(tab.get_by_role("heading", name="Deals", exact=True)).to_be_visible()
        _fits(tab, "the deals without JavaScript")
    finally:
        context.close()
