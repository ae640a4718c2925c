"""Logging in and out, and choosing the org to work in."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from crmdp.lib.netaddr import client_address
from crmdp.orgs.logins import login_failed, login_succeeded, login_wait
from crmdp.orgs.models import Membership
from crmdp.web.access import member_view, switch_org
from crmdp.web.layout import NAV


class EmailLoginForm(AuthenticationForm):
    """Logins are emails, stored lower-case: "Huy@Example.com" logs in too.

    Failed logins are throttled per account and per client address (crmdp/orgs/logins.py);
    while either is locked the password is not checked and the form says how long to wait.
    """

    def clean_username(self) -> str:
        return str(self.cleaned_data.get("username") or "").strip().lower()

    def clean(self) -> dict[str, Any]:
        email = str(self.cleaned_data.get("username") or "")
        if not email or not self.cleaned_data.get("password"):
            return super().clean()
        client = _client(self.request)
        wait = login_wait(email=email, client=client)
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            raise ValidationError(
                f"Too many failed logins for this account or from this address. Try again"
                f" in {minutes} minute{'s' if minutes != 1 else ''}, or ask the operator"
                " to unlock it.",
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failed(email=email, client=client)
            raise
        login_succeeded(email=email)
        return cleaned


def client_of(request: HttpRequest | None) -> str:
    """The client's address, through the trusted proxies (login and reset limits)."""
    return _client(request)


def _client(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        settings.TRUSTED_PROXIES,
    )


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["account_failures"] = settings.CRMDP_LOGIN_ACCOUNT_FAILURES
        context["lockout_minutes"] = max(1, settings.CRMDP_LOGIN_LOCKOUT_SECONDS // 60)
        return context


@member_view
def home(request: HttpRequest, membership: Membership) -> HttpResponse:
    return redirect("web:contacts")


@require_POST
@login_required
def org_switch(request: HttpRequest) -> HttpResponse:
    """Work in another org; back to the same section (its list, not a record of the
    previous org)."""
    raw = request.POST.get("org", "")
    membership = switch_org(request, int(raw)) if raw.isdecimal() and len(raw) < 19 else None
    if membership is None:
        messages.error(request, "You are not a member of that org.")
        return redirect("web:home")
    messages.success(request, f"Now working in {membership.org.name}.")
    for section in NAV:
        if section.key == request.POST.get("section") and (
            membership.sees_everything or not section.managers_only
        ):
            return redirect(section.url_name)
    return redirect("web:home")
