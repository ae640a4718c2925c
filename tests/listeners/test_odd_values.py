"""Odd values give a per-action answer, never a 500 (issue 13, point 9).

"1E+999999999" is twelve characters, within every length limit, yet abs() of it
overflows Python's decimal context; "9999-12-31T23:59:59-14:00" is year 10000 in
UTC, which PostgreSQL stores and Python cannot read back, so every later read of
the deal failed. Both are now refused where they are read, with a warning on that
action's field, and what is stored can always be read back.
"""

from __future__ import annotations

import pytest

from crmdp.lib.values import read_datetime, read_decimal
from crmdp.orgs.models import FieldType
from crmdp.orgs.services import field_add
from tests.listeners.guide_org import set_up_guide_org
from tests.listeners.setups import new_deal

HUGE_NUMBERS = ["1E+999999999", "-1E+999999999", "1e999999", "1E-999999999", "9" * 20 + "E+99"]
EDGE_DATES = [
    "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
    "9999-12-31T23:59:59.999999-01:00",
    "Fri Dec 31 9999 23:59:59 GMT-1400",
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC
    "31/12/9999",
]


@pytest.fixture
def guide(org):
    set_up_guide_org(org)
    field_add(org=org, record_type="deal", name="Budget", field_type=FieldType.NUMBER)
    field_add(org=org, record_type="deal", name="Due", field_type=FieldType.DATE)
    return org


def _deal_warnings(result: dict) -> dict[str, str]:
    return {warning["field"]: warning["message"] for warning in result["warnings"]}


@pytest.mark.parametrize("number", HUGE_NUMBERS)
def test_a_huge_number_is_a_warning_on_its_field_not_a_500(guide, post, owner_api, number):
    deal = new_deal(value=number, cusFields=[{"name": "Budget", "value": number}])
    result = post.action("add-deal", deal)
    assert result["status"] == "created", result
    warnings = _deal_warnings(result)
    assert "out of range" in warnings["data[0].data.value"]
    assert any(field.startswith("data[0].data.cusFields") for field in warnings)
    listed = owner_api.get("/api/v1/deals")
    assert listed.status == 200
    assert listed.json["results"][0]["value"] is None


@pytest.mark.parametrize("moment", EDGE_DATES)
def test_a_date_at_the_edge_of_the_calendar_is_a_warning_and_reads_back(
    guide, post, owner_api, moment
):
    deal = new_deal(closeDate=moment, cusFields=[{"name": "Due", "value": moment}])
    deal["dealWith"]["dateOfBirth"] = moment
    result = post.action("add-deal", deal)
    assert result["status"] == "created", result
    assert "out of range" in _deal_warnings(result)["data[0].data.closeDate"]
    # Whatever was stored reads back: the list, the deal, its customer.
    listed = owner_api.get("/api/v1/deals")
    assert listed.status == 200, listed
    deal_out = listed.json["results"][0]
    assert deal_out["closeDate"] is None
    assert owner_api.get(f"/api/v1/deals/{deal_out['id']}").status == 200
    assert owner_api.get("/api/v1/customers").status == 200


def test_the_last_and_first_whole_days_are_still_read():
    assert read_datetime("9999-12-30T12:00:00+00:00").value is not None
    assert read_datetime("0001-01-02T12:00:00+00:00").value is not None
    assert read_decimal("1E+99").value is not None
    assert read_decimal("1E-99").value is not None
    assert read_decimal("0E+999999999").value == 0
