"""Reading custom field values by their definition's type (SPEC §4)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmdp.lib.locales import conventions_for
from crmdp.orgs.custom_fields import read_custom_value
from crmdp.orgs.models import CustomFieldDefinition, FieldType


def field(field_type: str, choices: tuple[str, ...] = ()) -> CustomFieldDefinition:
    return CustomFieldDefinition(name="F", field_type=field_type, choices=list(choices))


@pytest.mark.parametrize(
    ("definition", "raw", "stored"),
    [
        (field(FieldType.TEXT), "  Cong Nguyen ", "Cong Nguyen"),
        (field(FieldType.TEXT), 42, "42"),
        (field(FieldType.NUMBER), "50000", "50000"),
        (field(FieldType.NUMBER), 12.5, "12.5"),
        (field(FieldType.NUMBER), "1.250", "1250"),  # thousands grouped as in Vietnam
        (field(FieldType.NUMBER), "1.250,5", "1250.5"),
        # Dates are stored as ISO 8601 calendar dates, whatever came in.
        (field(FieldType.DATE), "2019-07-08T00:00:00+07:00", "2019-07-08"),
        (field(FieldType.DATE), "20190708", "2019-07-08"),
        (field(FieldType.DATE), "31/07/2019", "2019-07-31"),
        (field(FieldType.DATE), 1562518800, "2019-07-08"),  # epoch seconds: Vietnam's day
        (field(FieldType.CHECKBOX, ("Dog", "Cat")), "cat|DOG|cat", ["Cat", "Dog"]),
        (field(FieldType.CHECKBOX), "A| B |", ["A", "B"]),
        (field(FieldType.INLINE_CHECKBOX), ["x", "y"], ["x", "y"]),
        (field(FieldType.SELECT, ("Small", "Large")), "large", "Large"),
        (field(FieldType.TEXT), True, "true"),
    ],
)
def test_values_are_read_by_the_field_type(definition, raw, stored):
    assert read_custom_value(definition, raw) == (stored, None)


@pytest.mark.parametrize(
    ("definition", "raw", "words"),
    [
        (field(FieldType.NUMBER), "lots", "not a number"),
        (field(FieldType.DATE), "someday", "not a date"),
        (field(FieldType.CHECKBOX, ("Dog", "Cat")), "Dog|Fish", "'Fish'"),
        (field(FieldType.SELECT, ("Small", "Large")), "Medium", "'Medium'"),
        (field(FieldType.SELECT, ("Small", "Large")), ["Small"], "not a list"),
        (field(FieldType.TEXT), ["a", "b"], "not a list"),
    ],
)
def test_a_value_that_does_not_fit_is_refused_with_the_reason(definition, raw, words):
    value, problem = read_custom_value(definition, raw)
    assert value is None
    assert problem and words in problem


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            field(FieldType.TEXT),
            field(FieldType.NUMBER),
            field(FieldType.DATE),
            field(FieldType.CHECKBOX, ("A", "B")),
            field(FieldType.INLINE_CHECKBOX),
            field(FieldType.SELECT, ("A", "B")),
        ]
    ),
    json_scalars | st.lists(st.one_of(st.integers(), st.text(max_size=10)), max_size=4),
)
def test_no_exception_escapes_on_any_json_value(definition, raw):
    value, problem = read_custom_value(definition, raw)
    assert (value is None) or (problem is None)


def test_a_value_read_by_a_guess_is_stored_and_says_so():
    # Day and month could be either: read as the org's country writes (VN: day first).
    value, warning = read_custom_value(field(FieldType.DATE), "08/07/2019")
    assert value == "2019-07-08"
    assert warning and "day first or month first" in warning
    value, warning = read_custom_value(field(FieldType.NUMBER), "1,250")
    assert value == "1.250"  # in Vietnam the comma is the decimal mark
    assert warning and "1250" in warning


def test_a_us_org_reads_month_first_and_comma_thousands():
    us = conventions_for("US")
    assert read_custom_value(field(FieldType.DATE), "07/31/2019", us) == ("2019-07-31", None)
    assert read_custom_value(field(FieldType.NUMBER), "1,250", us) == ("1250", None)
