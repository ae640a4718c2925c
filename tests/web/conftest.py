"""Fixtures for the pages: logged-in test clients, and a real Chromium for the
end-to-end tests."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from crmdp.orgs.models import Org, Role
from crmdp.orgs.services import user_add
from tests.conftest import SENDER
from tests.web.browser import WHAT_TO_INSTALL, NoBrowser, find_chromium

OWNER_PASSWORD = "pw-for-tests-1"  # the `org` fixture's owner
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def names_listed(content: bytes) -> list[str]:
    """The records a list page (or a table on a record's page) links to, in order."""
    return re.findall(r'class="row-link" href="[^"]+">([^<]+)<', content.decode())


def section(content: bytes, title: str) -> str:
    """The HTML of one titled card of a page (Notes, Deals, Messages, …)."""
    page = content.decode()
    start = page.index(f">{title}</h2>")
    end = page.find("</section>", start)
    return page[start:end]


@pytest.fixture
def owner(org: Org) -> Client:
    """The org's owner, logged in."""
    client = Client()
    client.force_login(org.memberships.get(user__email=SENDER).user)
    return client


@pytest.fixture
def login_as(org: Org) -> Callable[..., Client]:
    """A client logged in as a new user of the org with this role and groups."""

    def login(email: str, role: str = Role.MEMBER, groups: tuple[str, ...] = ()) -> Client:
        membership = user_add(org=org, email=email, role=role, groups=groups)
        client = Client()
        client.force_login(membership.user)
        return client

    return login


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """A Chromium (tests/web/browser.py says which), headless, driven by Playwright (one
    per test module)."""
    # Playwright's synchronous API keeps an asyncio loop running in this thread,
    # and Django refuses ORM calls where a loop runs. The tests' own ORM calls
    # (fixtures, assertions) are synchronous code, so the guard is lifted while
    # the browser is open, and only then.
    playwright = sync_playwright().start()
    try:
        executable = find_chromium(playwright)
    except NoBrowser as error:
        playwright.stop()
        pytest.fail(str(error), pytrace=False)
    try:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except PlaywrightError as error:
        # Typically Playwright's own build on a machine without its system libraries.
        playwright.stop()
        reason = str(error).strip().splitlines()[0]
        pytest.fail(f"{executable} does not start ({reason}): {WHAT_TO_INSTALL}", pytrace=False)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser tab at a laptop's screen size."""
    context = chromium.new_context(viewport={"width": 1366, "height": 860})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def screenshot(page: Page, name: str) -> None:
    """Keep what the page looked like, to look at (test-artifacts/, not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # From the top: a full-page capture of a scrolled page draws the sticky sidebar offset.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
