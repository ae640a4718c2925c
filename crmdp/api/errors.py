"""Django's error pages, answered as JSON to machines: under `/api/` and
`/listener/` a client reads `{"error": …}` whatever went wrong, even for a URL that
matches no view (`/api/v1/deals/-1`) or a request Django refuses before any view
(a bad Host header). People's pages keep the HTML templates.

A 500 names the request's id (crmdp/lib/request_ids.py) in its body, beside the
`X-Request-Id` header: the same id ends Django's log line with the traceback."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.views import defaults

from crmdp.lib.request_ids import request_id
from crmdp.listeners.results import error_body

_MACHINE_PREFIXES = ("/api/", "/listener/")


def _for_machines(request: HttpRequest) -> bool:
    return request.path.startswith(_MACHINE_PREFIXES)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _for_machines(request):
        return JsonResponse(error_body("bad_request", "the request could not be read"), status=400)
    return defaults.bad_request(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _for_machines(request):
        return JsonResponse(error_body("not_found", "nothing at this address"), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    given = str(request_id(request))
    if _for_machines(request):
        body = error_body("internal_error", "the request could not be processed")
        return JsonResponse({**body, "requestId": given}, status=500)
    # Rendered without the request: nothing that could fail again (the session, the
    # database) is touched on the way out.
    page = loader.get_template("500.html").render({"request_id": given})
    return HttpResponseServerError(page)
