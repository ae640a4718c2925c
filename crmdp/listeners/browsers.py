"""What a form listener says to a browser: a 303 to the site's thank-you page (or
a small one of ours), and CORS for the sites allowed to embed the form, so that
their own JavaScript can post to it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from crmdp.listeners.envelope import Reply
from crmdp.listeners.hosted import allow_framing
from crmdp.listeners.models import Format, Listener

_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{}</title></head><body><main><h1>{}</h1><p>{}</p></main></body></html>"
)


def wants_html(request: HttpRequest) -> bool:
    """A browser's own form post (Accept: text/html...), not a script asking for JSON."""
    accept = request.headers.get("Accept", "").lower()
    return "text/html" in accept and "application/json" not in accept


def page_for(reply: Reply) -> HttpResponse:
    if reply.status == 200:
        if reply.redirect:
            response = HttpResponse(status=303)
            response["Location"] = reply.redirect
            return response
        return HttpResponse(
            format_html(_PAGE, "Thank you", "Thank you!", "Your message has been sent.")
        )
    error = reply.body.get("error", {})
    message = error.get("message", "the form could not be sent") if isinstance(error, dict) else ""
    return HttpResponse(
        format_html(_PAGE, "Not sent", "Your message was not sent", message),
        status=reply.status,
    )


def allowed_origin(request: HttpRequest, listener: Listener | None) -> str | None:
    origin = request.headers.get("Origin", "").strip()
    if listener is None or listener.format != Format.FORM or not origin:
        return None
    return origin if origin.lower() in {o.lower() for o in listener.embed_origins} else None


def allow_origin(request: HttpRequest, listener: Listener, response: HttpResponse) -> None:
    response["Vary"] = "Origin"
    origin = allowed_origin(request, listener)
    if origin:
        response["Access-Control-Allow-Origin"] = origin


def preflight(request: HttpRequest, listener: Listener | None) -> HttpResponse:
    """OPTIONS before a cross-origin POST: allowed for the embed origins only."""
    origin = allowed_origin(request, listener)
    response = HttpResponse(status=204 if origin else 403)
    response["Vary"] = "Origin"
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST"
        response["Access-Control-Allow-Headers"] = "Content-Type, Accept, Idempotency-Key"
        response["Access-Control-Max-Age"] = "600"
    return response


def form_response(request: HttpRequest, listener: Listener, reply: Reply) -> HttpResponse:
    """A form listener's answer: a page (or a 303) for a browser's own post, JSON for
    a script; CORS for the sites allowed to embed the form."""
    if wants_html(request):
        response = page_for(reply)
        allow_framing(listener, response)  # shown in the hosted form's frame: same sites only
    else:
        response = reply.as_json()
    for name, value in reply.headers.items():
        response[name] = value
    allow_origin(request, listener, response)
    return response
