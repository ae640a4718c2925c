"""The WSGI application: Django's, with a shorter middleware chain for deliveries.

A delivery to a listener (`/listener/<token>`, crmdp/listeners/views.py) is a
machine posting with a secret URL: it has no session, no login, no flash messages,
no CSRF token (the view is exempt), asks for no static file and is never a page's
POST-only URL. The middleware that serves those things for people still ran on
every delivery: on 2 cores, with a request's other work measured in milliseconds,
creating the message storage, the lazy user and the session store, and the calls
through six more layers, cost about 0.1 ms of CPU per request (bench/README.md,
"fixed costs per request").

So such a request goes through `settings.MIDDLEWARE` less `BROWSER_ONLY`, in the
same order: the request id, the Content-Security-Policy, the probes, Django's
security headers, the outage 503s, CommonMiddleware (which checks the Host header
against ALLOWED_HOSTS) and X-Frame-Options all still run, and the view and
exception hooks (the CSRF exemption check, the outage 503) are the ones the full
chain registered. `settings.MIDDLEWARE` itself is unchanged, so `check --deploy`
sees every class it looks for. Every other path takes the full chain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.utils.module_loading import import_string

# Middleware for people's browsers that does nothing for a listener delivery.
BROWSER_ONLY = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "crmdp.web.post_only.PostOnlyRedirectMiddleware",
    }
)
# The inbound view's URL (crmdp/urls.py) and nothing else under /listener/.
DELIVERY_PATH = re.compile(r"/listener/[^/]+")


class Handler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async)
        everything: Callable[[HttpRequest], Any] = self._middleware_chain  # type: ignore[has-type]
        deliveries = self._chain([p for p in settings.MIDDLEWARE if p not in BROWSER_ONLY])

        def dispatch(request: HttpRequest) -> Any:
            if DELIVERY_PATH.fullmatch(request.path_info):
                return deliveries(request)
            return everything(request)

        self._middleware_chain = dispatch

    def _chain(self, paths: list[str]) -> Callable[[HttpRequest], Any]:
        """Django's own way of wrapping `_get_response` in middleware (BaseHandler.
        load_middleware), for `paths`; the view and exception hooks are not added
        again: the full chain's instances of the same classes run them."""
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(paths):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            handler = convert_exception_to_response(instance)
        return handler
