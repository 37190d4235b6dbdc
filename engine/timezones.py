"""Which UTC offset a server's local times are in, and turning them into UTC.

HTTPERR and IIS logs are UTC already, PerfMon CSV carries its own bias, but event
logs and `systeminfo` print local time. The zone comes from `--tz` (a person knows
best), else from the `systeminfo` "Time Zone" line. A Windows zone name that maps to
an IANA zone gets daylight saving right; otherwise the fixed offset printed in
brackets is used, and the report says so.

>>> zone = zone_from_systeminfo("(GMT-06:00) Central Time (US & Canada)")
>>> zone.label
'America/Chicago (from systeminfo Time Zone "(GMT-06:00) Central Time (US & Canada)")'
>>> to_utc(datetime(2007, 11, 13, 14, 1, 44), zone).isoformat()
'2007-11-13T20:01:44+00:00'
>>> parse_tz_option("+05:30").label
'UTC+05:30 (from --tz)'
>>> zone_from_systeminfo("(UTC+01:00) Hauptstadt").label
'UTC+01:00 (from systeminfo Time Zone "(UTC+01:00) Hauptstadt"; fixed offset, daylight saving not applied)'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OFFSET = re.compile(r"^(?:UTC|GMT)?\s*(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?$", re.IGNORECASE)
BRACKET = re.compile(r"\((?:UTC|GMT)(?:(?P<sign>[+-])(?P<hours>\d{1,2}):(?P<minutes>\d{2}))?\)")
# The Windows display names seen most on servers, by the words after the bracket.
WINDOWS_NAMES = (
    ("Central Time (US & Canada)", "America/Chicago"),
    ("Eastern Time (US & Canada)", "America/New_York"),
    ("Mountain Time (US & Canada)", "America/Denver"),
    ("Pacific Time (US & Canada)", "America/Los_Angeles"),
    ("Dublin, Edinburgh, Lisbon, London", "Europe/London"),
    ("Greenwich Mean Time", "Europe/London"),
    ("Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin"),
    ("Brussels, Copenhagen, Madrid, Paris", "Europe/Paris"),
    ("Belgrade, Bratislava, Budapest, Ljubljana, Prague", "Europe/Prague"),
    ("Sarajevo, Skopje, Warsaw, Zagreb", "Europe/Warsaw"),
    ("Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius", "Europe/Helsinki"),
    ("Osaka, Sapporo, Tokyo", "Asia/Tokyo"),
    ("Chennai, Kolkata, Mumbai, New Delhi", "Asia/Kolkata"),
    ("Beijing, Chongqing, Hong Kong, Urumqi", "Asia/Shanghai"),
    ("Canberra, Melbourne, Sydney", "Australia/Sydney"),
    ("Coordinated Universal Time", "UTC"),
)


@dataclass(frozen=True)
class Zone:
    """A server's zone and, in words, where it came from."""

    tz: tzinfo
    label: str


def _zoneinfo(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _fixed(sign: str, hours: str, minutes: str | None) -> tuple[timezone, str]:
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    text = f"UTC{sign}{int(hours):02d}:{int(minutes or 0):02d}"
    return timezone(delta if sign == "+" else -delta), text


def parse_tz_option(text: str) -> Zone:
    """`--tz` value: `+01:00`, `-0500`, `UTC+2`, `UTC`, or an IANA name such as `Europe/Berlin`."""
    value = text.strip()
    if value.upper() in ("UTC", "GMT", "Z"):
        return Zone(timezone.utc, "UTC (from --tz)")
    match = OFFSET.match(value)
    if match:
        hours, minutes = int(match.group("hours")), int(match.group("minutes") or 0)
        if minutes >= 60 or hours * 60 + minutes > (14 if match.group("sign") == "+" else 12) * 60:
            raise ValueError(f"{value} is not a UTC offset: offsets run from -12:00 to +14:00")
        tz, shown = _fixed(match.group("sign"), match.group("hours"), match.group("minutes"))
        return Zone(tz, f"{shown} (from --tz)")
    zone = _zoneinfo(value)
    if zone is None:
        raise ValueError(f"unknown time zone {text!r}: use an offset such as +01:00 or a name such as Europe/Berlin")
    return Zone(zone, f"{value} (from --tz)")


def zone_from_systeminfo(value: str | None) -> Zone | None:
    """The zone named by systeminfo's `Time Zone:` line, or None when it names none."""
    if not value:
        return None
    where = f'from systeminfo Time Zone "{value}"'
    for words, name in WINDOWS_NAMES:
        if words.lower() in value.lower():
            zone = _zoneinfo(name)
            if zone is not None:
                return Zone(zone, f"{name} ({where})")
    match = BRACKET.search(value)
    if not match:
        return None
    if not match.group("sign"):
        return Zone(timezone.utc, f"UTC ({where})")
    try:
        tz, shown = _fixed(match.group("sign"), match.group("hours"), match.group("minutes"))
    except ValueError:  # (UTC+99:00): a damaged line names no usable zone
        return None
    return Zone(tz, f"{shown} ({where}; fixed offset, daylight saving not applied)")


def to_utc(stamp: datetime, zone: Zone | None) -> datetime | None:
    """UTC for a stamp: aware stamps convert as they are, naive ones need the server's zone."""
    if stamp.tzinfo is not None:
        try:
            return stamp.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            return None
    if zone is None:
        return None
    try:
        return stamp.replace(tzinfo=zone.tz).astimezone(timezone.utc)
    except (OverflowError, ValueError):  # year 9999 plus a western offset
        return None
