"""Logging in and out, and choosing the org to work in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from crmdp.orgs.models import Membership
from crmdp.web.access import member_view, switch_org
from crmdp.web.layout import NAV


class EmailLoginForm(AuthenticationForm):
    """Logins are emails, stored lower-case: "Huy@Example.com" logs in too."""

    def clean_username(self) -> str:
        return str(self.cleaned_data.get("username") or "").strip().lower()


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True


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
