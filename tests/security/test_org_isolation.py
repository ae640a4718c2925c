"""No read API endpoint and no page shows another org's records: every URL pattern
of crmdp.urls is tried with the ids, codes and names of another org's records,
by the owner of this org (who sees everything of their own), with GET and POST.
A new pattern is covered the day it is added; one whose parameters this test does
not know fails until the test is taught them."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from crmdp.customers.models import Customer
from crmdp.listeners.models import Delivery, Listener
from crmdp.listeners.services import ListenerSettings, listener_create
from crmdp.messaging.models import Message
from crmdp.notes.models import Note
from crmdp.orgs.models import (
    CatalogItem,
    CatalogKind,
    CustomFieldDefinition,
    Membership,
    Org,
    UserGroup,
)
from crmdp.orgs.services import catalog_add, field_add, org_create, user_add
from tests.conftest import SENDER, Poster
from tests.security.routes import Route, all_routes

VICTIM_OWNER = "boss@victim.example"
# Words that appear nowhere but in the other org's data.
MARKERS = [
    "Victim Org",
    "Zebrafish",
    "zebra@victim.example",
    "0905111222",
    "Quokka",
    "Numbat Ltd",
    "Narwhal",
    "Ocelot",
    "Axolotl",
    "Pangolin",
    "Wombat",
    "okapi@victim.example",
    "Vicuna",
    "Capybara",
    "Tapir",
    VICTIM_OWNER,
]
# Patterns where another org's identifiers are not the question.
NOT_ORG_DATA = {
    "listener-inbound": "the token is the credential: whoever holds the URL may post to it",
    "hosted-form": "the token is the credential: the form is for whoever holds its URL",
    "openapi": "the same public document for everyone",
    "web:login": "no org yet",
    "web:logout": "ends the session",
    "web:password-reset-confirm": "the emailed one-time link is the credential; a made-up "
    "one changes nothing (tests/web/test_account.py)",
}


@dataclass
class Victim:
    org: Org
    listener: Listener
    values: dict[str, list[object]]  # URL parameter name → the victim's values for it

    def fingerprint(self) -> dict[str, Any]:
        """What a write through any page would change."""
        return {
            "listeners": list(
                Listener.objects.filter(org=self.org).values_list("name", "token", "enabled")
            ),
            "deliveries": Delivery.objects.filter(org=self.org).count(),
            "members": list(
                Membership.objects.filter(org=self.org).values_list("user__email", "role")
            ),
            "catalog": sorted(CatalogItem.objects.filter(org=self.org).values_list("name")),
            "fields": list(CustomFieldDefinition.objects.filter(org=self.org).values_list("name")),
            "groups": sorted(UserGroup.objects.filter(org=self.org).values_list("name")),
            "customers": sorted(
                Customer.objects.filter(org=self.org).values_list("name", "owner_id", "tags")
            ),
        }


@pytest.fixture
def victim(db) -> Victim:
    org, _ = org_create(name="Victim Org", owner_email=VICTIM_OWNER)
    member = user_add(org=org, email="okapi@victim.example", groups=["Vicuna"])
    stage = catalog_add(org=org, kind=CatalogKind.STAGE, name="Capybara")
    field = field_add(org=org, record_type="contact", name="Tapir", field_type="text")
    listener = listener_create(org=org, settings=ListenerSettings(name="Wombat"))
    poster = Poster(Client(), listener)
    # Codes count per org, so this org's PID-1 and ours are each their own org's
    # record (tests/listeners/test_codes.py). The victim's records probed here get
    # codes this org does not have (ours has one contact, PID-1): seeing one would
    # be a leak.
    poster.action("add-contact", {"name": "First"}, sender=VICTIM_OWNER)
    results = poster.actions(
        (
            "add-contact",
            {
                "name": "Zebrafish",
                "emails": [{"value": "zebra@victim.example"}],
                "phones": [{"value": "0905111222"}],
                "passport": "ZB123",
                "companyContact": {"name": "Numbat Ltd"},
            },
        ),
        ("add-lead", {"name": "Quokka"}),
        ("add-deal", {"name": "Narwhal", "stage": "Capybara", "dealWith": {"name": "Zebrafish"}}),
        ("add-ticket", {"title": "Axolotl", "body": "Axolotl", "email": "zebra@victim.example"}),
        ("send-sms", {"content": "Pangolin", "phones": ["0905111222"]}),
        sender=VICTIM_OWNER,
    )
    contact, lead, deal, ticket, _ = (r["record"] for r in results)
    assert contact["customerId"] == "PID-2"
    poster.actions(
        ("add-note", {"body": "Ocelot", "customerId": contact["customerId"]}),
        ("add-note", {"body": "Ocelot", "model": "deal", "dealId": str(deal["id"])}),
        sender=VICTIM_OWNER,
    )
    account = results[0]["related"][0]
    delivery = Delivery.objects.filter(listener=listener).first()
    assert delivery is not None
    return Victim(
        org,
        listener,
        {
            "code": [
                contact["customerId"],
                account["customerId"],
                lead["customerId"],
                ticket["code"],
            ],
            "deal_id": [deal["id"]],
            "listener_id": [listener.id],
            "delivery_id": [delivery.id],
            "request_id": [delivery.request_id],
            "member_id": [member.id],
            "group_id": list(UserGroup.objects.filter(org=org).values_list("id", flat=True)),
            "item_id": [stage.id],
            "slug": ["stages"],
            "field_id": [field.id],
            "note_id": list(Note.objects.filter(org=org).values_list("id", flat=True)),
            "message_id": list(Message.objects.filter(org=org).values_list("id", flat=True)),
        },
    )


@pytest.fixture
def viewer(org, listener, owner_api) -> tuple[Client, dict[str, str]]:
    """This org's owner: logged in for the pages, with a token for the API."""
    client = Client()
    client.force_login(org.memberships.get(user__email=SENDER).user)
    Poster(Client(), listener).action("add-contact", {"name": "Our own contact"})
    return client, {"HTTP_AUTHORIZATION": f"Bearer {owner_api.token}"}


def leaked(content: bytes, victim: Victim, echoed: Any = ()) -> list[str]:
    """The other org's words and codes in a response, but for what the request itself
    sent (a search box shows its query)."""
    text = content.decode(errors="replace")
    for value in echoed:
        # Only the value as a whole word: a query of "1" must not turn "PID-12" into "PID-2".
        text = re.sub(rf"(?<![\w-]){re.escape(str(value))}(?!\w)", "", text)
    found = [marker for marker in MARKERS if marker in text]
    found += [
        str(code)
        for code in victim.values["code"]
        if re.search(rf"\b{re.escape(str(code))}(?!\d)", text)
    ]
    if victim.listener.token in text:
        found.append("the listener token")
    return found


ROUTES = [route for route in all_routes() if route.name not in NOT_ORG_DATA]
WITH_IDS = [route for route in ROUTES if route.parameters]
WITHOUT_IDS = [route for route in ROUTES if not route.parameters]
# Parameters that name no record of any org: a page of one's own catalog of stages.
ORG_NEUTRAL = {"slug"}
# Fields a form might take an id from: each set to the other org's.
HOSTILE_FORM = {"org": "{org}", "enabled": "1", "change": "rename", "name": "Mine now"}


def paths(route: Route, victim: Victim, own_listener: int) -> list[str]:
    unknown = set(route.parameters) - set(victim.values)
    assert not unknown, f"{route}: teach this test the parameters {unknown}"
    names = list(route.parameters)
    found = []
    for combo in itertools.product(*(victim.values[name] for name in names)):
        values = dict(zip(names, combo, strict=True))
        found.append(route.path(values))
        if "listener_id" in values and len(values) > 1:
            # Our own listener with the other org's delivery or request in it.
            found.append(route.path({**values, "listener_id": own_listener}))
    return found


@pytest.mark.parametrize("route", WITH_IDS, ids=str)
def test_another_orgs_ids_find_nothing(route, victim, viewer, listener):
    client, api = viewer
    before = victim.fingerprint()
    form = {key: value.format(org=victim.org.id) for key, value in HOSTILE_FORM.items()}
    refused = {403, 404, 405}
    if set(route.parameters) <= ORG_NEUTRAL:
        refused |= {200, 302}  # one's own page; what it shows is checked below
    for path in paths(route, victim, listener.id):
        for response in (client.get(path, **api), client.post(path, form, **api)):
            if response.status_code == 302 and response.request["REQUEST_METHOD"] == "GET":
                # A POST-only page opened with GET goes back to the page above it
                # (issue 17) without doing anything; that page must give nothing away:
                # the other org's record refused, or one's own list.
                response = client.get(response["Location"], **api)
                assert response.status_code in refused | {200}, (path, response.status_code)
            else:
                assert response.status_code in refused, (path, response.status_code)
            assert leaked(response.content, victim) == [], path
    assert victim.fingerprint() == before


def probes(victim: Victim) -> list[dict[str, Any]]:
    codes = [str(code) for code in victim.values["code"]]
    return [
        {},
        *({"q": code} for code in codes),
        {"q": "Zebrafish"},
        {"q": "zebra@victim.example"},
        {"q": "0905111222"},
        {"email": "zebra@victim.example"},
        {"phone": "0905111222"},
        {"passport": "ZB123"},
        {"name": "Narwhal"},
        *({"customer": code} for code in codes),
        {"tag": "website"},
        {"source": victim.org.id, "owner": victim.org.id},
        {"record": "contact"},
    ]


@pytest.mark.parametrize("route", WITHOUT_IDS, ids=str)
def test_another_orgs_records_are_not_in_any_list_or_search(route, victim, viewer):
    client, api = viewer
    path = route.path({})
    before = victim.fingerprint()
    for params in probes(victim):
        response = client.get(path, params, **api)
        assert response.status_code < 500, (path, params)
        assert leaked(response.content, victim, params.values()) == [], (path, params)
    form = {key: value.format(org=victim.org.id) for key, value in HOSTILE_FORM.items()}
    response = client.post(path, form, follow=True, **api)
    assert leaked(response.content, victim) == [], path
    # Not even after trying to switch to the other org.
    assert leaked(client.get("/contacts/").content, victim) == []
    assert victim.fingerprint() == before


def test_every_pattern_is_tried_or_excused():
    names = {route.name for route in all_routes()}
    assert set(NOT_ORG_DATA) <= names  # the excuses name real patterns
    assert len(WITH_IDS) >= 15 and len(WITHOUT_IDS) >= 10
    assert {"api-customer", "api-deal", "api-ticket", "api-deliveries", "web:delivery"} <= {
        route.name for route in WITH_IDS
    }


def test_the_markers_are_seen_where_they_may_be(victim):
    # The victim's own owner sees them: the test looks for words that do show up.
    client = Client()
    client.force_login(victim.org.memberships.get(user__email=VICTIM_OWNER).user)
    assert "Zebrafish" in leaked(client.get("/contacts/").content, victim)
    code = victim.values["code"][0]
    assert "zebra@victim.example" in leaked(client.get(f"/contacts/{code}/").content, victim)
