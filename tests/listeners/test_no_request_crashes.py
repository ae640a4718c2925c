"""No request of any action, however odd its values, crashes the listener: every
action's result is one of the statuses SPEC §3 lists, and nothing is "could not be
stored". The keys are every field name the action schemas know, so new fields are
covered as they are added; the values include the strings that break `int()`
("²", thousands of digits) and the database (integers past 64 bits)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmdp.api.schemas import ListenerResponse
from crmdp.listeners.actions import ACTIONS
from crmdp.orgs.models import CatalogKind
from crmdp.orgs.services import catalog_add
from tests.conftest import SAMPLES, SENDER, sample
from tests.listeners.guide_org import set_up_guide_org

STATUSES = {"created", "updated", "duplicate", "not_found", "queued", "error"}


def field_names(schema: dict[str, Any]) -> set[str]:
    """Every property name anywhere in a JSON schema (nested models included)."""
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= set(schema.get("properties", {}))
        for value in schema.values():
            names |= field_names(value)
    elif isinstance(schema, list):
        for value in schema:
            names |= field_names(value)
    return names


KEYS = sorted(
    set().union(*(field_names(h.schema.model_json_schema(by_alias=True)) for h in ACTIONS.values()))
)
ODD = [
    "²",  # str.isdigit() is True, int() refuses it
    "١٢",  # Arabic-Indic digits: a number to int()
    "9" * 5000,  # int() refuses more than 4300 digits
    "9" * 25,  # past any 64-bit column
    "-1",
    "0",
    "1e5",
    "NaN",
    " ",
    "PID-²",
    "PID-99999999999999999999",
    "LID-1",
    "CID-0",
    "TID-1",
    "New",
    "a@b.co",
    "0905000001",
    "+84905000001",
    "1993-01-01",
    "31/02/2020",
    "Fri Jan 01 1993 00:00:00 GMT+0700 (ICT)",
    "A|B",
    "contact",
    "deal",
    "lead",
    "customer",
    "‮",  # right-to-left override
    "İ",  # changes length when case-folded
    "😀",
    "' OR 1=1 --",
    "{{ org }}",
    "%00",
]
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=10,
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
    | st.sampled_from(ODD)
    | st.sampled_from(ODD)  # twice: the odd values are what this test is for
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | text, inner, max_size=4)
    ),
    max_leaves=10,
)


def action_data(action_type: str) -> st.SearchStrategy[dict[str, Any]]:
    """The action's own fields, each present or not; the required ones mostly there."""
    schema = ACTIONS[action_type].schema.model_json_schema(by_alias=True)
    required = set(schema.get("required", []))
    fields = sorted(schema.get("properties", {}))
    return st.fixed_dictionaries(
        {},
        optional={
            **{name: json_values for name in fields},
            **{name: odd_or_text for name in required},
        },
    )


odd_or_text = st.sampled_from(ODD) | text
actions = st.lists(
    st.sampled_from(sorted(ACTIONS)).flatmap(
        lambda action_type: st.fixed_dictionaries(
            {"actionType": st.just(action_type), "data": action_data(action_type)}
        )
    ),
    min_size=1,
    max_size=3,
)


@pytest.fixture
def stage(org):
    return catalog_add(org=org, kind=CatalogKind.STAGE, name="New")


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions)
def test_no_request_of_any_action_crashes_the_listener(post, stage, items):
    response = post({"senderUser": SENDER, "data": items})
    assert response.status == 200, response
    ListenerResponse.model_validate(response.json)
    for result in response.json["results"]:
        assert result["status"] in STATUSES, result
        for problem in result["errors"]:
            assert "could not be stored" not in problem["message"], result


def test_the_keys_cover_every_action():
    assert {"name", "emails", "dealId", "stage", "body", "slaName", "content", "phones"} <= set(
        KEYS
    )


# Values that have broken readers of numbers, codes and text before.
BREAKERS: list[Any] = ["²", "9" * 5000, "PID-99999999999999999999", 2**70, -1, True, [None], {}]


def sample_actions() -> list[dict[str, Any]]:
    """Every action of every guide sample, each a valid starting point."""
    return [
        action
        for path in sorted(SAMPLES.glob("*.json"))
        if not path.name.startswith("broken")
        for action in sample(path.stem)["data"]
    ]


def test_any_field_of_any_sample_action_may_hold_a_breaking_value(post, org):
    set_up_guide_org(org)
    batch: list[dict[str, Any]] = []
    for action in sample_actions():
        for field in action["data"]:
            for value in BREAKERS:
                batch.append(
                    {"actionType": action["actionType"], "data": {**action["data"], field: value}}
                )
    assert len(batch) > 800  # every field of every sample, each with every value
    for start in range(0, len(batch), 500):
        response = post({"senderUser": SENDER, "data": batch[start : start + 500]})
        assert response.status == 200, response
        for result in response.json["results"]:
            assert result["status"] in STATUSES, result
            for problem in result["errors"]:
                assert "could not be stored" not in problem["message"], result
