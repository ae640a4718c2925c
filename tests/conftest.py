"""Shared fixtures: an org with the guide's sender, a listener, and ways to post to it."""

from __future__ import annotations

import copy
import ipaddress
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

import crmdp.api.auth
import crmdp.listeners
from crmdp.api.schemas import CustomerOut
from crmdp.lib import outbound
from crmdp.lib.throttle import SlidingLimit
from crmdp.listeners.models import Listener
from crmdp.listeners.services import ListenerSettings, listener_create, source_named
from crmdp.orgs.models import Org, Role
from crmdp.orgs.services import org_create, user_add
from crmdp.orgs.tokens import issue_token

SAMPLES = Path(crmdp.listeners.__file__).parent / "samples"
SENDER = "huy.nguyenviet@htklabs.com"  # the senderUser of the guide's samples


def sample(name: str) -> dict[str, Any]:
    """One of the guide's sample requests (a fresh copy each time)."""
    return json.loads((SAMPLES / f"{name}.json").read_text())


def sample_action(name: str) -> dict[str, Any]:
    """The `data` of a sample's first action."""
    return copy.deepcopy(sample(name)["data"][0]["data"])


# A public address that the tests' DNS gives to made-up names; nothing connects to it.
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture(autouse=True)
def dns(settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """No test resolves a real name or sends a packet off this machine: outbound
    requests (crmdp.lib.outbound) read this table instead of DNS (names under
    example.com resolve to a public address unless a test says otherwise) and may
    connect only to loopback. The tests' gateways listen on loopback, so private
    addresses are allowed unless a test turns CRMDP_OUTBOUND_ALLOW_PRIVATE off."""
    table: dict[str, list[str]] = {"localhost": ["127.0.0.1", "::1"]}

    def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return list(table[host])
        if host == "example.com" or host.endswith(".example.com"):
            return [PUBLIC_ADDRESS]
        raise socket.gaierror(f"{host}: not in the tests' DNS")

    def connect(address: tuple[str, int], timeout: Any = None, *args: Any) -> socket.socket:
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(f"tests send nothing off this machine ({address[0]})")
        return socket.create_connection(address, timeout, *args)

    monkeypatch.setattr(outbound, "resolver", resolve)
    monkeypatch.setattr(outbound, "connect", connect)
    settings.CRMDP_OUTBOUND_ALLOW_PRIVATE = True
    return table


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """PBKDF2 is slow on purpose (a quarter second per user); tests guard no passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_bad_token_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no bad API tokens counted against its address (the count
    lives in the process, and every test client comes from 127.0.0.1)."""
    monkeypatch.setattr(
        crmdp.api.auth, "_bad_tokens", SlidingLimit(django_settings.CRMDP_API_BAD_TOKEN_LIMIT)
    )


@pytest.fixture
def org(db: None) -> Org:
    org, _ = org_create(name="Test Org", owner_email=SENDER, password="pw-for-tests-1")
    return org


@pytest.fixture
def listener(org: Org) -> Listener:
    return listener_create(
        org=org,
        settings=ListenerSettings(
            name="Web form",
            default_tag="website",
            default_contact_source=source_named(org, "Website"),
            default_lead_source=source_named(org, "Website lead"),
        ),
    )


class Response:
    def __init__(self, status: int, body: Any, headers: dict[str, str]) -> None:
        self.status = status
        self.json = body
        self.headers = headers

    def __repr__(self) -> str:
        return f"<{self.status} {json.dumps(self.json)[:500]}>"


class Poster:
    """Posts to a listener through Django's test client and reads the JSON answer."""

    def __init__(self, client: Client, listener: Listener) -> None:
        self.client = client
        self.listener = listener

    def raw(
        self, body: bytes | str, content_type: str = "application/json", **extra: Any
    ) -> Response:
        response = self.client.post(
            self.listener.path, data=body, content_type=content_type, **extra
        )
        try:
            parsed = json.loads(response.content)
        except ValueError:
            parsed = None
        return Response(response.status_code, parsed, dict(response.items()))

    def __call__(self, body: dict[str, Any], **extra: Any) -> Response:
        return self.raw(json.dumps(body), **extra)

    def actions(self, *actions: tuple[str, Any], sender: str = SENDER) -> list[dict[str, Any]]:
        """Post these (actionType, data) pairs; returns the results, asserting a 200."""
        response = self(
            {"senderUser": sender, "data": [{"actionType": t, "data": d} for t, d in actions]}
        )
        assert response.status == 200, response
        return response.json["results"]

    def action(self, action_type: str, data: Any, sender: str = SENDER) -> dict[str, Any]:
        return self.actions((action_type, data), sender=sender)[0]


@pytest.fixture
def post(listener: Listener) -> Poster:
    return Poster(Client(), listener)


class Api:
    """The read API as one member of an org sees it."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.token = token

    def get(self, path: str, **params: Any) -> Response:
        response = self.client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {self.token}")
        return Response(response.status_code, json.loads(response.content), dict(response.items()))

    def customer(self, code: str) -> dict[str, Any]:
        """One customer as the read API shows it, held to the API's response model."""
        response = self.get(f"/api/v1/customers/{code}")
        assert response.status == 200, response
        CustomerOut.model_validate(response.json)
        return response.json


def api_for(org: Org, email: str, role: str = Role.MEMBER, groups: tuple[str, ...] = ()) -> Api:
    membership = user_add(org=org, email=email, role=role, groups=groups)
    return Api(issue_token(membership))


@pytest.fixture
def owner_api(org: Org) -> Api:
    return api_for(org, SENDER, Role.OWNER)


@pytest.fixture
def make_api(org: Org) -> Callable[..., Api]:
    return lambda email, role=Role.MEMBER, groups=(): api_for(org, email, role, groups)
