"""The read API for customers (SPEC §9): bearer tokens, search, one customer,
permits, and orgs that never see each other."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crmdp.api.schemas import CustomerList, CustomerOut, ErrorOut
from crmdp.listeners.services import ListenerSettings, listener_create
from crmdp.orgs.models import Membership, Role, User
from crmdp.orgs.services import field_add, org_create, user_add
from crmdp.orgs.tokens import issue_token
from tests.conftest import SENDER, Api, Poster, sample


def add(post, action="add-contact", sender=SENDER, **data):
    result = post.action(action, data, sender=sender)
    assert result["status"] == "created", result
    return result["record"]["customerId"]


def listed(api, **params):
    response = api.get("/api/v1/customers", **params)
    assert response.status == 200, response
    CustomerList.model_validate(response.json)
    return [customer["customerId"] for customer in response.json["results"]]


def assert_not_found(response):
    assert response.status == 404, response
    ErrorOut.model_validate(response.json)


# -- tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer crmdp_not-a-token", "Token {token}", "{token}"]
)
def test_no_token_or_a_bad_one_gets_401(owner_api, header):
    extra = {}
    if header is not None:
        extra["HTTP_AUTHORIZATION"] = header.format(token=owner_api.token)
    for path in ("/api/v1/customers", "/api/v1/customers/PID-1"):
        response = Client().get(path, **extra)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        ErrorOut.model_validate(response.json())


def test_a_token_of_an_inactive_membership_or_user_gets_401(org, make_api):
    api = make_api("mai@example.com")
    assert api.get("/api/v1/customers").status == 200
    Membership.objects.filter(user__email="mai@example.com").update(is_active=False)
    assert api.get("/api/v1/customers").status == 401
    Membership.objects.filter(user__email="mai@example.com").update(is_active=True)
    User.objects.filter(email="mai@example.com").update(is_active=False)
    assert api.get("/api/v1/customers").status == 401


def test_each_token_is_its_own_and_all_of_a_users_tokens_work(org):
    membership = user_add(org=org, email="mai@example.com")
    first, second = issue_token(membership), issue_token(membership)
    assert first != second
    assert Api(first).get("/api/v1/customers").status == 200
    assert Api(second).get("/api/v1/customers").status == 200


def test_the_api_reads_only(owner_api):
    response = Client().post(
        "/api/v1/customers",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {owner_api.token}",
    )
    assert response.status_code == 405


# -- one customer ---------------------------------------------------------------------


def test_one_customer_has_every_field_of_the_spec(post, org, owner_api):
    field_add(org=org, record_type="contact", name="Referred By", field_type="text")
    body = sample("add-contact")
    data = body["data"][0]["data"]
    data["cusFields"] = [{"name": "Referred By", "value": "Cong"}]
    data["tag"] = "webhook, vip"
    data["companyContact"] = {"name": "GOOGLE"}
    result = post(body).json["results"][0]
    shown = owner_api.customer(result["record"]["customerId"])
    company = result["related"][0]["customerId"]
    assert shown == {
        "type": "contact",
        "id": result["record"]["id"],
        "customerId": result["record"]["customerId"],
        "name": "Huy",
        "lastname": "Nguyen",
        "title": "This is title",
        "passport": "1945295865",
        "gender": 1,
        "bgInfo": "Thành viên AntBuddy",
        "dateOfBirth": "1993-01-01",
        "emails": [{"type": "Other", "value": "huy.nguyen@htklabs.com"}],
        "phones": [{"type": "Other", "value": "01234567890", "e164": None}],  # invalid in VN
        "addresses": [
            {
                "type": "Other",
                "street": "58 Ton That Dam",
                "city": "Da Nang",
                "state": "Thanh Khe",
                "zip": "5100000",
                "country": shown["addresses"][0]["country"],
            }
        ],
        "im": [{"protocol": "Facebook", "value": "Huy Nguyen Viet"}],
        "websites": [{"value": "htk-inc.com"}],
        "tags": ["webhook", "vip"],
        "source": "Website",
        "owner": SENDER,
        "permit": {"status": 1, "group": None, "users": []},
        "customFields": {"Referred By": "Cong"},
        "company": {"customerId": company, "name": "GOOGLE"},
        "companyLead": "",
        "contactId": "",
        "attribution": {},
        "createdAt": shown["createdAt"],
        "history": shown["history"],
    }
    assert shown["addresses"][0]["country"]["code"] == "VN"
    assert shown["createdAt"].startswith("20")


def test_history_is_newest_first_with_times(post, owner_api):
    code = add(post, name="Lan", passport="P1")
    post.action("update-contact", {"passport": "P1", "title": "CEO"})
    history = owner_api.customer(code)["history"]
    assert len(history) == 2
    assert history[0]["text"].startswith("Updated by")
    assert history[1]["text"].startswith("Created by")
    assert history[0]["at"] >= history[1]["at"]


def test_codes_are_read_in_any_case_with_spaces_around(post, owner_api):
    code = add(post, name="Lan")
    response = owner_api.get(f"/api/v1/customers/{code.lower()}%20")
    assert response.status == 200
    assert response.json["customerId"] == code


@pytest.mark.parametrize("code", ["PID-0", "PID-999999", "XYZ-1", "PID-abc", "PID-", "42"])
def test_an_unknown_code_gets_404(owner_api, code):
    assert_not_found(owner_api.get(f"/api/v1/customers/{code}"))


def test_a_code_names_one_kind_of_record(post, owner_api):
    lead = add(post, "add-lead", name="Huy")
    number = lead.split("-")[1]
    assert owner_api.get(f"/api/v1/customers/{lead}").status == 200
    assert_not_found(owner_api.get(f"/api/v1/customers/PID-{number}"))
    assert_not_found(owner_api.get(f"/api/v1/customers/CID-{number}"))


# -- search ---------------------------------------------------------------------------


@pytest.fixture
def people(post):
    return {
        "lan": add(
            post,
            name="Lan",
            lastname="Tran Thi",
            passport="B 1234",
            emails=[{"value": "lan@example.com"}],
            phones=[{"value": "0905 000 001"}],
        ),
        "long": add(post, name="Long", emails=[{"value": "long@example.com"}]),
        "acme": add(post, name="Acme", type=1, phones=[{"value": "0905000002"}]),
        "lead": add(post, "add-lead", name="Lan", emails=[{"value": "lan@example.com"}]),
    }


def test_search_by_email_in_any_case(owner_api, people):
    assert set(listed(owner_api, email=" LAN@Example.com")) == {people["lan"], people["lead"]}


@pytest.mark.parametrize("phone", ["0905000001", "+84 905 000 001", "84-905-000-001"])
def test_search_by_phone_in_any_spelling(owner_api, people, phone):
    assert listed(owner_api, phone=phone) == [people["lan"]]


def test_search_by_passport_ignoring_spaces_and_case(owner_api, people):
    assert listed(owner_api, passport="b1234") == [people["lan"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("lan", {"lan", "lead"}),
        ("LO", {"long"}),
        ("lan tran", {"lan"}),
        ("long@example.com", {"long"}),
        ("0905000002", {"acme"}),
        ("nobody", set()),
    ],
)
def test_search_by_q_finds_codes_emails_phones_and_name_starts(owner_api, people, q, expected):
    assert set(listed(owner_api, q=q)) == {people[name] for name in expected}


def test_search_by_q_with_a_code(owner_api, people):
    assert listed(owner_api, q=people["acme"].lower()) == [people["acme"]]


def test_search_filters_combine(owner_api, people):
    assert listed(owner_api, email="lan@example.com", q="Lan Tran") == [people["lan"]]
    assert listed(owner_api, email="lan@example.com", phone="0905000002") == []


def test_an_invalid_email_finds_nothing(owner_api, people):
    assert listed(owner_api, email="not an email") == []


def test_an_empty_filter_means_not_given(owner_api, people):
    assert len(listed(owner_api, email="", phone="", passport="", q="")) == len(people)


def test_no_filter_lists_everything_newest_first(owner_api, people):
    assert listed(owner_api) == [people["lead"], people["acme"], people["long"], people["lan"]]


def test_the_list_is_paginated_with_limit_and_cursor(owner_api, people):
    first = owner_api.get("/api/v1/customers", limit=3)
    CustomerList.model_validate(first.json)
    assert [c["customerId"] for c in first.json["results"]] == [
        people["lead"],
        people["acme"],
        people["long"],
    ]
    next_url = first.json["next"]
    assert "cursor=" in next_url
    second = owner_api.get("/api/v1/customers", limit=3, cursor=first.json["results"][-1]["id"])
    assert [c["customerId"] for c in second.json["results"]] == [people["lan"]]
    assert second.json["next"] is None
    follow = Client().get(next_url, HTTP_AUTHORIZATION=f"Bearer {owner_api.token}")
    assert follow.json() == second.json


@pytest.mark.parametrize("params", [{"limit": "many"}, {"limit": 0}, {"cursor": "-4"}])
def test_bad_paging_parameters_get_400_naming_them(owner_api, params):
    response = owner_api.get("/api/v1/customers", **params)
    assert response.status == 400
    ErrorOut.model_validate(response.json)
    assert response.json["error"]["details"][0]["field"] == next(iter(params))


# -- permits --------------------------------------------------------------------------


@pytest.fixture
def shared(post, org):
    """Records of every permit, owned by the guide's sender (an owner)."""
    user_add(org=org, email="named@example.com")
    user_add(org=org, email="grouped@example.com", groups=["Sales"])
    return {
        "everybody": add(post, name="Everybody", permit={"status": 1}),
        "only-me": add(post, name="Only me", permit={"status": 2}),
        "group": add(post, name="Group", permit={"status": 3, "group": "Sales"}),
        "users": add(post, name="Users", permit={"status": 4, "users": ["named@example.com"]}),
    }


@pytest.mark.parametrize(
    ("email", "groups", "visible"),
    [
        ("plain@example.com", (), {"everybody"}),
        ("grouped@example.com", ("Sales",), {"everybody", "group"}),
        ("named@example.com", (), {"everybody", "users"}),
    ],
)
def test_members_see_what_the_permits_let_them_see(shared, make_api, email, groups, visible):
    api = make_api(email, groups=groups)
    assert set(listed(api)) == {shared[name] for name in visible}
    for name, code in shared.items():
        status = api.get(f"/api/v1/customers/{code}").status
        assert status == (200 if name in visible else 404), name


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_see_everything(shared, make_api, role):
    api = make_api("boss@example.com", role)
    assert set(listed(api)) == set(shared.values())


def test_a_member_never_sees_another_users_only_me_record_in_any_search(shared, make_api):
    api = make_api("plain@example.com")
    code = shared["only-me"]
    assert listed(api, q="Only") == []
    assert listed(api, q=code) == []
    assert_not_found(api.get(f"/api/v1/customers/{code}"))


def test_a_member_sees_their_own_only_me_records(post, org, make_api):
    mine = make_api("mai@example.com")
    other = make_api("long@example.com")
    code = add(post, sender="mai@example.com", name="Mine", permit={"status": 2})
    assert listed(mine) == [code]
    assert mine.customer(code)["owner"] == "mai@example.com"
    assert listed(other) == []


def test_a_member_leaving_the_group_stops_seeing_its_records(shared, org, make_api):
    api = make_api("grouped@example.com", groups=("Sales",))
    assert shared["group"] in listed(api)
    org.groups.get(name="Sales").members.clear()
    assert shared["group"] not in listed(api)


# -- other orgs -----------------------------------------------------------------------


@pytest.fixture
def elsewhere(db):
    """Another org with one contact of each kind, sharing emails and passports with ours."""
    org, _ = org_create(name="Elsewhere", owner_email="boss@elsewhere.example")
    poster = Poster(Client(), listener_create(org=org, settings=ListenerSettings(name="F")))
    sender = "boss@elsewhere.example"
    return {
        "contact": add(
            poster,
            sender=sender,
            name="Lan",
            passport="B1234",
            emails=[{"value": "lan@example.com"}],
            phones=[{"value": "0905000001"}],
        ),
        "account": add(poster, sender=sender, name="Lan Co", type=1),
        "lead": add(poster, "add-lead", sender=sender, name="Lan"),
    }


def test_nothing_of_another_org_is_ever_visible(owner_api, elsewhere):
    for code in elsewhere.values():
        assert_not_found(owner_api.get(f"/api/v1/customers/{code}"))
        assert listed(owner_api, q=code) == []
    assert listed(owner_api) == []
    assert listed(owner_api, q="Lan") == []
    assert listed(owner_api, email="lan@example.com") == []
    assert listed(owner_api, phone="0905000001") == []
    assert listed(owner_api, passport="B1234") == []


def test_our_records_are_found_but_never_theirs(post, owner_api, elsewhere):
    ours = add(post, name="Lan", passport="B1234")
    assert listed(owner_api, passport="B1234") == [ours]
    assert listed(owner_api, q="lan") == [ours]


def test_a_user_in_two_orgs_sees_each_through_its_own_token(org, elsewhere, post):
    ours = add(post, name="Ours")
    here = Api(issue_token(user_add(org=org, email="both@example.com", role=Role.ADMIN)))
    theirs_org = Membership.objects.get(user__email="boss@elsewhere.example").org
    there = Api(issue_token(user_add(org=theirs_org, email="both@example.com", role=Role.ADMIN)))
    assert listed(here) == [ours]
    assert set(listed(there)) == set(elsewhere.values())


def test_every_customer_response_validates_against_the_models(post, owner_api, people):
    response = owner_api.get("/api/v1/customers")
    CustomerList.model_validate(response.json)
    for customer in response.json["results"]:
        CustomerOut.model_validate(
            owner_api.get(f"/api/v1/customers/{customer['customerId']}").json
        )


def test_listing_costs_the_same_queries_for_one_customer_or_many(post, org, make_api):
    api = make_api("named@example.com")
    api.get("/api/v1/customers")  # the token's first use is recorded once

    def queries_to_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = api.get("/api/v1/customers")
        assert response.status == 200
        return len(captured.captured_queries)

    permit = {"status": 4, "users": ["named@example.com"]}
    add(post, name="First", permit=permit, companyContact={"name": "Co 0"})
    one = queries_to_list()
    for n in range(1, 6):
        add(post, name=f"N{n}", permit=permit, companyContact={"name": f"Co {n}"})
    assert len(listed(api)) == 12
    # One of them asks, for the whole page, which companies the member may see.
    assert queries_to_list() == one <= 6


def test_an_accounts_history_includes_its_contacts_lines(post, owner_api):
    company = post.action("add-contact", {"type": 1, "name": "HTK Labs"})["record"]["customerId"]
    lan = post.action("add-contact", {"name": "Lan", "companyContact": {"customerId": company}})[
        "record"
    ]["customerId"]

    history = owner_api.customer(company)["history"]

    [lans] = [line for line in history if "customerId" in line]
    assert (lans["customerId"], lans["text"][:19]) == (lan, "Created by listener")
    assert history[0]["text"].startswith(f"{lan} Lan joined this company")  # its own line
    assert "customerId" not in history[0]
    assert "customerId" not in owner_api.customer(lan)["history"][0]
