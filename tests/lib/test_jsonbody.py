"""The strict body reader: what is not plain JSON is refused, saying where."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmdp.lib.jsonbody import BodyError, parse_json
from tests.conftest import SAMPLES


def parse(body: bytes, max_depth: int = 32, max_string: int = 1000):
    return parse_json(body, max_depth=max_depth, max_string=max_string)


def refusal(body: bytes, **limits) -> BodyError:
    with pytest.raises(BodyError) as caught:
        parse(body, **limits)
    return caught.value


def test_guide_broken_sample_is_refused_at_its_line_and_column():
    error = refusal((SAMPLES / "broken-update-lead-from-guide.json").read_bytes())
    assert "line 1, column 229" in str(error)
    assert "','" in str(error)  # the missing comma


def test_position_is_counted_in_lines_and_columns():
    error = refusal(b'{\n  "senderUser": "a@b.c",\n  "data": [tru]\n}')
    assert "line 3, column 12" in str(error)


def test_plain_json_is_read_whatever_its_byte_order_mark():
    assert parse(b'\xef\xbb\xbf{"data": [1, 2.5, "x", null, true]}') == {
        "data": [1, 2.5, "x", None, True]
    }


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": Infinity}', "Infinity"),
        (b'{"a": 1e999}', "out of range"),
        (b'{"a": ' + b"1" * 50 + b"}", "too long"),
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b'{"a": 1} {"b": 2}', "line 1, column 10"),
    ],
)
def test_what_plain_json_does_not_allow_is_refused(body, words):
    assert words in str(refusal(body))


def test_nul_characters_are_refused_naming_the_field():
    error = refusal(b'{"data": [{"name": "a\\u0000b"}]}')
    assert "NUL" in str(error)
    assert error.field == "data[0].name"


def test_lone_surrogates_are_refused_naming_the_field():
    error = refusal(b'{"name": "\\ud800"}')
    assert "surrogate" in str(error)
    assert error.field == "name"


def test_nesting_deeper_than_the_limit_is_refused():
    assert parse(b"[[[1]]]", max_depth=3) == [[[1]]]
    assert "deeper than 2" in str(refusal(b"[[[1]]]", max_depth=2))


def test_nesting_far_beyond_the_recursion_limit_is_refused_not_a_crash():
    assert "deeper than" in str(refusal(b"[" * 200_000 + b"]" * 200_000))


def test_strings_longer_than_the_limit_are_refused():
    assert parse(b'{"a": "12345"}', max_string=5) == {"a": "12345"}
    error = refusal(b'{"a": "123456"}', max_string=5)
    assert "longer than 5" in str(error)
    assert error.field == "a"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_nothing_but_body_error_escapes_on_arbitrary_bytes(body):
    with contextlib.suppress(BodyError):
        parse(body, max_depth=8, max_string=50)
