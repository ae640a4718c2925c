"""A Content-Security-Policy on every answer (issue 13).

The pages load their CSS and JavaScript from the app itself and have no inline
script, so the policy allows only our own origin: injected markup (a customer
name that slipped past escaping, say) can neither run a script nor send data
elsewhere. The one inline style, the bare 500 page's (it must render even when
static files do not), is allowed by its hash. First in MIDDLEWARE, so answers made
by other middleware (health probes, 503s, redirects) carry it too.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from django.http import HttpRequest, HttpResponse

_ERROR_PAGE = Path(__file__).resolve().parent / "templates" / "500.html"


def _style_hashes(template: Path) -> list[str]:
    styles = re.findall(r"<style>(.*?)</style>", template.read_text(), re.DOTALL)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"
        for style in styles
    ]


POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        " ".join(["style-src 'self'", *_style_hashes(_ERROR_PAGE)]),
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
