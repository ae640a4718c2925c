"""Every URL pattern of crmdp.urls: only the listener is exempt from CSRF, and no
pattern answers an odd parameter (NUL, broken UTF-8, "²", huge numbers) with 5xx."""

from __future__ import annotations

import pytest
from django.test import Client

from crmdp.orgs.models import Role
from tests.conftest import SENDER
from tests.security.routes import all_routes

CSRF_EXEMPT = {"listener-inbound"}  # machines with a secret URL, not browsers with a session
# Answered by ProbeMiddleware ahead of the CSRF check; they take GET and HEAD only,
# so an unsafe method is refused (405) before anything could change.
PROBES = {"healthz", "readyz"}


def test_only_the_listener_view_is_csrf_exempt():
    exempt = {route.name for route in all_routes() if getattr(route.callback, "csrf_exempt", 0)}
    assert exempt == CSRF_EXEMPT


@pytest.mark.parametrize("route", [r for r in all_routes() if r.name in PROBES], ids=str)
def test_a_probe_refuses_every_unsafe_method(route):
    client = Client(enforce_csrf_checks=True)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(route.path({})).status_code == 405, (route, method)


@pytest.mark.parametrize(
    "route", [r for r in all_routes() if r.name not in CSRF_EXEMPT | PROBES], ids=str
)
def test_a_post_without_a_csrf_token_is_refused(route, org, listener, owner_api):
    # Logged in, as a browser would be: a forged cross-site form must not get through.
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.memberships.get(user__email=SENDER).user)
    values = {name: 1 for name in route.parameters}
    values |= {
        "code": "PID-1",
        "slug": "stages",
        "request_id": "00000000-0000-0000-0000-000000000000",
    }
    response = client.post(
        route.path(values), {"name": "forged"}, HTTP_AUTHORIZATION=f"Bearer {owner_api.token}"
    )
    assert response.status_code == 403, route
    assert b"CSRF" in response.content


def test_the_listener_takes_a_post_without_a_csrf_token(post, org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.memberships.get(user__email=SENDER).user)  # even with a session
    response = client.post(
        post.listener.path, {"senderUser": SENDER, "data": []}, content_type="application/json"
    )
    assert response.status_code == 200


ODD_VALUES = [
    "%00",
    "a%00b",
    "%ED%A0%80",
    "%FF%FE",
    "%C3%28",
    "²",
    "PID-²",
    "TID-²",
    "9" * 30,
    "-1",
]


@pytest.mark.parametrize("route", all_routes(), ids=str)
def test_no_pattern_answers_an_odd_parameter_with_a_5xx(route, org, listener, make_api):
    api = make_api("admin@example.com", Role.ADMIN)
    client = Client(raise_request_exception=False)
    client.force_login(org.memberships.get(user__email=SENDER).user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    names = list(route.parameters) or [None]
    for name in names:
        for odd in ODD_VALUES:
            values: dict[str, object] = {n: listener.id for n in route.parameters}
            if name:
                values[name] = odd
            path = route.path(values)
            query = {"q": odd, "cursor": odd, "limit": odd, "page": odd}
            for response in (
                client.get(path, **auth),
                client.get(f"{path}?" + "&".join(f"{k}={v}" for k, v in query.items()), **auth),
                client.post(path, {"org": odd, "name": odd}, **auth),
            ):
                assert response.status_code < 500, (path, response.status_code)
