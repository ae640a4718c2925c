"""The hosted form: `GET /f/<token>`, a plain HTML form of a `form` listener's fields
that posts to the listener, for a site to link to or show in a frame.

Framing is allowed only to the listener's embed origins (CSP frame-ancestors); so
is the page a browser gets back after posting (the thank-you page or an error),
which shows in the same frame.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from crmdp.lib.issues import Invalid
from crmdp.listeners.format_settings import (
    DEFAULT_FORM_FIELDS,
    FORM_FIELD_LABELS,
    form_field_names,
)
from crmdp.listeners.formats.form import HONEYPOT
from crmdp.listeners.models import Format, Listener
from crmdp.listeners.selectors import listener_for_token
from crmdp.orgs.models import Membership, Role

_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # as crmdp.listeners.views looks up
# How each known field is asked for: input type, autocomplete token.
_INPUTS = {
    "first_name": ("text", "given-name"),
    "last_name": ("text", "family-name"),
    "name": ("text", "name"),
    "email": ("email", "email"),
    "phone": ("tel", "tel"),
    "company": ("text", "organization"),
    "title": ("text", "organization-title"),
    "street": ("text", "street-address"),
    "city": ("text", "address-level2"),
    "zip": ("text", "postal-code"),
    "country": ("text", "country-name"),
}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    input_type: str  # text, email, tel, or textarea
    autocomplete: str


def form_fields(listener: Listener, names: Sequence[str] = ()) -> list[FormField]:
    fields = []
    for name in names or listener.form_fields or DEFAULT_FORM_FIELDS:
        label = FORM_FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()
        input_type, autocomplete = _INPUTS.get(name, ("text", "off"))
        if name == "message":
            input_type = "textarea"
        fields.append(FormField(name, label, input_type, autocomplete))
    return fields


def frame_policy(listener: Listener) -> str:
    """The Content-Security-Policy of what the hosted form shows: our own styles, no
    script, posts to our own origin (and the redirects after them), framed only by
    the embed origins."""
    # 'self': the listener's settings page previews the form in a frame.
    ancestors = " ".join(["'self'", *listener.embed_origins])
    targets = ["'self'"]
    if listener.redirect_url:
        parts = urlsplit(listener.redirect_url)
        targets.append(f"{parts.scheme}://{parts.netloc}")
    targets += [f"https://{host}" for host in listener.redirect_hosts]
    return "; ".join(
        [
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self'",
            "form-action " + " ".join(dict.fromkeys(targets)),
            "base-uri 'none'",
            f"frame-ancestors {ancestors}",
        ]
    )


def allow_framing(listener: Listener, response: HttpResponse) -> None:
    response["Content-Security-Policy"] = frame_policy(listener)
    response.xframe_options_exempt = True


@require_GET
@xframe_options_exempt
def hosted_form(request: HttpRequest, token: str) -> HttpResponse:
    listener = listener_for_token(token) if _TOKEN_SHAPE.fullmatch(token) else None
    if listener is None or listener.format != Format.FORM:
        return HttpResponse("Not found", status=404, content_type="text/plain")
    response = render(
        request,
        "listeners/hosted_form.html",
        {
            "listener": listener,
            "fields": form_fields(listener, _previewed_fields(request, listener)),
            "honeypot": HONEYPOT,
            "action": listener.path,
        },
    )
    allow_framing(listener, response)
    return response


def _previewed_fields(request: HttpRequest, listener: Listener) -> list[str]:
    """`?fields=a,b` from the listener's owners and admins only (the settings page's
    live preview); anyone else sees the saved fields."""
    wanted = request.GET.get("fields")
    if wanted is None or not request.user.is_authenticated:
        return []
    manages = Membership.objects.filter(
        org_id=listener.org_id,
        user_id=request.user.pk,
        is_active=True,
        role__in=(Role.OWNER, Role.ADMIN),
    ).exists()
    if not manages:
        return []
    try:
        return form_field_names(wanted[:2000].split(","))
    except Invalid:
        return []  # what is being typed is not valid yet: the saved fields


def embed_snippets(listener: Listener, site: str) -> tuple[str, str]:
    """What a site pastes (`site`: this server's origin): a frame showing the hosted
    form, and a plain HTML form posting to the listener (honeypot included)."""
    form_url = f"{site}/f/{listener.token}"
    frame = (
        f'<iframe src="{escape(form_url)}" title="{escape(listener.name)}" '
        'style="width:100%;min-height:560px;border:0" loading="lazy"></iframe>'
    )
    lines = [f'<form method="post" action="{escape(site + listener.path)}">']
    for field in form_fields(listener):
        lines.append(f'  <label for="{field.name}">{escape(field.label)}</label>')
        if field.input_type == "textarea":
            lines.append(f'  <textarea id="{field.name}" name="{field.name}"></textarea>')
        else:
            lines.append(
                f'  <input id="{field.name}" name="{field.name}" type="{field.input_type}" '
                f'autocomplete="{field.autocomplete}">'
            )
    lines += [
        "  <!-- A honeypot: people never see it, bots fill it in (and are kept out). -->",
        f'  <input name="{HONEYPOT}" type="text" tabindex="-1" autocomplete="off" '
        'style="position:absolute;left:-10000px" aria-hidden="true">',
        '  <button type="submit">Send</button>',
        "</form>",
    ]
    return frame, "\n".join(lines)
