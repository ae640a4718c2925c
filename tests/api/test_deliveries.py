"""The delivery log through the read API (SPEC §9): owners and admins only,
newest first, paginated with limit and cursor."""

import json

import pytest
from django.test import Client

from crmdp.api.schemas import DeliveryList, ErrorOut
from crmdp.listeners.services import ListenerSettings, listener_create
from crmdp.orgs.models import Role
from crmdp.orgs.services import org_create
from tests.conftest import SAMPLES, Poster, api_for, sample


def log_of(api, listener, **params):
    response = api.get(f"/api/v1/listeners/{listener.id}/deliveries", **params)
    assert response.status == 200, response
    DeliveryList.model_validate(response.json)
    return response.json


def test_each_entry_shows_the_request_and_the_answer(post, listener, owner_api):
    body = json.dumps(sample("add-contact"))
    answer = post.raw(body, REMOTE_ADDR="198.51.100.4")
    (entry,) = log_of(owner_api, listener)["results"]
    assert entry["body"] == body
    assert entry["status"] == 200
    assert entry["response"] == answer.json
    assert entry["requestId"] == answer.json["requestId"]
    assert entry["sourceIp"] == "198.51.100.4"
    assert entry["outcomes"] == {"created": 1}
    assert entry["durationMs"] > 0
    assert entry["receivedAt"].startswith("20")
    assert entry["bodySize"] == len(body.encode())


def test_refused_requests_are_listed_too(post, listener, owner_api):
    broken = (SAMPLES / "broken-update-lead-from-guide.json").read_bytes()
    post.raw(broken)
    stranger = sample("add-contact")
    stranger["senderUser"] = "stranger@example.com"
    post(stranger)
    second, first = log_of(owner_api, listener)["results"]
    assert (first["status"], first["body"]) == (400, broken.decode())
    assert "line 1, column 229" in first["response"]["error"]["message"]
    assert (second["status"], second["sender"]) == (403, "stranger@example.com")


def test_bodies_that_are_not_text_are_shown_with_replacement_characters(post, listener, owner_api):
    post.raw(b'{"a": "\xff"}')
    (entry,) = log_of(owner_api, listener)["results"]
    assert entry["body"] == '{"a": "\ufffd"}'


def test_newest_first_paginated_with_limit_and_cursor(post, listener, owner_api):
    for n in range(5):
        post.actions(("add-contact", {"name": f"N{n}"}))
    first = log_of(owner_api, listener, limit=2)
    assert [json.loads(e["body"])["data"][0]["data"]["name"] for e in first["results"]] == [
        "N4",
        "N3",
    ]
    seen = [e["id"] for e in first["results"]]
    page = first
    while page["next"]:
        follow = Client().get(page["next"], HTTP_AUTHORIZATION=f"Bearer {owner_api.token}")
        page = follow.json()
        DeliveryList.model_validate(page)
        seen += [e["id"] for e in page["results"]]
    assert len(seen) == 5
    assert seen == sorted(seen, reverse=True)
    rest = log_of(owner_api, listener, cursor=seen[1])
    assert [e["id"] for e in rest["results"]] == seen[2:]


def test_the_log_is_per_listener(post, listener, org, owner_api):
    other = listener_create(org=org, settings=ListenerSettings(name="Other"))
    Poster(Client(), other).actions(("add-contact", {"name": "Elsewhere"}))
    post.actions(("add-contact", {"name": "Here"}))
    (entry,) = log_of(owner_api, listener)["results"]
    assert "Here" in entry["body"]


def test_an_admin_may_read_the_log(post, listener, make_api):
    post(sample("add-contact"))
    assert len(log_of(make_api("admin@example.com", Role.ADMIN), listener)["results"]) == 1


def test_a_member_may_not_read_the_log(post, listener, make_api):
    post(sample("add-contact"))
    response = make_api("member@example.com").get(f"/api/v1/listeners/{listener.id}/deliveries")
    assert response.status == 404
    ErrorOut.model_validate(response.json)


def test_another_orgs_listener_is_not_found(post, listener, db):
    post(sample("add-contact"))
    other_org, _ = org_create(name="Other", owner_email="boss@other.example")
    other_owner = api_for(other_org, "boss@other.example", Role.OWNER)
    response = other_owner.get(f"/api/v1/listeners/{listener.id}/deliveries")
    assert response.status == 404
    ErrorOut.model_validate(response.json)


def test_without_a_token_the_log_gets_401(listener):
    response = Client().get(f"/api/v1/listeners/{listener.id}/deliveries")
    assert response.status_code == 401


@pytest.mark.parametrize("params", [{"limit": "x"}, {"cursor": "0"}])
def test_bad_paging_parameters_get_400(listener, owner_api, params):
    response = owner_api.get(f"/api/v1/listeners/{listener.id}/deliveries", **params)
    assert response.status == 400
    ErrorOut.model_validate(response.json)
