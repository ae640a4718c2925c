"""Reading incoming values: each reader returns what to store plus, when the value
could not be read, a warning for the sender. No reader raises on bad input: an
integration that sends one odd value must not lose the whole record.

Over 400 lines on purpose: one short section per kind of value (names, emails,
phones, dates, numbers, countries, tags), sharing `Read` and the org's
`Conventions`, so every reading rule of SPEC §4 is found in one file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Generic, TypeVar

import phonenumbers
import pycountry
from dateutil import parser as dateutil_parser
from email_validator import EmailNotValidError, validate_email

from crmdp.lib.locales import DEFAULT, Conventions

T = TypeVar("T")


@dataclass(frozen=True)
class Read(Generic[T]):
    """A value as read, and why it could not be read (None when it could)."""

    value: T
    problem: str | None = None


# -- names, passports, codes ----------------------------------------------------------
# One person, one record (SPEC §4): what a keyboard, an IME or a copy from a web page
# adds to a value without the sender meaning it is taken out before values are
# compared, the same way on every path (listener, UI, API, CLI, migrations).

_SPACES = re.compile(r"\s+")  # any Unicode space: NBSP, the ideographic space, tabs
# Characters that print as nothing: soft hyphen, zero-width space, (non-)joiners,
# direction marks and embeddings, word joiner and invisible operators, the BOM.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def visible(text: str) -> str:
    """`text` without the characters that print as nothing."""
    return _INVISIBLE.sub("", text)


def compatible(text: str) -> str:
    """NFKC without invisible characters: full-width `ＡＢ１２` is `AB12`."""
    return unicodedata.normalize("NFKC", visible(text))


def name_key(name: str) -> str:
    """The form names are compared in: NFC, case-folded, inner spaces collapsed.
    NFC, not NFKC: a name's `ǆ` or `ﬁ` is the sender's spelling, not a width variant."""
    folded = unicodedata.normalize("NFC", visible(name)).casefold()
    return _SPACES.sub(" ", unicodedata.normalize("NFC", folded)).strip()


def passport_key(passport: str) -> str:
    """Passports compare after NFKC, without spaces or zero-width characters and
    without case: `b 12 34`, `Ｂ１２３４` and `B12\u200b34` are all `B1234`."""
    return unicodedata.normalize("NFKC", _SPACES.sub("", compatible(passport)).upper())


def contact_id_key(contact_id: str) -> str:
    """A sender's own id compares after NFKC, trimmed, without invisible characters;
    its case is kept (an external system's `ab1` and `AB1` may be two records)."""
    return compatible(contact_id).strip()


# -- emails ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Email:
    value: str  # what is stored and shown
    normalized: str | None  # the matching form; None when the syntax is invalid


@lru_cache(maxsize=8192)
def read_email(raw: str) -> Read[Email]:
    """An address, trimmed and lower-cased after NFKC (a full-width `＠` is `@`).
    Its matching form has the domain in ASCII (punycode), so `huy@bücher.de` and
    `huy@xn--bcher-kva.de` are one address."""
    # Cached: validation costs a tenth of a millisecond, and a batch repeats addresses.
    text = compatible(raw).strip()
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return Read(
            Email(raw.strip(), None), f"not a valid email address ({exc}); kept, not matched"
        )
    normalized = f"{valid.local_part}@{valid.ascii_domain}".lower()
    return Read(Email(text.lower(), normalized))


# -- phones ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Phone:
    value: str  # as given
    e164: str | None  # None when the number is not a valid one for its region

    @property
    def digits(self) -> str:
        return "".join(ch for ch in self.value if ch.isdigit())

    @property
    def valid(self) -> bool:
        return self.e164 is not None

    @property
    def same_as(self) -> str:
        """What tells two numbers of one record apart: E.164, else the digits. Only
        for not storing one number twice on a record; an invalid number is never
        matched against other records (SPEC §4)."""
        return self.e164 or self.digits


@lru_cache(maxsize=8192)
def read_phone(raw: str, region: str | None) -> Read[Phone]:
    """A phone read in the org's region. Only a number that libphonenumber calls
    *valid* (a real range of a real numbering plan, not merely the right length)
    gets an E.164 form; any other is kept as given, marked invalid by a null E.164,
    and is neither matched nor sent an SMS."""
    text = raw.strip()
    where = f" in region {region}" if region else ""
    try:
        number = phonenumbers.parse(compatible(text), region or None)
    except phonenumbers.NumberParseException:
        return Read(Phone(text, None), f"not a phone number{where}; kept as given")
    e164: str | None = _e164(number) if phonenumbers.is_valid_number(number) else None
    # A form that reads back as another number (national numbers of leading zeros)
    # would not match itself when it comes back in E.164: no number.
    # (A number given in E.164 already has just been read back.)
    if e164 is not None and e164 != text and _e164(phonenumbers.parse(e164)) != e164:
        e164 = None
    if e164 is None:
        return Read(
            Phone(text, None),
            f"not a valid phone number{where}; kept as given, marked invalid: "
            "not used to find records and never sent an SMS",
        )
    return Read(Phone(text, e164))


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def is_phone_region(code: str) -> bool:
    return code.upper() in phonenumbers.SUPPORTED_REGIONS


# -- dates ----------------------------------------------------------------------------
# SPEC §4. Every reader takes the org's Conventions: whether 01/02/1993 is day first,
# and the timezone in which an instant (epoch seconds) falls on a calendar day.

# JavaScript's Date.prototype.toString(): "Fri Jan 01 1993 00:00:00 GMT+0700 (ICT)".
# dateutil reads "GMT+0700" with the POSIX sign (as UTC-7), so this form is read here.
_JS_DATE = re.compile(
    r"^[A-Za-z]{3} (?P<rest>[A-Za-z]{3} \d{1,2} \d{4} \d{2}:\d{2}:\d{2}) GMT(?P<off>[+-]\d{4})"
    r"(?: \(.*\))?$"
)
# 01/02/1993, 1.2.1993, 01-02-1993: day and month in the order of the org's country.
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})$")  # 1993/02/01: Y/M/D always
_DIGITS = re.compile(r"^-?\d+$")
# Epoch seconds and milliseconds from 1900 to 2200: a number in the seconds range is
# seconds (the milliseconds it could also be fall in Dec 1969 - Mar 1970); beyond it,
# milliseconds; beyond those, surely no date.
_EPOCH_S_RANGE = (-2_208_988_800, 7_258_118_400)
_EPOCH_MS_RANGE = (-2_208_988_800_000, 7_258_118_400_000)
_NOT_A_DATE = (
    "not a date (use ISO 8601 such as 1993-01-31, YYYYMMDD, DD/MM/YYYY or epoch "
    "seconds or milliseconds); ignored"
)


# A moment must stay a Python datetime in any offset: 9999-12-31T23:59:59-14:00 is
# year 10000 in UTC, which PostgreSQL stores but Python cannot read back (every page
# showing it would fail). A day's margin at each end covers every UTC offset.
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
_OUT_OF_RANGE = "out of range (years 1 to 9999); ignored"


@dataclass(frozen=True)
class Moment:
    """A date-time as read, and whether it was an instant (an epoch number: it has a
    calendar date only in some timezone) or written with its own date."""

    at: datetime
    instant: bool = False


def read_moment(raw: object, conventions: Conventions = DEFAULT) -> Read[Moment | None]:
    """ISO 8601, YYYYMMDD, DD/MM/YYYY (MM/DD/YYYY in month-first countries), epoch
    seconds or milliseconds, or JavaScript's Date.toString(). A value read by a guess
    (01/02/1993: both could be the month) carries a warning with it."""
    read = _read_moment(raw, conventions)
    if read.value is None:
        return read
    try:
        utc = aware(read.value.at).astimezone(UTC)
    except (OverflowError, ValueError):
        return Read(None, _OUT_OF_RANGE)
    if not _EARLIEST <= utc <= _LATEST:
        return Read(None, _OUT_OF_RANGE)
    return read


def _read_moment(raw: object, conventions: Conventions) -> Read[Moment | None]:
    problem = Read[Moment | None](None, _NOT_A_DATE)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return problem
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return problem
        if not raw.is_integer():
            return _from_epoch(raw) or problem
        raw = int(raw)
    if isinstance(raw, int):
        return _from_yyyymmdd(str(raw)) or _from_epoch(raw) or problem
    text = compatible(raw).strip()
    if _DIGITS.match(text):
        # Epoch milliseconds have at most 13 digits in range; a longer run of digits
        # is no date, and int() refuses strings of thousands of digits anyway.
        if len(text.lstrip("-")) > 16:
            return problem
        if len(text) == 8:
            return _from_yyyymmdd(text) or problem
        if len(text.lstrip("-")) > 8:
            return _from_epoch(int(text)) or problem
    if match := _JS_DATE.match(text):
        try:
            moment = datetime.strptime(f"{match['rest']} {match['off']}", "%b %d %Y %H:%M:%S %z")
        except ValueError:
            return problem
        return Read(Moment(moment))
    if match := _NUMERIC_DATE.match(text):
        day_month = _day_month(int(match[1]), int(match[3]), int(match[4]), conventions, text)
        return day_month or problem
    if match := _YEAR_FIRST.match(text):
        return _calendar(int(match[1]), int(match[3]), int(match[4])) or problem
    try:
        return Read(Moment(dateutil_parser.isoparse(text)))
    except (ValueError, OverflowError):
        return problem


def _calendar(
    year: int, month: int, day: int, warning: str | None = None
) -> Read[Moment | None] | None:
    try:
        return Read(Moment(datetime(year, month, day)), warning)
    except ValueError:
        return None


def _from_yyyymmdd(text: str) -> Read[Moment | None] | None:
    """19930101 → 1 January 1993 (a number or a string of eight digits)."""
    if len(text) != 8 or not text.isdecimal() or not "1000" <= text[:4] <= "2999":
        return None
    return _calendar(int(text[:4]), int(text[4:6]), int(text[6:]))


def _day_month(
    a: int, b: int, year: int, conventions: Conventions, text: str
) -> Read[Moment | None] | None:
    """`a/b/year`: the part above 12 is the day; when both could be the month, the
    org's country decides, and the reader is warned of the guess."""
    if a > 12 or b > 12 or a == b:
        return _calendar(year, *((b, a) if a > 12 else (a, b)))
    day, month = (a, b) if conventions.day_first else (b, a)
    read = _calendar(year, month, day)
    if read is None or read.value is None:
        return None
    order = "DD/MM/YYYY" if conventions.day_first else "MM/DD/YYYY"
    shown = read.value.at.date()
    return Read(
        read.value,
        f"{text} could be either day first or month first; read as "
        f"{shown.isoformat()} ({order}, as written in {conventions.country}). "
        f"Send ISO 8601 ({shown.isoformat()}) to say which",
    )


def _from_epoch(value: float) -> Read[Moment | None] | None:
    if _EPOCH_S_RANGE[0] <= value <= _EPOCH_S_RANGE[1]:
        seconds = value
    elif _EPOCH_MS_RANGE[0] <= value <= _EPOCH_MS_RANGE[1]:
        seconds = value / 1000
    else:
        return None
    return Read(Moment(datetime.fromtimestamp(seconds, tz=UTC), instant=True))


def read_datetime(raw: object, conventions: Conventions = DEFAULT) -> Read[datetime | None]:
    """A date-time, with its offset when it was written with one (see `aware`)."""
    read = read_moment(raw, conventions)
    return Read(read.value.at if read.value else None, read.problem)


def read_date(raw: object, conventions: Conventions = DEFAULT) -> Read[date | None]:
    """A calendar date: as written, in the value's own offset (the JavaScript form
    of midnight in +07:00 is that day); an instant, on the org's calendar."""
    read = read_moment(raw, conventions)
    if read.value is None:
        return Read(None, read.problem)
    moment = read.value.at
    if read.value.instant:
        moment = moment.astimezone(conventions.zone)
    return Read(moment.date(), read.problem)


def aware(moment: datetime) -> datetime:
    """A date-time with no offset is taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- numbers --------------------------------------------------------------------------

# Spaces that group thousands (French and Russian use no-break ones), and the
# apostrophes of Switzerland.
_GROUP_SPACES = re.compile("[ \u00a0\u202f\u2009'’]")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+$")
_SEPARATED = re.compile(r"^[+-]?\d[\d.,]*$")
_NOT_A_NUMBER = "not a number; ignored"


def read_decimal(raw: object, conventions: Conventions = DEFAULT) -> Read[Decimal | None]:
    """A number as the org's country writes it (SPEC §4): `50.000` is fifty thousand
    in VN or DE, `50,000` in the US; `50.5` and `1.234,56` mean the same everywhere.
    A single mark before exactly three digits could be either; it is read by the
    country's convention, with a warning when that makes it a decimal."""
    problem = Read[Decimal | None](None, _NOT_A_NUMBER)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return problem
    if not isinstance(raw, str):
        return _decimal(repr(raw)) or problem
    text = _GROUP_SPACES.sub("", compatible(raw).strip())
    if len(text) > 40:
        return problem
    if _PLAIN_NUMBER.match(text):
        return _decimal(text) or problem
    if not _SEPARATED.match(text):
        # Exponents and the like ("1e3", ".5"): as Python reads them.
        return _decimal(text) or problem
    sign = text[0] if text[0] in "+-" else ""
    body = text.lstrip("+-")
    marks = [ch for ch in body if ch in ".,"]
    if len(set(marks)) == 2:
        # Both marks: the last is the decimal mark, the other groups thousands.
        decimal = body[max(body.rfind("."), body.rfind(","))]
        group = "," if decimal == "." else "."
        whole, _, fraction = body.rpartition(decimal)
        if group in fraction or not _grouped(whole, group):
            return problem
        return _decimal(f"{sign}{whole.replace(group, '')}.{fraction}") or problem
    mark = marks[0]
    if len(marks) > 1:
        # One mark, several times: only thousands are grouped more than once.
        grouped = _grouped(body, mark) and _decimal(sign + body.replace(mark, ""))
        return grouped or problem
    whole, _, fraction = body.partition(mark)
    if len(fraction) != 3 or not _grouped(body, mark):
        return _decimal(f"{sign}{whole}.{fraction}") or problem
    # 50.000 or 50,000: thousands where the mark groups thousands in this country.
    if mark == conventions.group:
        return _decimal(sign + whole + fraction) or problem
    read = _decimal(f"{sign}{whole}.{fraction}")
    if read is None or read.value is None:
        return problem
    other = "point" if mark == "." else "comma"
    return Read(
        read.value,
        f"{raw.strip()!r} could be a thousands separator or a decimal {other}; read as "
        f"{read.value} (in {conventions.country} the decimal mark is {conventions.decimal!r}). "
        f"Send {whole}{fraction} or a plain number to say which",
    )


def _grouped(body: str, mark: str) -> bool:
    """1,234,567: a first group of one to three digits, then groups of three."""
    first, *rest = body.split(mark)
    # "0.500" is a decimal: no one groups thousands after a leading zero.
    return (
        1 <= len(first) <= 3
        and first.isdecimal()
        and first[0] != "0"
        and all(len(part) == 3 and part.isdecimal() for part in rest)
    )


_DECIMAL_EXPONENT = 100


def _decimal(text: str) -> Read[Decimal | None] | None:
    if len(text) > 40:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    if number and not -_DECIMAL_EXPONENT <= number.adjusted() <= _DECIMAL_EXPONENT:
        # "1E+999999999" is 12 characters, but abs() or quantize() of it overflows
        # Python's decimal context: nothing that large or that small is a CRM value.
        return Read(None, "out of range; ignored")
    return Read(number)


# -- countries and tags ---------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    code: str | None  # ISO 3166-1 alpha-2, when recognised
    name: str


def read_country(code: str | None, name: str | None) -> Read[Country | None]:
    """A country from a code, a name, or both; kept as given when not recognised."""
    for candidate in (code, name):
        if candidate:
            try:
                found = pycountry.countries.lookup(candidate.strip())
            except LookupError:
                continue
            return Read(Country(found.alpha_2, getattr(found, "common_name", found.name)))
    given = (name or "").strip() or (code or "").strip()  # a blank name keeps the code
    if not given:
        return Read(None)
    return Read(Country(None, given), f"country {given!r} not recognised; kept as given")


def read_tags(raw: str | list[str]) -> list[str]:
    """`"a, b"` or `["a", "b"]`: trimmed, empties and case-insensitive repeats dropped."""
    parts = raw.split(",") if isinstance(raw, str) else raw
    tags: list[str] = []
    seen: set[str] = set()
    for part in parts:
        tag = _SPACES.sub(" ", part).strip()
        if tag and name_key(tag) not in seen:
            seen.add(name_key(tag))
            tags.append(tag)
    return tags
