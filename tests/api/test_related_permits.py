"""Permits hold through related records (issue 13): a record a member may see can
point at one they may not (a deal's customer, a ticket's deal, a contact's
company); then the API answers null for it and the pages say "Not shared with
you", and neither its name nor its code appears anywhere in the answer."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.listeners.guide_org import set_up_guide_org

HIDDEN = {"status": 3, "group": "Nhom 1"}  # nhanvien1 is in Nhom 1, nhanvien2 is not
INSIDER, OUTSIDER = "nhanvien1@beeiq.co", "nhanvien2@beeiq.co"


@pytest.fixture
def records(org, post):
    set_up_guide_org(org)
    lan = post.action(
        "add-contact",
        {
            "name": "Lan",
            "emails": [{"value": "lan@example.com"}],
            "permit": {"status": 1},
            "companyContact": {"name": "Secret Co", "permit": HIDDEN},
        },
    )
    open_deal = post.action(
        "add-deal",
        {
            "name": "Open deal",
            "stage": "New",
            "permit": {"status": 1},
            "dealWith": {"name": "Hidden Person", "permit": HIDDEN},
        },
    )
    secret_deal = post.action(
        "add-deal",
        {
            "name": "Secret deal",
            "stage": "New",
            "permit": HIDDEN,
            "dealWith": {
                "name": "Vy",
                "emails": [{"value": "vy@example.com"}],
                "permit": {"status": 1},
            },
        },
    )
    ticket = post.action("add-ticket", {"body": "About it", "dealId": secret_deal["record"]["id"]})
    return {
        "lan": lan["record"]["customerId"],
        "company": lan["related"][0]["customerId"],
        "open_deal": open_deal["record"]["id"],
        "hidden_person": open_deal["related"][0]["customerId"],
        "secret_deal": secret_deal["record"]["id"],
        "ticket": ticket["record"]["code"],
    }


def api_answers(make_api, email, records):
    api = make_api(email)
    answers = {
        "customer": api.get(f"/api/v1/customers/{records['lan']}"),
        "customers": api.get("/api/v1/customers", q="Lan"),
        "deal": api.get(f"/api/v1/deals/{records['open_deal']}"),
        "deals": api.get("/api/v1/deals"),
        "ticket": api.get(f"/api/v1/tickets/{records['ticket']}"),
    }
    for name, answer in answers.items():
        assert answer.status == 200, (name, answer)
    return {name: answer.json for name, answer in answers.items()}


def test_the_api_answers_null_for_related_records_the_reader_may_not_see(records, make_api):
    seen = api_answers(make_api, OUTSIDER, records)
    assert seen["customer"]["company"] is None
    assert [c["company"] for c in seen["customers"]["results"]] == [None]
    assert seen["deal"]["customer"] is None
    open_deal = next(d for d in seen["deals"]["results"] if d["name"] == "Open deal")
    assert open_deal["customer"] is None
    assert seen["ticket"]["deal"] is None
    everything = json.dumps(seen, ensure_ascii=False)
    for secret in ("Secret Co", records["company"], "Hidden Person", records["hidden_person"]):
        assert secret not in everything, secret
    assert "Secret deal" not in everything

    # The member in the permit's group sees every name.
    insider = api_answers(make_api, INSIDER, records)
    assert insider["customer"]["company"] == {"customerId": records["company"], "name": "Secret Co"}
    assert insider["deal"]["customer"]["name"] == "Hidden Person"
    assert insider["ticket"]["deal"]["name"] == "Secret deal"


def test_the_pages_say_not_shared_with_you_and_name_nothing(records, org, make_api):
    pages = {}
    for email in (OUTSIDER, INSIDER):
        make_api(email)  # the membership
        client = Client()
        client.force_login(org.memberships.get(user__email=email).user)
        pages[email] = "".join(
            client.get(url).content.decode()
            for url in (
                "/contacts/",
                "/contacts/?q=Lan",
                f"/contacts/{records['lan']}/",
                "/deals/",
                f"/deals/{records['open_deal']}/",
                f"/tickets/{records['ticket']}/",
            )
        )
    outsider, insider = pages[OUTSIDER], pages[INSIDER]
    assert "Not shared with you" in outsider
    for secret in ("Secret Co", records["company"], "Hidden Person", records["hidden_person"]):
        assert secret not in outsider, secret
        assert secret in insider, secret
    assert "Secret deal" not in outsider
    assert "Secret deal" in insider
    assert "Not shared with you" not in insider
