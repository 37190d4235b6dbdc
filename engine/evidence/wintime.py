"""Read the date and time strings Windows tools print, exactly as written.

Event Viewer, `wevtutil`, `systeminfo` and PerfMon print the server's *local* time in
the format of its locale; only some strings carry a zone (`...Z`, `+01:00`). Parsers
keep what was written (a naive datetime means "local time of that server"); turning
it into UTC needs the server's zone and happens in `engine/timezones.py`.

>>> read_stamp("10/14/2016 9:32:42 AM")
datetime.datetime(2016, 10, 14, 9, 32, 42)
>>> read_stamp("2016-12-22T05:29:02.512")
datetime.datetime(2016, 12, 22, 5, 29, 2, 512000)
>>> read_stamp("2026-09-29T13:14:02.1230000Z").tzinfo
datetime.timezone.utc
>>> read_stamp("14.10.2016 21:32:42")
datetime.datetime(2016, 10, 14, 21, 32, 42)
>>> read_stamp("1/29/2004", "10:01:14 AM")
datetime.datetime(2004, 1, 29, 10, 1, 14)
>>> read_stamp("yesterday") is None
True
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_DMY_OR_MDY = re.compile(
    r"^(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})\.?(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d+))?\s*([AaPp]\.?[Mm]\.?)?)?$"
)


def _fraction(digits: str | None) -> int:
    return int((digits or "0")[:6].ljust(6, "0"))


def read_stamp(date: str, time: str | None = None, day_first: bool | None = None) -> datetime | None:
    """Parse one Windows date (and optional separate time); None when it is not one.

    Month-first is assumed for slashes unless the first number cannot be a month or
    `day_first` says otherwise; dots (`14.10.2016`) are always day-first.
    """
    text = date.strip().lstrip("\u200e\u200f")
    if time:
        text = f"{text} {time.strip()}"
    text = text.replace("\u200e", "").replace("\u200f", "")
    match = _ISO.match(text)
    if match:
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        zone = match.group(8)
        try:
            stamp = datetime(year, month, day, hour, minute, second, _fraction(match.group(7)))
        except ValueError:
            return None
        if zone == "Z":
            return stamp.replace(tzinfo=timezone.utc)
        if zone:
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            try:
                return stamp.replace(tzinfo=timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))))
            except ValueError:  # an offset of a day or more: not a real stamp
                return None
        return stamp
    match = _DMY_OR_MDY.match(text)
    if not match:
        return None
    first, sep, second, third, hour, minute, sec, frac, ampm = match.groups()
    if len(first) == 4:
        year, month, day = int(first), int(second), int(third)
    else:
        year = int(third) if len(third) == 4 else 2000 + int(third)
        a, b = int(first), int(second)
        if sep == "." or day_first or a > 12:
            day, month = a, b
        else:
            month, day = a, b
    hour_n = int(hour or 0)
    if ampm:
        pm = ampm[0].lower() == "p"
        if hour_n == 12:
            hour_n = 12 if pm else 0
        elif pm:
            hour_n += 12
    try:
        return datetime(year, month, day, hour_n, int(minute or 0), int(sec or 0), _fraction(frac))
    except ValueError:
        return None
