"""A person's own login: changing their password, and getting a new one by email
when they forgot it (issue 17). Only ever the logged-in user's own login, or the one
the emailed link names: an org's admins never set another person's password here
(issue 13: a login may belong to several orgs)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy

from crmdp.orgs.logins import reset_allowed
from crmdp.orgs.models import Membership
from crmdp.web.access import member_view
from crmdp.web.layout import page
from crmdp.web.pages.session import client_of

log = logging.getLogger(__name__)


@member_view
def password_change(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The logged-in user's own password: the current one, then the new one twice."""
    form = PasswordChangeForm(membership.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # stay logged in here; other sessions end
        messages.success(request, "Password changed.")
        return redirect("web:password-change")
    return page(
        request,
        membership,
        "web/account/password_change.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


class ThrottledResetForm(PasswordResetForm):
    """Django's reset form (one-time link, same answer whether or not the address has
    a login) with a limit per address and per client (CRMDP_RESET_EMAILS_PER_HOUR,
    CRMDP_RESET_REQUESTS_PER_HOUR; past either, the page answers the same and sends
    nothing), and a mail failure logged rather than shown: the page must not tell
    who has a login."""

    client = ""

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not reset_allowed(email=self.cleaned_data["email"], client=self.client):
            log.warning("password reset not sent: too many requests (client %s)", self.client)
            return
        super().save(*args, **kwargs)

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().send_mail(*args, **kwargs)
        except Exception:  # SMTP down: logged for the operator, never shown
            log.exception("password reset email could not be sent")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/account/password_reset.html"
    email_template_name = "web/account/password_reset_email.txt"
    subject_template_name = "web/account/password_reset_subject.txt"
    form_class = ThrottledResetForm
    success_url = reverse_lazy("web:password-reset-sent")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.client = client_of(self.request)
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["minutes"] = settings.PASSWORD_RESET_TIMEOUT // 60
        return context


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "web/account/password_reset_sent.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["minutes"] = settings.PASSWORD_RESET_TIMEOUT // 60
        return context


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/account/password_reset_confirm.html"
    success_url = reverse_lazy("web:login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Password set. Log in with the new one.")
        return response
