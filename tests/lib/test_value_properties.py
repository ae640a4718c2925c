"""Properties of every value reader, over generated input (complements the examples
and properties in test_values.py): no exception escapes, whatever the input, and
reading what a reader stored gives the same value again (normalising twice is
normalising once), so a value that comes back through an update matches itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import phonenumbers
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from crmdp.lib.values import (
    name_key,
    passport_key,
    read_country,
    read_date,
    read_datetime,
    read_decimal,
    read_email,
    read_phone,
    read_tags,
)

PROPERTIES = settings(max_examples=200, deadline=None)
REGIONS = st.sampled_from(["VN", "US", "GB", "DE", "IT", "AR", "SG", "IN"]) | st.none()
# Anything a JSON body can carry where a single value is expected.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
moments = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30), timezones=offsets
).map(lambda moment: moment.replace(microsecond=0))


# -- phones ---------------------------------------------------------------------------


@PROPERTIES
@given(st.text(max_size=30), REGIONS)
def test_a_stored_phone_reads_back_as_itself_from_any_text(text, region):
    once = read_phone(text, region).value
    again = read_phone(once.e164 or once.value, region).value
    assert again.e164 == once.e164
    assert again.same_as == once.same_as


@PROPERTIES
@given(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)), st.data())
def test_an_example_number_of_any_region_reads_the_same_nationally_and_in_e164(region, data):
    example = phonenumbers.example_number(region)
    assume(example is not None)
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(
        example, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    from_national = read_phone(national, region).value.e164
    assert from_national is not None, (region, national)
    assert read_phone(international, data.draw(REGIONS)).value.e164 == from_national


# -- emails ---------------------------------------------------------------------------


@PROPERTIES
@given(st.emails())
def test_a_valid_email_in_any_case_and_spacing_reads_as_one_address(email):
    spelled = f"  {email.upper()} "
    once = read_email(spelled).value
    assert once.normalized is not None
    assert read_email(email).value.normalized == once.normalized
    assert read_email(once.value).value == once


# -- dates ----------------------------------------------------------------------------


@PROPERTIES
@given(moments)
def test_every_documented_form_of_a_moment_reads_as_that_moment(moment):
    js_form = moment.strftime("%a %b %d %Y %H:%M:%S GMT%z") + " (Local Time)"
    epoch_s = int(moment.timestamp())
    epoch_ms = epoch_s * 1000
    forms: list[object] = [moment.isoformat(), js_form]
    # Seconds and milliseconds are told apart by size: a number of milliseconds
    # within 84 days of 1970 is read as seconds. Eight digits are YYYYMMDD.
    if abs(epoch_ms) > 7_258_118_400:
        forms += [epoch_ms, str(epoch_ms)]
    if len(str(abs(epoch_s))) != 8:
        forms += [epoch_s, str(epoch_s)] if len(str(abs(epoch_s))) > 8 else [epoch_s]
    for spelled in forms:
        read = read_datetime(spelled)
        assert read.problem is None, spelled
        assert read.value == moment, spelled


@PROPERTIES
@given(moments)
def test_a_date_keeps_the_calendar_day_of_its_own_offset(moment):
    day = moment.date()
    for spelled in (moment.isoformat(), day.isoformat(), day.strftime("%d/%m/%Y")):
        assert read_date(spelled).value == day, spelled


@PROPERTIES
@given(json_scalars | st.text(alphabet="0123456789-/:TZ+. ", max_size=30))
def test_a_stored_date_reads_back_as_itself(raw):
    moment = read_datetime(raw).value
    if moment is not None:
        assert read_datetime(moment.isoformat()).value == moment
    day = read_date(raw).value
    if day is not None:
        assert read_date(day.isoformat()).value == day
        assert isinstance(day, date)


@PROPERTIES
@given(st.integers(-(2**70), 2**70))
@example(10070601)
def test_epoch_milliseconds_are_a_date_only_within_1900_to_2200(number):
    read = read_datetime(number)
    if read.value is None:
        assert read.problem
    elif read.value.tzinfo is None:
        # Eight digits that make a calendar date are YYYYMMDD (issue 14), with no
        # offset: a date as written, not an epoch instant.
        assert read.value.strftime("%Y%m%d").zfill(8) == str(number)
    else:
        assert datetime(1900, 1, 1, tzinfo=UTC) <= read.value <= datetime(2200, 1, 1, tzinfo=UTC)


# -- numbers --------------------------------------------------------------------------


@PROPERTIES
@given(json_scalars | st.decimals(allow_nan=False, allow_infinity=False).map(str))
def test_a_stored_number_reads_back_as_itself(raw):
    number = read_decimal(raw).value
    if number is not None:
        assert number.is_finite()
        assert read_decimal(str(number)).value == number


# -- countries ------------------------------------------------------------------------


@PROPERTIES
@given(st.text(max_size=30) | st.none(), st.text(max_size=30) | st.none())
def test_a_stored_country_reads_back_as_itself(code, name):
    country = read_country(code, name).value
    if country is None:
        assert not (code or "").strip() and not (name or "").strip()
        return
    assert read_country(country.code, country.name).value == country


@PROPERTIES
@given(st.sampled_from(["VN", "vn", "Viet Nam", "VNM", "US", "United States", "de", "Germany"]))
def test_a_country_given_by_code_or_name_reads_as_the_same_iso_code(given_as):
    by_code = read_country(given_as, None).value
    by_name = read_country(None, given_as).value
    assert by_code is not None and by_code.code is not None
    assert by_code == by_name


# -- tags -----------------------------------------------------------------------------


@PROPERTIES
@given(st.lists(st.text(max_size=12), max_size=8))
def test_tags_as_a_list_or_a_comma_string_read_the_same(parts):
    assume(all("," not in part for part in parts))
    assert read_tags(", ".join(parts)) == read_tags(parts)


@PROPERTIES
@given(st.text(max_size=60) | st.lists(st.text(max_size=12), max_size=6))
def test_tags_have_no_blanks_and_no_repeats_in_any_case(raw):
    tags = read_tags(raw)
    assert all(tag and tag == tag.strip() for tag in tags)
    assert len({tag.casefold() for tag in tags}) <= len(tags)


def test_a_blank_name_does_not_lose_an_unrecognised_code():
    read = read_country("ZZ-9", "  ")
    assert read.value is not None
    assert read.value.name == "ZZ-9"


# -- one person, one record -----------------------------------------------------------

INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
PASSPORT_TEXT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12)


def full_width(text: str) -> str:
    """ASCII letters and digits as an East Asian IME types them (U+FF01 onwards)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@PROPERTIES
@given(PASSPORT_TEXT, st.lists(st.tuples(st.integers(0, 12), INVISIBLE | st.just(" "))))
def test_a_passport_with_invisible_characters_or_spaces_anywhere_is_the_same_passport(
    passport, inserts
):
    noisy = passport
    for position, char in inserts:
        noisy = noisy[:position] + char + noisy[position:]
    assert passport_key(noisy) == passport_key(passport)


@PROPERTIES
@given(PASSPORT_TEXT)
def test_a_full_width_passport_is_the_same_passport(passport):
    assert passport_key(full_width(passport)) == passport_key(passport.lower())


@PROPERTIES
@given(st.emails())
def test_a_full_width_email_or_one_with_invisible_characters_reads_as_the_same_address(email):
    plain = read_email(email).value.normalized
    assume(plain is not None)
    assert read_email(full_width(email)).value.normalized == plain
    assert read_email("\u200b" + email.replace("@", "\u200b@")).value.normalized == plain


@PROPERTIES
@given(st.text(max_size=40), INVISIBLE)
def test_a_name_with_invisible_characters_has_the_same_key(name, invisible):
    assert name_key(invisible.join(name)) == name_key(name)
