"""End to end, in a real headless Chromium against a live server: a sales or
support person working in the UI all day (issue 17): moving deals on the board,
writing notes, working tickets, adding and fixing records by hand."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from crmdp.deals.models import Deal
from crmdp.orgs.models import Org
from crmdp.tickets.models import Ticket
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import new_deal
from tests.web.conftest import screenshot
from tests.web.test_browser import log_in

DOC_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"


def doc_image(page: Page, name: str, *, full_page: bool = False) -> None:
    """Keep a screenshot for the guide too (docs/img/) when DOC_IMAGES=1 is set:
    `DOC_IMAGES=1 pytest tests/web/test_browser_working.py` redraws the guide's images."""
    screenshot(page, name)
    if os.environ.get("DOC_IMAGES") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(DOC_IMAGES / f"{name}.png"), full_page=full_page)


def test_a_seller_moves_deals_on_the_board_with_the_select_and_by_dragging(
    live_server: Any, org: Org, post: Any, page: Page
) -> None:
    set_up_guide_org(org)
    post.actions(
        ("add-deal", new_deal("Spring order", value="1200", currency="VND")),
        ("add-deal", new_deal("Summer order", value="800", currency="VND")),
        ("add-deal", new_deal("Big contract", stage="Qualified", value="50000", currency="VND")),
    )
    log_in(page, live_server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    page.get_by_role("link", name="Board").click()
    expect(page.get_by_role("heading", name="Deal board")).to_be_visible()

    new = page.get_by_role("region", name="New")
    qualified = page.get_by_role("region", name="Qualified")
    won = page.get_by_role("region", name="Won")
    expect(new).to_contain_text("2 deals")
    expect(new).to_contain_text("2,000 VND")
    expect(qualified).to_contain_text("1 deal")
    expect(won).to_contain_text("0 deals")
    doc_image(page, "deal-board")

    # Without any script: choose the stage, press Move.
    page.get_by_label("Stage of Spring order").select_option(label="Won")
    new.get_by_role("button", name="Move Spring order").click()
    expect(page.get_by_role("status")).to_contain_text("Spring order moved to Won.")
    expect(won).to_contain_text("Spring order")
    expect(won).to_contain_text("1,200 VND")
    expect(new).to_contain_text("1 deal")
    assert Deal.objects.get(name="Spring order").stage.name == "Won"

    # Or drag the card onto another column.
    page.locator(".board-card", has_text="Summer order").drag_to(qualified)
    expect(page.get_by_role("status")).to_contain_text("Summer order moved to Qualified.")
    expect(qualified).to_contain_text("2 deals")
    expect(new).to_contain_text("0 deals")

    # The deal's history says who moved it.
    won.get_by_role("link", name="Spring order").click()
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Stage: New → Won, by huy.nguyenviet@htklabs.com.")


def test_after_a_call_a_seller_writes_notes_on_the_contact_and_the_ticket(
    live_server: Any, org: Org, post: Any, page: Page
) -> None:
    set_up_guide_org(org)
    contact, ticket = post.actions(
        (
            "add-contact",
            {
                "name": "Lan",
                "lastname": "Tran",
                "emails": [{"value": "lan@example.com"}],
                "phones": [{"value": "0905 000 001"}],
            },
        ),
        ("add-ticket", {"title": "Invoice is wrong", "body": "Twice the price"}),
    )
    log_in(page, live_server.url)
    page.get_by_role("link", name="Lan Tran").click()
    expect(page.get_by_role("heading", name="Lan Tran", level=1)).to_be_visible()

    notes = page.get_by_role("region", name="Notes")
    notes.get_by_label("Note").fill("Called: wants the offer by Friday.")
    notes.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("status")).to_contain_text("Note added.")
    notes.get_by_label("Note").fill("Sent the offer.")
    notes.get_by_label("Visible to").select_option(label="Only me")
    notes.get_by_role("button", name="Add note").click()
    items = notes.get_by_role("listitem")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Sent the offer.")  # newest first
    expect(items.first).to_contain_text("visible to only the owner")
    expect(items.nth(1)).to_contain_text("Called: wants the offer by Friday.")
    expect(page.get_by_role("region", name="History")).to_contain_text(
        "Note added by huy.nguyenviet@htklabs.com: “Sent the offer.”"
    )

    # An empty note is refused, in words.
    notes.get_by_label("Note").fill("   ")
    notes.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("alert")).to_contain_text("Note: write something first.")

    page.goto(f"{live_server.url}/tickets/{ticket['record']['code']}/")
    notes = page.get_by_role("region", name="Notes")
    notes.get_by_label("Note").fill("Asked finance to re-issue it.")
    notes.get_by_role("button", name="Add note").click()
    expect(notes.get_by_role("listitem")).to_contain_text(["Asked finance to re-issue it."])
    assert contact["status"] == "created"


def test_a_support_agent_works_a_ticket_status_assignee_group_and_sees_it_overdue(
    live_server: Any, org: Org, post: Any, page: Page
) -> None:
    set_up_guide_org(org)
    result = post.action(
        "add-ticket", {"title": "Printer on fire", "body": "Smoke", "slaName": "custom"}
    )
    code = result["record"]["code"]
    Ticket.objects.filter(org=org).update(first_response_due=timezone.now() - timedelta(minutes=90))
    log_in(page, live_server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    page.get_by_role("link", name="Printer on fire").click()
    expect(page.get_by_role("heading", name="Printer on fire", level=1)).to_be_visible()
    sla = page.get_by_role("region", name="SLA")
    expect(sla).to_contain_text("First response due")
    expect(sla).to_contain_text("Resolution due")
    expect(sla.locator(".badge-overdue")).to_contain_text("Overdue by 1 h 30 min")

    page.get_by_label("Status").select_option(label="Open")
    page.get_by_role("button", name="Set status").click()
    expect(page.get_by_role("status")).to_contain_text(f"{code} is now Open.")

    assignment = page.get_by_role("region", name="Assignment")
    assignment.get_by_label("Assignee").select_option(label="nhanvien1@beeiq.co")
    assignment.get_by_label("Group").select_option(label="Nhom 1")
    assignment.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"{code} is assigned to nhanvien1@beeiq.co (Nhom 1)."
    )
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Status: New → Open, by huy.nguyenviet@htklabs.com.")
    expect(history).to_contain_text(
        "Assignee: (none) → nhanvien1@beeiq.co, by huy.nguyenviet@htklabs.com."
    )
    expect(history).to_contain_text("Group: (none) → Nhom 1, by huy.nguyenviet@htklabs.com.")

    # Resolved: late no more.
    page.get_by_label("Status").select_option(label="Resolved")
    page.get_by_role("button", name="Set status").click()
    expect(page.get_by_role("status")).to_contain_text(f"{code} is now Resolved.")
    expect(page.locator(".badge-overdue")).to_have_count(0)


def test_a_seller_adds_a_contact_by_hand_is_stopped_at_a_duplicate_and_edits_it(
    live_server: Any, org: Org, page: Page
) -> None:
    set_up_guide_org(org)
    log_in(page, live_server.url)
    page.get_by_role("link", name="New contact").click()
    expect(page.get_by_role("heading", name="New contact")).to_be_visible()

    # What cannot be read is said beside its field, and nothing is saved.
    page.get_by_label("First name").fill("Lan")
    page.get_by_label("Last name").fill("Tran")
    page.get_by_label("Email").fill("lan@example")
    page.get_by_label("Phone").fill("12")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Phone").get_attribute("aria-invalid") == "true"

    page.get_by_label("Email").fill("lan@example.com")
    page.get_by_label("Phone").fill("0905 000 001")
    page.get_by_label("Tags").fill("vip")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Lan Tran", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("PID-1 saved.")
    expect(page.get_by_role("region", name="Details")).to_contain_text("+84905000001")
    expect(page.get_by_role("region", name="History")).to_contain_text(
        "Created by huy.nguyenviet@htklabs.com."
    )

    # The same person again, by phone in another format: not a second record.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="New contact").click()
    page.get_by_label("First name").fill("L.")
    page.get_by_label("Phone").fill("+84 905-000-001")
    page.get_by_role("button", name="Save").click()
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("Not saved: Lan Tran (PID-1) already has this phone")
    warning.get_by_role("link", name="Lan Tran (PID-1)").click()
    expect(page.get_by_role("heading", name="Lan Tran", level=1)).to_be_visible()

    # Edit: the same form, filled in.
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("First name")).to_have_value("Lan")
    expect(page.get_by_label("Phone")).to_have_value("0905 000 001")
    page.get_by_label("Title").fill("Buyer")
    page.get_by_label("Tags").fill("vip, gold")
    page.get_by_label("Visible to").select_option(label="The owner and a group")
    page.get_by_label("Permit group").select_option(label="Nhom 1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("PID-1 saved.")
    expect(page.get_by_role("region", name="Tags")).to_contain_text("gold")
    expect(page.get_by_role("region", name="Record")).to_contain_text("the owner and group Nhom 1")
    expect(page.get_by_role("region", name="History")).to_contain_text(
        "Edited by huy.nguyenviet@htklabs.com: title: (empty) → “Buyer”"
    )

    page.get_by_role("region", name="Notes").get_by_label("Note").fill(
        "Met at the fair; wants a quote."
    )
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("status")).to_contain_text("Note added.")
    doc_image(page, "contact-page", full_page=True)


def test_a_seller_adds_a_deal_and_a_ticket_by_hand(
    live_server: Any, org: Org, post: Any, page: Page
) -> None:
    set_up_guide_org(org)
    post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})
    log_in(page, live_server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    page.get_by_role("link", name="New deal").click()
    page.get_by_label("Name").fill("Spring order")
    page.get_by_label("Value").fill("1200")
    page.get_by_label("Stage").select_option(label="Qualified")
    page.get_by_label("Customer").fill("PID-9")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("No customer PID-9 that you can see.")).to_be_visible()
    page.get_by_label("Customer").fill("PID-1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Spring order", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Details")).to_contain_text("1,200 VND")
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Stage").select_option(label="Won")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("region", name="History")).to_contain_text(
        "Edited by huy.nguyenviet@htklabs.com: stage: Qualified → Won."
    )

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    page.get_by_role("link", name="New ticket").click()
    page.get_by_label("Subject").fill("Invoice is wrong")
    page.get_by_label("Status").select_option(label="Open")
    page.get_by_label("Group").select_option(label="Nhom 1")
    page.get_by_label("Customer").fill("PID-1")
    page.get_by_label("SLA policy").select_option(label="custom")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Invoice is wrong", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="SLA")).to_contain_text("Resolution due")
    expect(page.get_by_role("region", name="History")).to_contain_text(
        "Created by huy.nguyenviet@htklabs.com with status Open."
    )


def test_the_forms_and_the_board_fit_a_phone(
    live_server: Any, org: Org, post: Any, chromium: Any
) -> None:
    set_up_guide_org(org)
    contact = post.action("add-contact", {"name": "Lan", "lastname": "Tran" * 12})["record"]
    deal = post.action("add-deal", new_deal("A deal with a rather long name " * 3))["record"]
    ticket = post.action("add-ticket", {"title": "Printer on fire", "body": "Smoke"})["record"]
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    phone = context.new_page()
    try:
        log_in(phone, live_server.url)
        for path in (
            "/contacts/new/",
            "/accounts/new/",
            "/leads/new/",
            f"/contacts/{contact['customerId']}/edit/",
            "/deals/new/",
            f"/deals/{deal['id']}/edit/",
            "/deals/board/",
            "/tickets/new/",
            f"/tickets/{ticket['code']}/edit/",
            f"/tickets/{ticket['code']}/",
        ):
            response = phone.goto(live_server.url + path)
            assert response is not None and response.status == 200, path
            width = phone.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 390, f"{path} scrolls sideways: {width}px wide"
    finally:
        context.close()
