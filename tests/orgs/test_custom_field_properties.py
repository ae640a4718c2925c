"""Custom field values over generated input: whatever arrives, reading either
stores a value or gives a reason, never raises; and a stored value read again is
the same value (so an update that sends back what it read changes nothing)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crmdp.lib.locales import conventions_for
from crmdp.orgs.custom_fields import read_custom_value
from crmdp.orgs.models import CustomFieldDefinition, FieldType

DEFINITIONS = [
    CustomFieldDefinition(name="F", field_type=FieldType.TEXT, choices=[]),
    CustomFieldDefinition(name="F", field_type=FieldType.NUMBER, choices=[]),
    CustomFieldDefinition(name="F", field_type=FieldType.DATE, choices=[]),
    CustomFieldDefinition(name="F", field_type=FieldType.CHECKBOX, choices=["Dog", "Cat", "Bird"]),
    CustomFieldDefinition(name="F", field_type=FieldType.CHECKBOX, choices=[]),
    CustomFieldDefinition(name="F", field_type=FieldType.INLINE_CHECKBOX, choices=["A", "B"]),
    CustomFieldDefinition(name="F", field_type=FieldType.SELECT, choices=["Small", "Large"]),
    CustomFieldDefinition(name="F", field_type=FieldType.SELECT, choices=[]),
]
US = conventions_for("US")
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        ["dog|CAT", "large", " small ", "2019-07-08T00:00:00+07:00", "08/07/2019", "1,5"]
    )
)
values = scalars | st.lists(scalars, max_size=4)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(DEFINITIONS), values)
def test_a_stored_custom_value_reads_back_as_itself(definition, raw):
    value, problem = read_custom_value(definition, raw)
    assert value is not None or problem is not None, (value, problem)
    if value is not None:
        # Stored numbers have a decimal point and dates are ISO 8601: read again where
        # the point is the decimal mark, they are the same value, with no guess.
        assert read_custom_value(definition, value, US) == (value, None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Dog", "dog", "CAT", "Bird", " bird "]), min_size=1, max_size=6))
def test_checkbox_values_read_as_the_defined_spelling_without_repeats(chosen):
    value, problem = read_custom_value(DEFINITIONS[3], "|".join(chosen))
    assert problem is None
    assert value == list(dict.fromkeys(c.strip().capitalize() for c in chosen))
