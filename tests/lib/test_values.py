"""Reading incoming values (SPEC §4): phones, emails, passports, names, dates,
numbers, countries and tags."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmdp.lib.locales import conventions_for
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

# -- phones ---------------------------------------------------------------------------


@pytest.mark.parametrize("given_number", ["0905 000 001", "+84905000001", "84-905-000-001"])
def test_vietnamese_phone_spellings_are_one_number(given_number):
    read = read_phone(given_number, "VN")
    assert read.problem is None
    assert read.value.e164 == "+84905000001"


def test_phone_keeps_the_number_as_given():
    assert read_phone(" 0905 000 001 ", "VN").value.value == "0905 000 001"


def test_phone_region_decides_how_a_national_number_is_read():
    assert read_phone("(202) 555-0143", "US").value.e164 == "+12025550143"
    assert read_phone("0905000001", "VN").value.e164 != read_phone("0905000001", "US").value.e164


def test_a_valid_mobile_number_reads_in_vietnam():
    assert read_phone("0333 456 789", "VN").value.e164 == "+84333456789"


def test_unreadable_phone_is_kept_with_a_warning_and_marked_invalid():
    read = read_phone("call me: 12", "VN")
    assert read.problem and "VN" in read.problem
    assert read.value.e164 is None
    assert not read.value.valid
    assert read.value.value == "call me: 12"


@pytest.mark.parametrize(
    ("given_number", "region"),
    [
        ("01234567890", "VN"),  # the guide's sample: the old 11-digit mobile plan, gone since 2018
        ("098765431", "VN"),  # the right length for VN, but no such range
        ("0281234567", "VN"),
        ("(555) 555-0143", "US"),  # 555 is no area code
    ],
)
def test_a_possible_but_invalid_number_is_kept_marked_invalid_with_a_warning(given_number, region):
    read = read_phone(given_number, region)
    assert read.value.e164 is None
    assert read.value.value == given_number
    assert read.problem and "not a valid phone number" in read.problem
    assert "SMS" in read.problem


@pytest.mark.parametrize("given_number", ["000000000", "0 000 000 000"])
def test_a_number_of_zeros_is_no_phone_number(given_number):
    # Its E.164 form would read back as another number, so it could never match itself.
    read = read_phone(given_number, "VN")
    assert read.value.e164 is None
    assert read.problem


# -- emails ---------------------------------------------------------------------------


def test_email_is_trimmed_and_lower_cased():
    read = read_email("  Huy.Nguyen@HTKLabs.com ")
    assert read.problem is None
    assert read.value.value == "huy.nguyen@htklabs.com"
    assert read.value.normalized == "huy.nguyen@htklabs.com"


@pytest.mark.parametrize("given_email", ["not an email", "a@", "@b.com", "a b@c.com", "Foo@@x.io"])
def test_invalid_email_is_kept_as_given_and_not_used_for_matching(given_email):
    read = read_email(f" {given_email} ")
    assert read.problem and "not a valid email" in read.problem
    assert read.value.value == given_email
    assert read.value.normalized is None


# -- passports and names --------------------------------------------------------------


def test_passport_ignores_spaces_and_case():
    assert passport_key(" b 12 34\t") == "B1234"
    assert passport_key("b1234") == passport_key("B 1234")


@pytest.mark.parametrize(
    "given_passport",
    [
        "Ｂ１２３４",  # full-width, as a Japanese or Chinese IME types it
        "B12\u200b34",  # a zero-width space copied from a web page
        "\ufeffb 12\u00a034",  # a byte-order mark and a no-break space
        "B\u200d1\u200c2\u206034\u00ad",
        "Ｂ\u3000１２ ３４",  # the ideographic space
    ],
)
def test_passport_is_nfkc_without_spaces_or_invisible_characters(given_passport):
    assert passport_key(given_passport) == "B1234"


def test_name_key_ignores_zero_width_characters_and_any_unicode_space():
    assert name_key("Huy\u200b\u00a0Nguyen\u3000") == name_key("huy nguyen") == "huy nguyen"


@pytest.mark.parametrize(
    "given_email",
    [
        "huy@bücher.de",
        "HUY@BÜCHER.DE",
        "huy@xn--bcher-kva.de",  # the same domain in punycode
        "Huy@XN--BCHER-KVA.de",
        "ｈｕｙ＠ｂüｃｈｅｒ．ｄｅ",  # full-width, from an IME
        "huy\u200b@bücher.de",  # a zero-width space copied along
    ],
)
def test_an_internationalised_domain_in_unicode_or_punycode_is_one_address(given_email):
    read = read_email(given_email)
    assert read.problem is None, read.problem
    assert read.value.normalized == "huy@xn--bcher-kva.de"


def test_an_internationalised_address_is_stored_as_written_lower_cased():
    assert read_email(" Huy@Bücher.DE ").value.value == "huy@bücher.de"


def test_full_width_digits_in_a_phone_are_digits():
    assert read_phone("０９０５ ０００ ００１", "VN").value.e164 == "+84905000001"
    assert read_phone("0905\u200b000\u200b001", "VN").value.e164 == "+84905000001"


def test_name_key_is_nfc_case_folded_with_spaces_collapsed():
    decomposed = "Nguye\u0302\u0303n  VIỆT "  # ê + combining tilde, as some keyboards send it
    assert name_key(decomposed) == name_key("nguyễn việt")
    assert name_key("  Straße   GmbH ") == "strasse gmbh"


# -- dates ----------------------------------------------------------------------------


def test_javascript_date_keeps_the_calendar_date_of_its_own_offset():
    read = read_date("Fri Jan 01 1993 00:00:00 GMT+0700 (ICT)")
    assert read.problem is None
    assert read.value == date(1993, 1, 1)


def test_javascript_date_keeps_its_offset():
    moment = read_datetime("Fri Jan 01 1993 00:00:00 GMT+0700 (ICT)").value
    assert moment == datetime(1993, 1, 1, tzinfo=timezone(timedelta(hours=7)))
    assert moment.astimezone(UTC) == datetime(1992, 12, 31, 17, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1993-01-01", date(1993, 1, 1)),
        ("1993-01-01T23:30:00-05:00", date(1993, 1, 1)),
        ("1993-01-01T00:00:00+07:00", date(1993, 1, 1)),
        ("31/12/1999", date(1999, 12, 31)),  # DD/MM/YYYY
        ("31.12.1999", date(1999, 12, 31)),
        ("1999/12/31", date(1999, 12, 31)),
        (19930101, date(1993, 1, 1)),  # YYYYMMDD, a number or a string
        ("19930101", date(1993, 1, 1)),
        ("１９９３０１０１", date(1993, 1, 1)),  # full-width digits
        (725846400000, date(1993, 1, 1)),  # epoch milliseconds
        ("725846400000", date(1993, 1, 1)),
        (725846400, date(1993, 1, 1)),  # epoch seconds
        (725846400.0, date(1993, 1, 1)),
        ("Sat Jan 02 1993 00:00:00 GMT+0700 (Indochina Time)", date(1993, 1, 2)),
    ],
)
def test_dates_in_every_documented_form(raw, expected):
    read = read_date(raw)
    assert read.problem is None, read.problem
    assert read.value == expected


@pytest.mark.parametrize(
    "raw",
    [
        "yesterday",
        "31/02/1993",
        "1993-13-01",
        "19931301",
        "",
        True,
        None,
        {"y": 1993},
        float("nan"),
        float("inf"),
    ],
)
def test_unreadable_date_is_ignored_with_a_warning(raw):
    read = read_date(raw)
    assert read.value is None
    assert read.problem and "not a date" in read.problem


def test_a_date_of_thousands_of_digits_is_a_warning_not_a_crash():
    read = read_datetime("9" * 5000)
    assert read.value is None
    assert read.problem


def test_epoch_milliseconds_far_outside_any_lifetime_are_not_dates():
    assert read_datetime(10**20).value is None


# -- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("50000", Decimal(50000)), (50000, Decimal(50000)), ("1.250,50", Decimal("1250.50"))],
)
def test_numbers_arrive_as_numbers_or_strings(raw, expected):
    assert read_decimal(raw).value == expected


def test_epoch_seconds_become_a_date_in_the_org_timezone():
    # 1992-12-31T17:00Z is 1 January in Vietnam and still 31 December in New York.
    assert read_date(725821200, conventions_for("VN")).value == date(1993, 1, 1)
    assert read_date(725821200, conventions_for("US")).value == date(1992, 12, 31)
    # A date written with its own offset keeps its calendar day anywhere.
    assert read_date("1993-01-01T00:00:00+07:00", conventions_for("US")).value == date(1993, 1, 1)


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("VN", date(1993, 2, 1)),
        ("DE", date(1993, 2, 1)),
        ("GB", date(1993, 2, 1)),
        ("US", date(1993, 1, 2)),
    ],
)
def test_day_or_month_first_is_the_org_countrys_with_a_warning(country, expected):
    read = read_date("01/02/1993", conventions_for(country))
    assert read.value == expected
    assert read.problem and "day first or month first" in read.problem


@pytest.mark.parametrize("raw", ["13/02/1993", "02/13/1993", "02/02/1993"])
def test_a_date_only_one_way_round_is_read_without_a_warning(raw):
    for country in ("VN", "US"):
        read = read_date(raw, conventions_for(country))
        assert read.problem is None
        assert read.value in (date(1993, 2, 13), date(1993, 2, 2))


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("50.000", "VN", Decimal(50000)),
        ("50.000", "DE", Decimal(50000)),
        ("50,000", "US", Decimal(50000)),
        ("50.5", "VN", Decimal("50.5")),
        ("50.5", "US", Decimal("50.5")),
        ("50,5", "DE", Decimal("50.5")),
        ("1.234.567", "VN", Decimal(1234567)),
        ("1,234,567", "US", Decimal(1234567)),
        ("1.234,56", "US", Decimal("1234.56")),  # both marks: the last is the decimal one
        ("1,234.56", "DE", Decimal("1234.56")),
        ("12 345,6", "FR", Decimal("12345.6")),
        ("12\u202f345,6", "FR", Decimal("12345.6")),
        ("１２３４５", "VN", Decimal(12345)),
        ("0.500", "VN", Decimal("0.5")),  # no one groups thousands after a zero
        (50000, "VN", Decimal(50000)),
        (50.5, "VN", Decimal("50.5")),
    ],
)
def test_numbers_by_the_org_countrys_conventions(raw, country, expected):
    read = read_decimal(raw, conventions_for(country))
    assert read.problem is None, read.problem
    assert read.value == expected


@pytest.mark.parametrize(("raw", "country"), [("50,000", "VN"), ("50.000", "US"), ("1,250", "DE")])
def test_a_mark_that_could_group_thousands_is_read_by_convention_with_a_warning(raw, country):
    read = read_decimal(raw, conventions_for(country))
    assert read.value == Decimal(raw.replace(",", "."))
    assert read.problem and "thousands separator or a decimal" in read.problem


@pytest.mark.parametrize("raw", ["1,23,4", "1.2,3.4", "12,34.5,6", "5.000,1.5"])
def test_marks_that_group_nothing_make_no_number(raw):
    assert read_decimal(raw, conventions_for("US")).value is None


@pytest.mark.parametrize("raw", ["fifty", "NaN", "Infinity", True, None, [1]])
def test_what_is_not_a_finite_number_is_a_warning(raw):
    read = read_decimal(raw)
    assert read.value is None
    assert read.problem


# -- countries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"), [("VN", None), (None, "VN"), ("vn", None), (None, "Viet Nam"), ("VN", "x")]
)
def test_country_by_code_or_name_is_stored_as_iso_code_and_name(code, name):
    read = read_country(code, name)
    assert read.problem is None
    assert read.value is not None
    assert read.value.code == "VN"
    assert read.value.name


def test_unknown_country_is_kept_as_given_with_a_warning():
    read = read_country(None, " Atlantis ")
    assert read.value is not None
    assert (read.value.code, read.value.name) == (None, "Atlantis")
    assert read.problem and "Atlantis" in read.problem


def test_no_country_at_all_is_not_a_problem():
    read = read_country(None, "  ")
    assert read.value is None
    assert read.problem is None


# -- tags -----------------------------------------------------------------------------


def test_tags_from_a_comma_separated_string():
    assert read_tags("tag_1, tag_2,, ,tag_3 ") == ["tag_1", "tag_2", "tag_3"]


def test_tags_from_an_array_drop_case_insensitive_repeats():
    assert read_tags(["VIP", " vip ", "Vip  Gold", "vip gold", ""]) == ["VIP", "Vip Gold"]


# -- properties -----------------------------------------------------------------------

anything = st.text(max_size=80) | st.text(alphabet="0123456789+-() ./:@,TZ", max_size=40)
READ_SETTINGS = settings(max_examples=300, deadline=None)


@READ_SETTINGS
@given(anything, st.sampled_from(["VN", "US", "GB", "DE", ""]))
def test_no_exception_escapes_any_reader(text, region):
    read_email(text)
    read_phone(text, region or None)
    read_datetime(text)
    read_date(text)
    read_decimal(text)
    read_country(text, None)
    read_country(None, text)
    read_tags(text)
    read_tags([text, text.upper()])
    name_key(text)
    passport_key(text)


@READ_SETTINGS
@given(st.one_of(st.integers(), st.floats(), st.booleans(), st.none()))
def test_no_exception_escapes_the_date_and_number_readers_on_json_scalars(value):
    read_datetime(value)
    read_decimal(value)


@READ_SETTINGS
@given(st.text(max_size=60))
def test_name_key_twice_equals_once(text):
    assert name_key(name_key(text)) == name_key(text)


@READ_SETTINGS
@given(st.text(max_size=60))
def test_passport_key_twice_equals_once(text):
    assert passport_key(passport_key(text)) == passport_key(text)


@READ_SETTINGS
@given(st.text(max_size=60) | st.emails())
def test_read_email_twice_equals_once(text):
    once = read_email(text).value
    twice = read_email(once.value).value
    assert twice == once


@READ_SETTINGS
@given(
    st.text(alphabet="0123456789 +-()", max_size=20),
    st.sampled_from(["VN", "US", "GB", "DE", "IT"]),
)
def test_read_phone_twice_equals_once(text, region):
    once = read_phone(text, region).value
    if once.e164 is None:
        assert read_phone(once.value, region).value == once
    else:
        assert read_phone(once.e164, region).value.e164 == once.e164


@READ_SETTINGS
@given(st.text(max_size=60) | st.lists(st.text(max_size=12), max_size=6))
def test_read_tags_twice_equals_once(raw):
    once = read_tags(raw)
    assert read_tags(once) == once
