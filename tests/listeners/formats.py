"""What the listener-format tests share: the senders' bodies (fixtures modelled on
their published documentation) and listeners of each format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.test import Client

from crmdp.listeners.models import Listener
from crmdp.listeners.services import ListenerSettings, listener_create, source_named
from crmdp.orgs.models import Org, User
from tests.conftest import SENDER, Poster

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(format_name: str, name: str) -> bytes:
    return (FIXTURES / format_name / name).read_bytes()


def fixture_json(format_name: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(fixture(format_name, name))
    return loaded


def format_listener(org: Org, format_name: str, **fields: Any) -> Listener:
    """A listener of `format_name` with these format settings, created by the org's
    owner (who then owns what it creates)."""
    return listener_create(
        org=org,
        settings=ListenerSettings(
            name=f"{format_name} listener",
            default_lead_source=source_named(org, "Web lead"),
            format=format_name,
            **fields,
        ),
        actor=User.objects.get(email=SENDER),
    )


def poster(listener: Listener) -> Poster:
    return Poster(Client(), listener)
