"""A request to `POST /listener/<token>` (SPEC §3): who may send, what the body
must look like, the limits, and how the actions of one request relate."""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmdp.api.schemas import ErrorOut, ListenerResponse
from crmdp.customers.models import Customer, CustomerKey
from crmdp.history.models import HistoryEntry
from crmdp.lib.netaddr import parse_networks
from crmdp.listeners.actions import ACTIONS
from crmdp.listeners.models import Delivery
from crmdp.listeners.services import (
    ListenerSettings,
    listener_create,
    listener_regenerate,
    listener_set_enabled,
)
from crmdp.messaging.models import Message
from crmdp.orgs.models import Membership, User
from crmdp.orgs.services import org_create, user_add
from tests.conftest import SAMPLES, SENDER, Poster, sample


def envelope(*actions, sender=SENDER):
    return {"senderUser": sender, "data": [{"actionType": t, "data": d} for t, d in actions]}


def assert_error(response, status, code):
    assert response.status == status, response
    ErrorOut.model_validate(response.json)
    assert response.json["error"]["code"] == code
    return response.json["error"]


# -- the sender -----------------------------------------------------------------------


def test_an_active_member_may_send_and_owns_what_is_created(post, org):
    user_add(org=org, email="member@example.com")
    result = post.action("add-contact", {"name": "Lan"}, sender="Member@Example.com ")
    assert result["status"] == "created"
    assert Customer.objects.get(id=result["record"]["id"]).owner.email == "member@example.com"


def test_an_unknown_sender_is_refused_with_403(post):
    response = post(envelope(("add-contact", {"name": "Lan"}), sender="nobody@example.com"))
    error = assert_error(response, 403, "unknown_sender")
    assert error["details"][0]["field"] == "senderUser"
    assert not Customer.objects.exists()


def test_a_sender_whose_membership_is_inactive_is_refused(post, org):
    membership = user_add(org=org, email="gone@example.com")
    Membership.objects.filter(id=membership.id).update(is_active=False)
    response = post(envelope(("add-contact", {"name": "Lan"}), sender="gone@example.com"))
    assert_error(response, 403, "unknown_sender")
    assert not Customer.objects.exists()


def test_a_sender_whose_login_is_disabled_is_refused(post, org):
    user_add(org=org, email="locked@example.com")
    User.objects.filter(email="locked@example.com").update(is_active=False)
    response = post(envelope(("add-contact", {"name": "Lan"}), sender="locked@example.com"))
    assert_error(response, 403, "unknown_sender")


def test_a_user_of_another_org_is_refused(post):
    org_create(name="Other Org", owner_email="boss@other.example")
    response = post(envelope(("add-contact", {"name": "Lan"}), sender="boss@other.example"))
    assert_error(response, 403, "unknown_sender")
    assert not Customer.objects.exists()


# -- the body -------------------------------------------------------------------------


def test_guide_broken_sample_gets_400_naming_line_and_column(post):
    response = post.raw((SAMPLES / "broken-update-lead-from-guide.json").read_bytes())
    error = assert_error(response, 400, "invalid_body")
    assert "line 1, column 229" in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data": []}, "senderUser"),
        ({"senderUser": SENDER}, "data"),
        ({"senderUser": SENDER, "data": {"actionType": "add-contact"}}, "data"),
        ({"senderUser": "  ", "data": []}, "senderUser"),
    ],
)
def test_an_incomplete_envelope_gets_400_naming_the_field(post, body, field):
    error = assert_error(post(body), 400, "invalid_envelope")
    assert field in [detail["field"] for detail in error["details"]]


def test_a_body_that_is_not_an_object_gets_400(post):
    assert_error(post.raw("[1, 2]"), 400, "invalid_envelope")


def test_any_content_type_is_read_as_json(post):
    body = json.dumps(envelope(("add-contact", {"name": "Lan"})))
    response = post.raw(body, content_type="text/plain")
    assert response.status == 200, response
    assert response.json["results"][0]["status"] == "created"


def test_nesting_deeper_than_the_limit_gets_400(post, settings):
    settings.CRMDP_MAX_DEPTH = 5
    deep = {"name": "Lan", "bgInfo": [[[[["deep"]]]]]}
    error = assert_error(post(envelope(("add-contact", deep))), 400, "invalid_body")
    assert "deeper than 5" in error["message"]


# -- limits ---------------------------------------------------------------------------


def test_a_body_over_the_limit_gets_413_and_changes_nothing(post, settings):
    body = json.dumps(envelope(("add-contact", {"name": "Lan", "bgInfo": "x" * 600})))
    settings.CRMDP_MAX_BODY_BYTES = len(body) - 1
    assert_error(post.raw(body), 413, "body_too_large")
    assert not Customer.objects.exists()
    settings.CRMDP_MAX_BODY_BYTES = len(body)
    assert post.raw(body).status == 200


def test_more_actions_than_the_limit_gets_413_and_changes_nothing(post, settings):
    settings.CRMDP_MAX_ACTIONS = 3
    actions = [("add-contact", {"name": f"N{i}", "passport": f"P{i}"}) for i in range(4)]
    error = assert_error(post(envelope(*actions)), 413, "too_many_actions")
    assert error["details"][0]["field"] == "data"
    assert not Customer.objects.exists()
    assert len(post.actions(*actions[:3])) == 3


# -- the token and the method ---------------------------------------------------------


def test_an_unknown_token_gets_404_without_a_hint(db, client):
    response = client.post("/listener/no-such-token", "{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_disabled_listener_answers_exactly_like_an_unknown_one(post, listener, client):
    listener_set_enabled(listener=listener, enabled=False)
    disabled = post(sample("add-contact"))
    unknown = client.post("/listener/no-such-token", "{}", content_type="application/json")
    assert disabled.status == 404
    assert disabled.json == unknown.json()
    assert not Customer.objects.exists()


def test_a_regenerated_url_stops_the_old_one_at_once(post, listener):
    old_path = listener.path
    listener_regenerate(listener=listener)
    assert Client().post(old_path, "{}", content_type="application/json").status_code == 404
    assert post(sample("add-contact")).status == 200


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_get_405_with_allow_post(listener, method):
    response = getattr(Client(), method)(listener.path)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    ErrorOut.model_validate(response.json())


# -- where requests may come from -----------------------------------------------------


@pytest.fixture
def guarded(org):
    """A listener that accepts one address and one range."""
    found = listener_create(
        org=org,
        settings=ListenerSettings(name="Office only", allowed_ips=["203.0.113.7", "10.8.0.0/16"]),
    )
    return Poster(Client(), found)


BODY = envelope(("add-contact", {"name": "Lan"}))


@pytest.mark.parametrize("address", ["203.0.113.7", "10.8.200.1"])
def test_allowed_addresses_and_ranges_are_accepted(guarded, address):
    assert guarded(BODY, REMOTE_ADDR=address).status == 200


@pytest.mark.parametrize("address", ["203.0.113.8", "10.9.0.1", "127.0.0.1"])
def test_other_addresses_get_403(guarded, address):
    error = assert_error(guarded(BODY, REMOTE_ADDR=address), 403, "ip_not_allowed")
    assert address in error["message"]
    assert not Customer.objects.exists()


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(guarded, settings):
    settings.TRUSTED_PROXIES = parse_networks(["192.0.2.1"])
    # Anyone may send the header; it cannot fool the allowlist.
    forged = guarded(BODY, REMOTE_ADDR="198.51.100.5", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert_error(forged, 403, "ip_not_allowed")
    assert not Customer.objects.exists()


def test_forwarded_for_from_a_trusted_proxy_names_the_client(guarded, settings):
    settings.TRUSTED_PROXIES = parse_networks(["192.0.2.0/24"])
    through_proxy = guarded(BODY, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert through_proxy.status == 200, through_proxy
    refused = guarded(BODY, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.5")
    assert_error(refused, 403, "ip_not_allowed")


def test_a_client_cannot_prepend_an_allowed_address_through_a_trusted_proxy(guarded, settings):
    settings.TRUSTED_PROXIES = parse_networks(["192.0.2.1"])
    response = guarded(
        BODY, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.5"
    )
    assert_error(response, 403, "ip_not_allowed")


# -- the actions of one request -------------------------------------------------------


def test_an_empty_data_array_is_valid(post):
    response = post({"senderUser": SENDER, "data": []})
    assert response.status == 200
    assert response.json["results"] == []
    ListenerResponse.model_validate(response.json)


def test_one_result_per_action_in_order(post):
    response = post(
        envelope(
            ("add-lead", {"name": "First", "emails": [{"value": "first@example.com"}]}),
            ("add-contact", {"name": "Second", "type": "1"}),
            ("add-contact", {"name": "Third"}),
        )
    )
    assert response.status == 200
    ListenerResponse.model_validate(response.json)
    results = response.json["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert [r["actionType"] for r in results] == ["add-lead", "add-contact", "add-contact"]
    assert [r["record"]["type"] for r in results] == ["lead", "account", "contact"]
    names = [Customer.objects.get(id=r["record"]["id"]).name for r in results]
    assert names == ["First", "Second", "Third"]


def test_a_later_action_sees_what_an_earlier_one_created(post):
    contact = {"name": "Lan", "emails": [{"value": "lan@example.com"}]}
    first, second, third = post.actions(
        ("add-contact", contact),
        ("add-contact", contact),
        ("update-contact", {"emails": [{"value": "lan@example.com"}], "title": "Dr"}),
    )
    assert first["status"] == "created"
    assert second["status"] == "duplicate"
    assert second["record"]["id"] == first["record"]["id"]
    assert third["status"] == "updated"
    assert Customer.objects.get().title == "Dr"


def test_a_failing_action_changes_nothing_and_does_not_stop_the_others(post):
    post.actions(("add-contact", {"name": "Lan", "emails": [{"value": "twin@example.com"}]}))
    post.actions(("add-contact", {"name": "Lan", "phones": [{"value": "0905000001"}]}))
    results = post.actions(
        ("add-contact", {"name": "Before"}),
        # Two contacts are called Lan and neither has this email: ambiguous.
        ("update-contact", {"name": "Lan", "emails": [{"value": "new@example.com"}], "title": "X"}),
        ("add-contact", {"lastname": "has no name"}),
        ("add-contact", {"name": "After"}),
    )
    assert [r["status"] for r in results] == ["created", "error", "error", "created"]
    assert "2 records match" in results[1]["errors"][0]["message"]
    assert results[2]["errors"][0]["field"] == "data[2].data.name"
    assert not Customer.objects.filter(title="X").exists()
    assert not Customer.objects.filter(lastname="has no name").exists()
    assert set(Customer.objects.values_list("name", flat=True)) == {"Lan", "Before", "After"}


def test_an_action_failing_after_its_own_writes_leaves_no_trace_in_a_batch(org, listener):
    # Actions run without a savepoint of their own. The second one names a new
    # company but fails (the contact has no name) while it is read, before any write:
    # nothing of it may be stored, and the others' records, keys, history and welcome
    # emails must be there exactly once. (An action that fails after a write of its
    # own makes the request run again with a savepoint per action: test_batch.py.)
    listener.email_enabled = True
    listener.email_subject, listener.email_body = "Welcome", "Hello {{name}}"
    listener.save()
    post = Poster(Client(), listener)
    results = post.actions(
        ("add-contact", {"name": "Before", "emails": [{"value": "before@example.com"}]}),
        ("add-contact", {"companyContact": {"name": "Ghost Co"}, "lastname": "Nameless"}),
        ("add-contact", {"name": "Again", "emails": [{"value": "before@example.com"}]}),
        ("add-contact", {"name": "After", "emails": [{"value": "after@example.com"}]}),
    )

    assert [r["status"] for r in results] == ["created", "error", "duplicate", "created"]
    assert results[1]["errors"][0]["field"] == "data[1].data.name"
    assert results[2]["record"]["id"] == results[0]["record"]["id"]
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["After", "Before"]
    before = Customer.objects.get(name="Before")
    assert before.history.count() == 2  # created, then arrived again
    assert sorted(Message.objects.values_list("to", flat=True)) == [
        "after@example.com",
        "before@example.com",
    ]
    assert not CustomerKey.objects.filter(key__contains="ghost").exists()
    assert not HistoryEntry.objects.filter(text__contains="Ghost").exists()
    # The request is logged once, with the answer of the run that committed.
    assert Delivery.objects.get().outcomes == {"created": 2, "error": 1, "duplicate": 1}


def test_an_unknown_action_type_is_an_error_naming_the_allowed_ones(post):
    first, second, third = post.actions(
        ("add-banana", {"name": "x"}), ("", {"name": "x"}), ("add-contact", {"name": "Lan"})
    )
    assert first["status"] == "error"
    assert first["errors"][0]["field"] == "data[0].actionType"
    for action_type in ACTIONS:
        assert action_type in first["errors"][0]["message"]
    assert second["status"] == "error"
    assert "add-contact" in second["errors"][0]["message"]
    assert third["status"] == "created"


def test_an_action_that_is_not_an_object_is_an_error_of_its_own(post):
    response = post({"senderUser": SENDER, "data": ["add-contact", {"actionType": "add-contact"}]})
    assert response.status == 200
    first, second = response.json["results"]
    assert first["status"] == "error"
    assert first["errors"][0]["field"] == "data[0]"
    assert second["status"] == "error"
    assert second["errors"][0]["field"] == "data[1].data"


def test_unknown_keys_of_the_envelope_and_the_action_are_warnings(post):
    body = envelope(("add-contact", {"name": "Lan"}))
    body["data"][0]["extra"] = 1
    body["source"] = "crm-sync"
    response = post(body)
    assert response.status == 200
    result = response.json["results"][0]
    assert result["status"] == "created"
    assert {"field": "data[0].extra", "message": "unknown field; ignored"} in result["warnings"]


def test_every_answer_carries_a_request_id(post):
    ok = post(envelope(("add-contact", {"name": "Lan"})))
    refused = post(envelope(("add-contact", {"name": "Lan"}), sender="x@y.z"))
    assert ok.json["requestId"] != refused.json["requestId"]
    assert ErrorOut.model_validate(refused.json).request_id == refused.json["requestId"]


# -- no request crashes the listener --------------------------------------------------

KEYS = [
    "name", "lastname", "title", "type", "gender", "passport", "contactId", "customerId",
    "bgInfo", "dateOfBirth", "emails", "phones", "addresses", "im", "websites", "tag",
    "cusFields", "permit", "companyContact", "companyLead", "contactType", "value",
    "protocol", "street", "country", "code", "status", "group", "users", "source",
]  # fmt: skip
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**15), 10**15)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
    | st.sampled_from(["", " ", "0", "1", "VN", "a@b.co", "0905000001", "PID-1", "1993-01-01"])
    | st.text(alphabet="ab ", min_size=190, max_size=600)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | text, inner, max_size=4)
    ),
    max_leaves=12,
)
CUSTOMER_ACTIONS = ["add-contact", "add-lead", "update-contact", "update-lead", "add-banana"]
actions = st.lists(
    st.fixed_dictionaries(
        {
            "actionType": st.sampled_from(CUSTOMER_ACTIONS),
            "data": st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8),
        }
    ),
    max_size=3,
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions)
def test_no_request_crashes_the_listener(post, items):
    response = post({"senderUser": SENDER, "data": items})
    assert response.status == 200, response
    ListenerResponse.model_validate(response.json)
    for result in response.json["results"]:
        assert result["status"] in {
            "created",
            "duplicate",
            "updated",
            "not_found",
            "queued",
            "error",
        }
        for problem in result["errors"]:
            assert "could not be stored" not in problem["message"], result
