"""The HTTPERR layout: column names, what a real timestamp is, and how a file is recognised."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from ..phrases import is_reason

KIND = "httperr"
DEFAULT_FIELDS = (
    "date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"
).split()
KNOWN_FIELDS = frozenset(DEFAULT_FIELDS) | {
    "streamid", "streamid_ex", "transport", "fault-code", "extended-fault-code",
}


def _looks_like_data(line: str) -> bool:
    tokens = line.split(" ")
    return (
        len(tokens) >= 4
        and len(tokens[0]) == 10 and tokens[0][4:5] == "-"
        and len(tokens[1]) == 8 and tokens[1][2:3] == ":"
        and (is_reason(tokens[-2]) or is_reason(tokens[-1]))
    )


def _looks_like_dateless_data(line: str) -> bool:
    """A line quoted without its leading fields: `HTTP/1.1 GET /time/ - 1 Connection_Dropped DefaultAppPool`."""
    tokens = line.split(" ")
    return (
        len(tokens) >= 5 and is_reason(tokens[-2])
        and (tokens[-4] == "-" or (len(tokens[-4]) == 3 and tokens[-4].isdigit()))
        and any(t.startswith("HTTP/") for t in tokens)
    )


def sniff(head: str) -> bool:
    """True when the text looks like an HTTPERR log (header or data lines)."""
    lines = head.splitlines()[:50]
    for line in lines:
        if line.startswith("#Software: Microsoft HTTP API"):
            return True
        if line.startswith("#Fields:") and "s-reason" in line:
            return True
        if line and not line.startswith("#") and _looks_like_data(line):
            return True
    return not any(line.startswith("#") for line in lines) and any(_looks_like_dateless_data(line) for line in lines)


def w3c_stamp(date: str, time: str) -> str | None:
    """Return 'YYYY-MM-DD HH:MM:SS' if the pair is a real timestamp, else None.

    Impossible dates and times (a mangled copy, or a forged line) count as untimed
    rather than reaching `parse_time`, which would refuse them.

    >>> w3c_stamp("2007-11-13", "20:01:44"), w3c_stamp("2024-02-30", "10:00:00"), w3c_stamp("2007-11-13", "24:00:00")
    ('2007-11-13 20:01:44', None, None)
    """
    if len(date) != 10 or len(time) != 8 or date[4] != "-" or date[7] != "-" or time[2] != ":" or time[5] != ":":
        return None
    if not (date[:4] + date[5:7] + date[8:] + time[:2] + time[3:5] + time[6:]).isdigit():
        return None
    if time[:2] > "23" or time[3:5] > "59" or time[6:] > "59" or not real_date(date):
        return None
    return f"{date} {time}"


@lru_cache(maxsize=4096)
def real_date(date: str) -> bool:
    """Cached: a log holds few distinct dates, and this runs for every line."""
    try:
        datetime.strptime(date, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def aligned_fields(tokens: list[str], fields: list[str], index: dict[str, int]) -> list[str] | None:
    """Column names for a line with fields missing at its end or start, judged by where its reason sits.

    IIS 6 lines without `s-queuename` and lines quoted without their date and
    addresses keep the reason in its place counted from the start or from the end.
    """
    if "s-reason" not in index:
        return None
    at = [i for i, token in enumerate(tokens) if is_reason(token)]
    if len(at) != 1:
        return None
    reason_at = at[0]
    if len(tokens) < len(fields) and reason_at == index["s-reason"]:
        return fields[: len(tokens)]
    missing = len(fields) - len(tokens)
    if 0 < missing and reason_at + missing == index["s-reason"]:
        return fields[missing:]
    return None


def parse_time(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
