"""Settings of the org: the settings home, catalogs, custom fields, SMS, region (users
and groups are in members.py). Owners and admins only; every change goes through
crmdp.orgs.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from crmdp.lib.issues import Invalid
from crmdp.messaging.services import sms_set
from crmdp.orgs.models import CatalogKind, CustomFieldDefinition, Membership
from crmdp.orgs.selectors import (
    catalog,
    catalog_entry,
    custom_field,
    custom_fields,
    org_overview,
)
from crmdp.orgs.services import (
    catalog_add,
    catalog_move,
    catalog_remove,
    catalog_set_default,
    field_add,
    field_remove,
    org_set_region,
)
from crmdp.web.access import manager_view
from crmdp.web.forms import (
    CatalogForm,
    FieldForm,
    RegionForm,
    SmsForm,
    show_problems,
)
from crmdp.web.layout import CATALOG_PAGES, settings_page
from crmdp.web.records import Link


def settings_not_found(request: HttpRequest, membership: Membership, what: str) -> HttpResponse:
    back = Link("Settings", reverse("web:settings"))
    return settings_page(
        request,
        membership,
        "web/not_found.html",
        {"what": what, "back": back},
        current="",
        status=404,
    )


@manager_view
def settings_home(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.org
    return settings_page(
        request,
        membership,
        "web/settings/home.html",
        {
            "overview": org_overview(org),
            "catalog_pages": [(slug, label, kind) for slug, (kind, label) in CATALOG_PAGES.items()],
            "sms_status": _sms_status(membership),
        },
        current="",
    )


@manager_view
def other_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    return settings_page(
        request,
        membership,
        "web/settings/other.html",
        {"overview": org_overview(membership.org)},
        current="other",
    )


# -- catalogs -------------------------------------------------------------------------


_SLA_FIELDS = {"first-response": "first_response_minutes", "resolution": "resolution_minutes"}


@manager_view
def catalog_page(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    if slug not in CATALOG_PAGES:
        return settings_not_found(request, membership, "page")
    kind, title = CATALOG_PAGES[slug]
    form = CatalogForm(kind, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = catalog_add(
                org=membership.org,
                kind=kind,
                name=data["name"],
                first_response_minutes=data.get("first_response_minutes"),
                resolution_minutes=data.get("resolution_minutes"),
            )
        except Invalid as problem:
            # The service names the CLI's options; the form's fields are these.
            field = _SLA_FIELDS.get(problem.field, problem.field)
            show_problems(form, [Invalid(field, problem.message)])
        else:
            messages.success(request, f"“{item.name}” added to {title.lower()}.")
            return redirect("web:catalog", slug)
    return settings_page(
        request,
        membership,
        "web/settings/catalog.html",
        {
            "slug": slug,
            "kind": kind,
            "title": title,
            "noun": CatalogKind(kind).label,
            "items": list(catalog(membership.org, kind)),
            "form": form,
            "ordered": kind == CatalogKind.STAGE,
            "has_default": kind == CatalogKind.CURRENCY,
            "is_sla": kind == CatalogKind.SLA,
        },
        current=slug,
        status=400 if form.errors else 200,
    )


@require_POST
@manager_view
def catalog_item(
    request: HttpRequest, membership: Membership, slug: str, item_id: int
) -> HttpResponse:
    kind = CATALOG_PAGES.get(slug, ("", ""))[0]
    item = catalog_entry(membership.org, kind, item_id)
    if item is None:
        return settings_not_found(request, membership, "entry")
    change = request.POST.get("change")
    try:
        if change == "remove":
            catalog_remove(item=item)
            messages.success(request, f"“{item.name}” removed.")
        elif change in ("up", "down"):
            catalog_move(item=item, offset=-1 if change == "up" else 1)
        elif change == "default":
            catalog_set_default(item=item)
            messages.success(request, f"{item.name} is now the default.")
    except Invalid as problem:
        messages.error(request, problem.message[:1].upper() + problem.message[1:] + ".")
    return redirect("web:catalog", slug)


# -- custom fields --------------------------------------------------------------------


@manager_view
def fields(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = FieldForm(request.POST or None, initial={"record_type": request.GET.get("record")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            definition = field_add(
                org=membership.org,
                record_type=data["record_type"],
                name=data["name"],
                field_type=data["field_type"],
                choices=form.choice_list(),
            )
        except Invalid as problem:
            # The service names the command line's --choice/--type; the form's fields differ.
            field = {"choice": "choices", "type": "field_type", "record": "record_type"}
            show_problems(form, [Invalid(field.get(problem.field, problem.field), problem.message)])
        else:
            messages.success(
                request, f"{definition.record_type.capitalize()} field “{definition.name}” added."
            )
            return redirect("web:fields")
    by_type: dict[str, list[CustomFieldDefinition]] = {}
    for definition in custom_fields(membership.org):
        by_type.setdefault(definition.record_type, []).append(definition)
    return settings_page(
        request,
        membership,
        "web/settings/fields.html",
        {"form": form, "by_type": by_type},
        current="fields",
        status=400 if form.errors else 200,
    )


@require_POST
@manager_view
def field_remove_page(request: HttpRequest, membership: Membership, field_id: int) -> HttpResponse:
    definition = custom_field(membership.org, field_id)
    if definition is None:
        return settings_not_found(request, membership, "custom field")
    field_remove(definition=definition)
    messages.success(request, f"Field “{definition.name}” removed.")
    return redirect("web:fields")


# -- SMS ------------------------------------------------------------------------------


def _sms_status(membership: Membership) -> str:
    org = membership.org
    if org.sms_provider == "http":
        return f"Sending through the HTTP gateway {org.sms_url}."
    if org.sms_provider == "log":
        return "Messages are recorded, not sent (log provider)."
    return f"No provider: {org.sms_trial_remaining} trial messages left."


@manager_view
def sms(request: HttpRequest, membership: Membership) -> HttpResponse:
    org = membership.org
    initial: dict[str, Any] = {
        "provider": org.sms_provider,
        "url": org.sms_url,
    }
    form = SmsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sms_set(org, provider=data["provider"], url=data["url"])
        except Invalid as problem:
            show_problems(form, [problem])
        else:
            messages.success(request, f"SMS settings saved. {_sms_status(membership)}")
            return redirect("web:sms")
    return settings_page(
        request,
        membership,
        "web/settings/sms.html",
        {
            "form": form,
            "status": _sms_status(membership),
            "trial_remaining": org.sms_trial_remaining,
        },
        current="sms",
        status=400 if form.errors else 200,
    )


def _region_status(membership: Membership) -> str:
    org = membership.org
    conventions = org.conventions
    order = "01/02/1993 is 1 February" if conventions.day_first else "01/02/1993 is 2 January"
    thousands = (
        "50.000 is fifty thousand" if conventions.group == "." else "50,000 is fifty thousand"
    )
    return (
        f"Phones read in {org.phone_region}; {order}; {thousands}; "
        f"instants fall on the calendar of {conventions.timezone}."
    )


@manager_view
def region(request: HttpRequest, membership: Membership) -> HttpResponse:
    """How incoming dates, numbers and phones are read: the org's phone region,
    country and timezone. Stored values are not re-read."""
    org = membership.org
    initial = {"phone_region": org.phone_region, "country": org.country, "timezone": org.timezone}
    form = RegionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org_set_region(
                org,
                phone_region=data["phone_region"],
                country=data["country"],
                timezone=data["timezone"],
            )
        except Invalid as problem:
            show_problems(form, [problem])
        else:
            messages.success(request, f"Region saved. {_region_status(membership)}")
            return redirect("web:region")
    return settings_page(
        request,
        membership,
        "web/settings/region.html",
        {"form": form, "status": _region_status(membership)},
        current="region",
        status=400 if form.errors else 200,
    )
