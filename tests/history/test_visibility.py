"""A history line that names another record is shown only to those who may see it."""

from __future__ import annotations

import pytest

from crmdp.orgs.models import CatalogKind, Role
from crmdp.orgs.services import catalog_add, user_add
from tests.conftest import SENDER


@pytest.fixture
def member(make_api):
    return make_api("member@example.com", Role.MEMBER)


def _lines(api, code):
    response = api.get(f"/api/v1/customers/{code}")
    assert response.status == 200, response
    return [line["text"] for line in response.json["history"]]


def test_a_private_contact_joining_a_company_is_not_shown_on_the_company(post, owner_api, member):
    company = post.action("add-contact", {"name": "Acme", "type": 1})["record"]["customerId"]
    post.action(
        "add-contact",
        {"name": "Secret", "permit": {"status": 2}, "companyContact": {"customerId": company}},
    )
    assert any("Secret joined this company" in line for line in _lines(owner_api, company))
    assert not any("Secret" in line for line in _lines(member, company))


def test_a_private_note_is_not_shown_on_the_customer_timeline(post, owner_api, member):
    code = post.action("add-contact", {"name": "Lan", "emails": [{"value": "lan@example.com"}]})[
        "record"
    ]["customerId"]
    post.action(
        "add-note", {"body": "salary talk", "email": "lan@example.com", "permit": {"status": 2}}
    )
    post.action("add-note", {"body": "called back", "email": "lan@example.com"})
    assert any("salary talk" in line for line in _lines(owner_api, code))
    member_lines = _lines(member, code)
    assert any("called back" in line for line in member_lines)
    assert not any("salary talk" in line for line in member_lines)


def test_a_private_deal_is_not_named_on_its_customers_timeline(post, org, owner_api, member):
    catalog_add(org=org, kind=CatalogKind.STAGE, name="New")
    user_add(org=org, email=SENDER, role=Role.OWNER)
    result = post.action(
        "add-deal",
        {
            "name": "Secret merger",
            "stage": "New",
            "permit": {"status": 2},
            "dealWith": {"name": "Lan", "emails": [{"value": "lan@example.com"}]},
        },
    )
    code = result["related"][0]["customerId"]
    assert any("Secret merger" in line for line in _lines(owner_api, code))
    member_lines = _lines(member, code)
    assert member_lines  # the customer itself is visible, with its own lines
    assert not any("Secret merger" in line for line in member_lines)
