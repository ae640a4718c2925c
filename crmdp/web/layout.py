"""The frame every page is drawn in: the sidebar's sections and the org switcher.

A record type gets its place in the sidebar by adding one entry to NAV.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from crmdp.orgs.models import Membership
from crmdp.orgs.selectors import active_memberships


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_name: str
    managers_only: bool = False


NAV: tuple[Section, ...] = (
    Section("contacts", "Contacts", "web:contacts"),
    Section("leads", "Leads", "web:leads"),
    Section("deals", "Deals", "web:deals"),
    Section("tickets", "Tickets", "web:tickets"),
    Section("messages", "Messages", "web:messages", managers_only=True),
    Section("settings", "Settings", "web:settings", managers_only=True),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


def page(
    request: HttpRequest,
    membership: Membership,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    section: str = "",
    status: int = 200,
) -> HttpResponse:
    """Render a page inside the frame: the sidebar, the current org and the switcher."""
    nav = [
        NavLink(item.label, reverse(item.url_name), item.key == section)
        for item in NAV
        if membership.sees_everything or not item.managers_only
    ]
    frame = {
        "membership": membership,
        "memberships": active_memberships(int(request.user.pk or 0)),
        "can_manage": membership.sees_everything,
        "nav": nav,
        "section": section,
    }
    return render(request, template, {**frame, **(context or {})}, status=status)


# -- Settings: its own menu, grouped as the vendor's product groups it ----------------

# URL slug → catalog kind, in the order the settings menu lists them.
CATALOG_PAGES: dict[str, tuple[str, str]] = {
    "sources": ("source", "Customer sources"),
    "stages": ("stage", "Deal stages"),
    "categories": ("category", "Deal categories"),
    "packages": ("package", "Deal packages"),
    "currencies": ("currency", "Currencies"),
    "sla-policies": ("sla", "SLA policies"),
    "channels": ("channel", "Ticket channels"),
}


@dataclass(frozen=True)
class MenuItem:
    key: str  # what `current` names
    label: str
    url_name: str
    args: tuple[str, ...] = ()


def _catalog(slug: str) -> MenuItem:
    return MenuItem(slug, CATALOG_PAGES[slug][1], "web:catalog", (slug,))


# (heading, the heading's own page if it has one, its items)
SETTINGS_MENU: tuple[tuple[str, MenuItem | None, tuple[MenuItem, ...]], ...] = (
    (
        "Organisation",
        None,
        (
            MenuItem("users", "Users and groups", "web:users"),
            MenuItem("fields", "Custom fields", "web:fields"),
            MenuItem("sms", "SMS", "web:sms"),
            MenuItem("region", "Region", "web:region"),
        ),
    ),
    ("Customers", None, (_catalog("sources"),)),
    (
        "Deals",
        None,
        (_catalog("stages"), _catalog("categories"), _catalog("packages"), _catalog("currencies")),
    ),
    ("Tickets", None, (_catalog("sla-policies"), _catalog("channels"))),
    (
        "Other settings",
        MenuItem("other", "Other settings", "web:other-settings"),
        (MenuItem("webhook", "Webhook", "web:webhook"),),
    ),
)


@dataclass(frozen=True)
class MenuGroup:
    heading: NavLink
    links: list[NavLink]


def _link(item: MenuItem, current: str) -> NavLink:
    return NavLink(item.label, reverse(item.url_name, args=item.args), item.key == current)


def settings_page(
    request: HttpRequest,
    membership: Membership,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    current: str,
    status: int = 200,
) -> HttpResponse:
    """A page of Settings: the frame plus the settings menu, `current` highlighted."""
    menu = [
        MenuGroup(
            _link(own, current) if own else NavLink(heading, "", False),
            [_link(item, current) for item in items],
        )
        for heading, own, items in SETTINGS_MENU
    ]
    return page(
        request,
        membership,
        template,
        {"settings_menu": menu, **(context or {})},
        section="settings",
        status=status,
    )
