"""How an org's people write dates and numbers, from its country (SPEC §1, §4).

`01/02/1993` is 1 February in Vietnam and 2 January in the US; `50.000` is fifty
thousand in Germany and fifty in the UK. The CLDR data that says which (through
babel) is read once per country and kept in a `Conventions`, which the value readers
take: `read_date(raw, org.conventions)`.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

import pycountry
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_decimal_symbol, get_group_symbol

# The zone most of a country's people live in, where CLDR lists several in
# alphabetical order (its first US zone is America/Adak, the Aleutians).
_MAIN_ZONE = {
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "DE": "Europe/Berlin",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "ID": "Asia/Jakarta",
    "KZ": "Asia/Almaty",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NZ": "Pacific/Auckland",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
}


@dataclass(frozen=True)
class Conventions:
    """How dates and numbers are written in one country, and the zone in which an
    instant (epoch seconds) becomes a calendar date."""

    country: str  # ISO 3166-1 alpha-2
    timezone: str  # IANA zone name
    day_first: bool  # 01/02/1993 is 1 February (else 2 January)
    decimal: str  # the decimal mark: "." or ","
    group: str  # the thousands separator: ",", ".", a space, an apostrophe …

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return _zone(self.timezone)

    def describe(self) -> str:
        order = "day first" if self.day_first else "month first"
        group = {" ": "space", "\u00a0": "space", "\u202f": "space"}.get(self.group, self.group)
        return f"{self.country}: {order}, decimal mark {self.decimal!r}, thousands {group!r}"


def is_country(code: str) -> bool:
    return len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None


def is_timezone(name: str) -> bool:
    return name in _timezones()


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_choices() -> list[str]:
    return sorted(_timezones())


def country_choices() -> list[tuple[str, str]]:
    return sorted(
        ((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries),
        key=lambda pair: pair[1],
    )


@lru_cache(maxsize=512)
def main_timezone(country: str) -> str:
    """The zone a country's people mostly live in; UTC when CLDR knows none."""
    country = country.upper()
    if country in _MAIN_ZONE:
        return _MAIN_ZONE[country]
    zones = [z for z in get_global("territory_zones").get(country, []) if is_timezone(z)]
    return zones[0] if zones else "UTC"


@lru_cache(maxsize=512)
def conventions_for(country: str, timezone: str | None = None) -> Conventions:
    """The conventions of a country's main language (CLDR's likely locale for it:
    VN → vi_VN, DE → de_DE, US → en_US). Unknown countries write like the guide's
    examples: day first, decimal point."""
    country = (country or "").upper()
    zone = timezone if timezone and is_timezone(timezone) else main_timezone(country)
    try:
        locale = Locale.parse(f"und_{country}")
    except (UnknownLocaleError, ValueError):
        return Conventions(country, zone, day_first=True, decimal=".", group=",")
    pattern = locale.date_formats["short"].pattern
    day, month = pattern.find("d"), pattern.find("M")
    return Conventions(
        country,
        zone,
        # Year-first patterns (y/MM/dd in Japan) put the month before the day too.
        day_first=day < month,
        decimal=get_decimal_symbol(locale),
        group=get_group_symbol(locale),
    )


@lru_cache(maxsize=512)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


# What a reader assumes when no org is at hand: the vendor guide's Vietnam.
DEFAULT = conventions_for("VN")
