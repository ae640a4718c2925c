"""A page's POST-only URL opened with GET (a bookmarked "Log out", a form's action
typed into the address bar) goes back where the person came from instead of a bare
"405 Method Not Allowed" (issue 17).

Only the people's pages: the listener and the read API answer their own JSON 405.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import url_has_allowed_host_and_scheme


def back_from(request: HttpRequest) -> str:
    """The page the person came from when it is one of ours and not this URL; else
    the page above this one (`/tickets/TID-3/status/` → `/tickets/TID-3/`)."""
    referer = request.headers.get("Referer", "")
    if (
        referer
        and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and not referer.split("?", 1)[0].endswith(request.path)
    ):
        return referer
    parent = request.path.rstrip("/").rsplit("/", 1)[0]
    return f"{parent}/" if parent else "/"


class PostOnlyRedirectMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            response.status_code == 405
            and request.method in ("GET", "HEAD")
            and match is not None
            and match.namespace == "web"
        ):
            return HttpResponseRedirect(back_from(request))
        return response
