"""End to end, in a real headless Chromium against a live server: what an owner
does with a listener, from logging in to reading a contact's history."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

from playwright.sync_api import Page, expect

from crmdp.listeners.models import Delivery, Listener
from crmdp.orgs.models import Org
from tests.conftest import SENDER, sample
from tests.listeners.guide_org import set_up_guide_org
from tests.web.conftest import OWNER_PASSWORD, screenshot


def send(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST a JSON body over plain HTTP, as a sender's system would."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def log_in(page: Page, base: str) -> None:
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Email").fill(SENDER)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Contacts and accounts")).to_be_visible()


def test_owner_adds_a_listener_and_finds_the_contact_it_received(
    live_server: Any, org: Org, page: Page
) -> None:
    page.goto(live_server.url + "/")
    screenshot(page, "login")
    log_in(page, live_server.url)

    # Settings → Other settings → Webhook → Listener → Add webhook listener (the guide's path).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Other settings"
    ).click()
    page.get_by_role("link", name="Webhook", exact=True).click()
    page.get_by_role("navigation", name="Webhook").get_by_role("link", name="Listener").click()
    page.get_by_role("link", name="Add webhook listener").click()
    page.get_by_label("Name").fill("Website form")
    page.get_by_label("Default tag").fill("website")
    page.get_by_label("Allowed IPs").fill("10.0.0.0/33")
    page.get_by_label("Send an email to new customers").check()
    page.get_by_label("Email body").fill("Welcome {{ name }}")
    page.get_by_role("button", name="Save and get the URL").click()

    # Each problem is shown beside its field, and nothing is saved until they are fixed.
    expect(page.get_by_text("'10.0.0.0/33' is not an IP address or CIDR range")).to_be_visible()
    expect(page.get_by_text("Email subject is required when auto email is on")).to_be_visible()
    assert page.get_by_label("Email subject").get_attribute("aria-invalid") == "true"
    screenshot(page, "listener-add-errors")
    page.get_by_label("Allowed IPs").fill("")
    page.get_by_label("Email subject").fill("Welcome to {{ org }}")
    page.get_by_role("button", name="Save and get the URL").click()

    expect(page.get_by_role("heading", name="Website form")).to_be_visible()
    url = page.get_by_label("Listener URL").input_value()
    assert url.startswith(f"{live_server.url}/listener/")
    screenshot(page, "listener-created")

    status, answer = send(url, sample("add-contact"))
    assert status == 200, answer
    assert answer["results"][0]["status"] == "created"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.get_by_label("Search").fill("huy.nguyen@htklabs.com")
    page.get_by_role("button", name="Search").click()
    screenshot(page, "contacts-search")
    page.get_by_role("link", name="Huy Nguyen").click()

    expect(page.get_by_role("heading", name="Huy Nguyen", level=1)).to_be_visible()
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Created by listener “Website form”")
    expect(history).to_contain_text(SENDER)
    expect(page.get_by_role("region", name="Tags")).to_contain_text("website")
    screenshot(page, "contact-detail")


def test_console_sends_the_add_contact_sample_and_shows_created(
    live_server: Any, listener: Listener, page: Page
) -> None:
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/settings/webhook/listeners/{listener.id}/")
    page.get_by_role("navigation", name="Listener").get_by_role("link", name="Test console").click()

    page.get_by_label("Sample request").select_option(label="Add lead")
    expect(page.get_by_label("Request body")).to_have_value(re.compile('"actionType": "add-lead"'))
    page.get_by_label("Sample request").select_option(label="Add contact")
    body = page.get_by_label("Request body")
    expect(body).to_have_value(re.compile('"actionType": "add-contact"'))
    expect(body).to_have_value(re.compile(re.escape(f'"senderUser": "{SENDER}"')))
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("status")).to_contain_text("200")
    response = page.locator("[data-console-response]")
    expect(response).to_contain_text('"status": "created"')
    expect(response).to_contain_text('"customerId": "PID-')
    screenshot(page, "listener-console")

    # The request is in the log, and the console links to it.
    page.get_by_role("link", name="Open this delivery in the log").click()
    expect(page.get_by_role("heading", name="Delivery #")).to_be_visible()
    assert Delivery.objects.filter(listener=listener, status=200).count() == 1


def test_replaying_a_delivery_logs_a_replay_whose_contact_is_a_duplicate(
    live_server: Any, listener: Listener, page: Page
) -> None:
    status, first = send(live_server.url + listener.path, sample("add-contact"))
    assert status == 200 and first["results"][0]["status"] == "created", first
    original = Delivery.objects.get(listener=listener)

    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/settings/webhook/listeners/{listener.id}/")
    page.get_by_role("link", name=f"Open delivery {original.id}").click()
    expect(page.get_by_role("cell", name="created")).to_be_visible()
    # Replay asks first, and says what will run again (issue 17).
    page.get_by_role("link", name="Replay").click()
    plan = page.get_by_role("table", name="What will be re-applied")
    expect(plan).to_contain_text("add-contact")
    expect(plan).to_contain_text("comes back as duplicate")
    page.get_by_role("button", name="Replay now").click()

    replay = Delivery.objects.exclude(id=original.id).get(listener=listener)
    expect(page.get_by_role("heading", name=f"Delivery #{replay.id}")).to_be_visible()
    expect(page.get_by_text(f"Replay of #{original.id}")).to_be_visible()
    actions = page.get_by_role("region", name="Actions and records")
    expect(actions).to_contain_text("duplicate on passport")
    expect(
        actions.get_by_role("link", name=first["results"][0]["record"]["customerId"])
    ).to_be_visible()
    screenshot(page, "delivery-replay")

    # Back in the log, the replay is marked as one.
    page.get_by_role("navigation", name="Listener").get_by_role("link", name="Delivery log").click()
    log = page.get_by_role("table", name="Delivery log")
    expect(log.get_by_role("row")).to_have_count(3)  # header + original + replay
    expect(log).to_contain_text(f"Replay of #{original.id}")
    screenshot(page, "delivery-log")
    assert replay.replay_of_id == original.id
    assert replay.response["results"][0]["status"] == "duplicate"


def test_a_deal_sent_to_a_listener_is_found_under_deals_with_its_customer_and_history(
    live_server: Any, org: Org, listener: Listener, page: Page
) -> None:
    set_up_guide_org(org)
    status, answer = send(live_server.url + listener.path, sample("add-deal"))
    assert status == 200, answer
    result = answer["results"][0]
    assert result["status"] == "created", result
    customer = result["related"][0]["customerId"]
    # What a support desk adds later: a note on the deal and a ticket about it.
    status, later = send(
        live_server.url + listener.path,
        {
            "senderUser": SENDER,
            "data": [
                {
                    "actionType": "add-note",
                    "data": {
                        "model": "deal",
                        "name": "Booking-ID #0003",
                        "body": "Asked for a discount; call back on Monday.",
                    },
                },
                {
                    "actionType": "add-ticket",
                    "data": {
                        "title": "Booking not confirmed",
                        "body": "Paid yesterday, no confirmation yet.",
                        "dealId": result["record"]["id"],
                        "customerId": customer,
                        "contactType": "lead",
                        "slaName": "custom",
                        "channel": "Email",
                    },
                },
            ],
        },
    )
    assert [r["status"] for r in later["results"]] == ["created", "created"], later

    log_in(page, live_server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    expect(page.get_by_role("heading", name="Deals", level=1)).to_be_visible()
    page.get_by_label("Search").fill("booking-id")
    page.get_by_role("button", name="Search").click()
    deals = page.get_by_role("table", name="Deals")
    expect(deals.get_by_role("row")).to_have_count(2)  # the header and the deal
    expect(deals).to_contain_text("50,000 VND")
    screenshot(page, "deals-search")
    deals.get_by_role("link", name="Booking-ID #0003").click()

    expect(page.get_by_role("heading", name="Booking-ID #0003", level=1)).to_be_visible()
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text("UI Design")
    expect(details.get_by_role("link", name=f"Nguyen viet huy ({customer})")).to_be_visible()
    expect(details.get_by_role("link", name=re.compile(r"^Quoc Phong \(LID-"))).to_be_visible()
    expect(page.get_by_role("region", name="Owners")).to_contain_text("nhanvien1@beeiq.co")
    expect(page.get_by_role("region", name="Notes")).to_contain_text("call back on Monday")
    expect(
        page.get_by_role("region", name="Tickets").get_by_role("link", name="Booking not confirmed")
    ).to_be_visible()
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Created by listener “Web form” (sender viethuy110@gmail.com)")
    screenshot(page, "deal-detail")

    details.get_by_role("link", name=f"Nguyen viet huy ({customer})").click()
    expect(page.get_by_role("heading", name="Nguyen viet huy", level=1)).to_be_visible()
    customer_deals = page.get_by_role("region", name="Deals")
    expect(customer_deals.get_by_role("link", name="Booking-ID #0003")).to_be_visible()
    expect(customer_deals).to_contain_text("New")
    expect(page.get_by_role("region", name="Tickets")).to_contain_text("Booking not confirmed")
    screenshot(page, "lead-with-deal")
