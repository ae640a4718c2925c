"""Reading incoming values: each reader returns what to store plus, when the value
could not be read, a warning for the sender. No reader raises on bad input: an
integration that sends one odd value must not lose the whole record.
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

# JavaScript's Date.prototype.toString(): "Fri Jan 01 1993 00:00:00 GMT+0700 (ICT)".
# dateutil reads "GMT+0700" with the POSIX sign (as UTC-7), so this form is read here.
_JS_DATE = re.compile(
    r"^[A-Za-z]{3} (?P<rest>[A-Za-z]{3} \d{1,2} \d{4} \d{2}:\d{2}:\d{2}) GMT(?P<off>[+-]\d{4})"
    r"(?: \(.*\))?$"
)
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DIGITS = re.compile(r"^-?\d+$")
# Epoch milliseconds from 1900 to 2200; beyond that a number is surely not a date.
_EPOCH_MS_RANGE = (-2_208_988_800_000, 7_258_118_400_000)


# A moment must stay a Python datetime in any offset: 9999-12-31T23:59:59-14:00 is
# year 10000 in UTC, which PostgreSQL stores but Python cannot read back (every page
# showing it would fail). A day's margin at each end covers every UTC offset.
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
_OUT_OF_RANGE = "out of range (years 1 to 9999); ignored"


def read_datetime(raw: object) -> Read[datetime | None]:
    """ISO 8601, DD/MM/YYYY, epoch milliseconds, or JavaScript's Date.toString()."""
    moment = _read_datetime(raw)
    if moment.value is None:
        return moment
    try:
        utc = aware(moment.value).astimezone(UTC)
    except (OverflowError, ValueError):
        return Read(None, _OUT_OF_RANGE)
    if not _EARLIEST <= utc <= _LATEST:
        return Read(None, _OUT_OF_RANGE)
    return moment


def _read_datetime(raw: object) -> Read[datetime | None]:
    problem = Read[datetime | None](
        None, "not a date (use ISO 8601, DD/MM/YYYY or epoch milliseconds); ignored"
    )
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return problem
    if isinstance(raw, int | float):
        return _from_epoch_ms(raw) or problem
    text = raw.strip()
    if _DIGITS.match(text) and len(text.lstrip("-")) > 8:
        # Epoch milliseconds have at most 13 digits in range; a longer run of digits
        # is no date, and int() refuses strings of thousands of digits anyway.
        if len(text.lstrip("-")) > 16:
            return problem
        return _from_epoch_ms(int(text)) or problem
    if match := _JS_DATE.match(text):
        try:
            moment = datetime.strptime(f"{match['rest']} {match['off']}", "%b %d %Y %H:%M:%S %z")
        except ValueError:
            return problem
        return Read(moment)
    if match := _DMY.match(text):
        day, month, year = (int(part) for part in match.groups())
        try:
            return Read(datetime(year, month, day))
        except ValueError:
            return problem
    try:
        return Read(dateutil_parser.isoparse(text))
    except (ValueError, OverflowError):
        return problem


def _from_epoch_ms(value: float) -> Read[datetime | None] | None:
    if value != value or not _EPOCH_MS_RANGE[0] <= value <= _EPOCH_MS_RANGE[1]:
        return None
    return Read(datetime.fromtimestamp(value / 1000, tz=UTC))


def read_date(raw: object) -> Read[date | None]:
    """A calendar date as written: the date part in the value's own offset."""
    moment = read_datetime(raw)
    if moment.value is None:
        return Read(None, moment.problem)
    return Read(moment.value.date())


def aware(moment: datetime) -> datetime:
    """A date-time with no offset is taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- numbers --------------------------------------------------------------------------


_DECIMAL_EXPONENT = 100


def read_decimal(raw: object) -> Read[Decimal | None]:
    problem = Read[Decimal | None](None, "not a number; ignored")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return problem
    text = str(raw).strip().replace(",", "") if isinstance(raw, str) else repr(raw)
    if len(text) > 40:
        return problem
    try:
        number = Decimal(text)
    except InvalidOperation:
        return problem
    if not number.is_finite():
        return problem
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
