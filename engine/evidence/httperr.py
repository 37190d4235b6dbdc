"""HTTP.sys error log (`%SystemRoot%\\System32\\LogFiles\\HTTPERR\\httperr*.log`).

Space-separated W3C lines, times in UTC, `-` for an empty field. The columns come
from the latest `#Fields:` directive (HTTP.sys writes a new header block each time
it starts writing to a file); without one the classic 13-field layout is assumed.
Sample input::

    #Software: Microsoft HTTP API 2.0
    #Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename
    2007-11-13 20:01:44 - - - - - - - - - 3_Connections_Refused -
    2007-01-01 23:48:12 10.0.0.5 3362 10.0.0.1 80 HTTP/1.0 POST /URL/Page - 1 Connection_Dropped -

Lines become one mergeable `HttpErrStats` (counts per reason, per minute, per URL,
per queue, first and last seen), never a list of millions of records.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> stats = parse(Lines("httperr1.log", [
...     "2007-11-13 20:01:44 - - - - - - - - - 3_Connections_Refused -",
...     "2007-11-13 20:01:49 - - - - - - - - - 4_Connections_Refused -",
... ])).stats
>>> stats.reasons["Connections_Refused"], stats.reason_lines["Connections_Refused"]
(7, 2)
"""
from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

from .base import Lines, NotThisKind, ParseResult, Skip, SourceRef
from .phrases import is_reason, split_counted

KIND = "httperr"
DEFAULT_FIELDS = (
    "date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"
).split()
KNOWN_FIELDS = frozenset(DEFAULT_FIELDS) | {
    "streamid", "streamid_ex", "transport", "fault-code", "extended-fault-code",
}
EXAMPLES_PER_REASON = 5
URL_CAP = 5000


@dataclass
class HttpErrStats:
    """Mergeable aggregate of HTTPERR lines: merging two equals parsing both files."""

    records: int = 0
    reasons: Counter = field(default_factory=Counter)
    reason_lines: Counter = field(default_factory=Counter)
    per_minute: Counter = field(default_factory=Counter)
    urls: dict[str, Counter] = field(default_factory=dict)
    queues: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    first_seen: dict[str, str] = field(default_factory=dict)
    last_seen: dict[str, str] = field(default_factory=dict)
    examples: dict[str, list[SourceRef]] = field(default_factory=dict)
    layouts: Counter = field(default_factory=Counter)
    unknown_columns: set[str] = field(default_factory=set)
    untimed: int = 0
    unknown_reasons: Counter = field(default_factory=Counter)

    def add(self, reason: str, count: int, stamp: str | None, url: str, queue: str, status: str, ref: SourceRef) -> None:
        self.records += 1
        self.reasons[reason] += count
        self.reason_lines[reason] += 1
        if stamp is None:
            self.untimed += 1
        else:
            self.per_minute[(reason, stamp[:16])] += count
            if reason not in self.first_seen or stamp < self.first_seen[reason]:
                self.first_seen[reason] = stamp
            if reason not in self.last_seen or stamp > self.last_seen[reason]:
                self.last_seen[reason] = stamp
        if url != "-":
            by_url = self.urls.setdefault(reason, Counter())
            by_url[url] += count
            if len(by_url) > URL_CAP:
                self.urls[reason] = Counter(dict(by_url.most_common(URL_CAP // 2)))
        if queue != "-":
            self.queues[(reason, queue)] += count
        self.statuses[status] += count
        examples = self.examples.setdefault(reason, [])
        if len(examples) < EXAMPLES_PER_REASON:
            examples.append(ref)

    def merge(self, other: "HttpErrStats") -> "HttpErrStats":
        self.records += other.records
        self.reasons.update(other.reasons)
        self.reason_lines.update(other.reason_lines)
        self.per_minute.update(other.per_minute)
        for reason, by_url in other.urls.items():
            self.urls.setdefault(reason, Counter()).update(by_url)
        self.queues.update(other.queues)
        self.statuses.update(other.statuses)
        for reason, stamp in other.first_seen.items():
            if reason not in self.first_seen or stamp < self.first_seen[reason]:
                self.first_seen[reason] = stamp
        for reason, stamp in other.last_seen.items():
            if reason not in self.last_seen or stamp > self.last_seen[reason]:
                self.last_seen[reason] = stamp
        for reason, refs in other.examples.items():
            mine = self.examples.setdefault(reason, [])
            mine.extend(refs[: EXAMPLES_PER_REASON - len(mine)])
        self.layouts.update(other.layouts)
        self.unknown_columns |= other.unknown_columns
        self.untimed += other.untimed
        self.unknown_reasons.update(other.unknown_reasons)
        return self

    def peak_per_minute(self, reason: str) -> int:
        return max((n for (r, _), n in self.per_minute.items() if r == reason), default=0)

    def top_urls(self, reason: str, n: int = 3) -> list[tuple[str, int]]:
        return heapq.nlargest(n, self.urls.get(reason, Counter()).items(), key=lambda item: (item[1], item[0]))


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


def _stamp(date: str, time: str) -> str | None:
    """Return 'YYYY-MM-DD HH:MM:SS' if the pair is a real timestamp, else None.

    Impossible dates and times (a mangled copy, or a forged line) count as untimed
    rather than reaching `parse_time`, which would refuse them.

    >>> _stamp("2007-11-13", "20:01:44"), _stamp("2024-02-30", "10:00:00"), _stamp("2007-11-13", "24:00:00")
    ('2007-11-13 20:01:44', None, None)
    """
    if len(date) != 10 or len(time) != 8 or date[4] != "-" or date[7] != "-" or time[2] != ":" or time[5] != ":":
        return None
    if not (date[:4] + date[5:7] + date[8:] + time[:2] + time[3:5] + time[6:]).isdigit():
        return None
    if time[:2] > "23" or time[3:5] > "59" or time[6:] > "59" or not _real_date(date):
        return None
    return f"{date} {time}"


@lru_cache(maxsize=4096)
def _real_date(date: str) -> bool:
    """Cached: a log holds few distinct dates, and this runs for every line."""
    try:
        datetime.strptime(date, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _aligned_fields(tokens: list[str], fields: list[str], index: dict[str, int]) -> list[str] | None:
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


class _Reader:
    """One file's lines, one `#Fields:` block at a time, into the shared stats."""

    def __init__(self, lines: Lines, result: ParseResult, stats: HttpErrStats):
        self.lines = lines
        self.result = result
        self.stats = stats
        self.set_fields(DEFAULT_FIELDS, "13 fields (no #Fields: header, default layout)")
        self.salvaged = 0
        self.aligned = 0
        self.saw_anything = False

    def set_fields(self, fields: list[str], layout: str) -> None:
        self.fields = list(fields)
        self.index = {name: i for i, name in enumerate(self.fields)}
        self.width = len(self.fields)
        self.layout = layout

    def take(self, tokens: list[str], number: int) -> None:
        """Read one logical line (wrapped lines already joined)."""
        result, stats, index = self.result, self.stats, self.index
        names = self.fields if len(tokens) == self.width and "s-reason" in index else None
        if names is None:
            names = _aligned_fields(tokens, self.fields, index)
            if names is not None:
                self.aligned += 1
        if names is None:
            reasons_at = [i for i, token in enumerate(tokens) if is_reason(token)]
            if len(reasons_at) == 1 and len(tokens) >= 3:
                # A typo or a mangled field: only date, time and the reason are trusted.
                reason, count = split_counted(tokens[reasons_at[0]])
                stats.add(reason, count, _stamp(tokens[0], tokens[1]), "-", "-", "-", self.lines.ref(number))
                self.salvaged += 1
                self.saw_anything = True
                return
            if not self.saw_anything and result.data_lines >= 5:
                raise NotThisKind("no line matches the HTTPERR layout")
            result.skips.append(Skip(number, f"{len(tokens)} fields where the #Fields: header has {self.width}, and no single reason phrase to rescue"))
            return
        row = dict(zip(names, tokens))
        reason, count = split_counted(row["s-reason"])
        if not is_reason(reason):
            # Unknown phrases are kept: HTTP.sys adds phrases over the years.
            stats.unknown_reasons[reason] += 1
        self.saw_anything = True
        stats.layouts[self.layout] += 1
        stats.add(
            reason,
            count,
            _stamp(row["date"], row["time"]) if "date" in row and "time" in row else None,
            row.get("cs-uri", "-"),
            row.get("s-queuename", "-"),
            row.get("sc-status", "-"),
            self.lines.ref(number),
        )


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    stats = HttpErrStats()
    result.stats = stats
    reader = _Reader(lines, result, stats)
    pending: tuple[int, list[str]] | None = None  # a line wrapped by whoever copied the log
    for number, line in lines:
        if not line.strip():
            continue
        if line.startswith("#"):
            if pending:
                reader.take(pending[1], pending[0])
                pending = None
            if line.startswith("#Fields:"):
                fields = line[len("#Fields:"):].split()
                reader.set_fields(fields, f"{len(fields)} fields")
                stats.unknown_columns |= {f for f in fields if f not in KNOWN_FIELDS}
                if "s-reason" not in reader.index:
                    # A note, not a skip: skips count data lines, and each line under it is counted itself.
                    result.notes.append(f"line {number}: #Fields: header has no s-reason column; "
                                        "only lines with a reason phrase under it could be read")
            reader.saw_anything = True
            continue
        result.data_lines += 1
        tokens = line.split(" ")
        starts_record = len(tokens) >= 2 and _stamp(tokens[0], tokens[1]) is not None
        if pending and not starts_record:
            pending[1].extend(t for t in tokens if t)
            result.skips.append(Skip(number, f"continuation of line {pending[0]} (the line was wrapped); joined to it"))
            if len(pending[1]) >= reader.width or any(is_reason(t) for t in tokens):
                reader.take(pending[1], pending[0])
                pending = None
            continue
        if pending:
            reader.take(pending[1], pending[0])
            pending = None
        if starts_record and len(tokens) < reader.width and not any(is_reason(t) for t in tokens):
            pending = (number, tokens)
            continue
        reader.take(tokens, number)
    if pending:
        reader.take(pending[1], pending[0])
    if not reader.saw_anything:
        raise NotThisKind("no HTTPERR header or data line found")
    if reader.aligned:
        result.notes.append(f"{reader.aligned} line(s) had fewer fields than #Fields:; columns were matched by the reason's position")
    if reader.salvaged:
        result.notes.append(f"{reader.salvaged} line(s) had a field count that did not match #Fields:; only date, time and reason were used")
    if stats.untimed:
        result.notes.append(f"{stats.untimed} line(s) had no valid date/time; counted without a timestamp")
    if stats.unknown_columns:
        result.notes.append("unknown columns kept but not interpreted: " + ", ".join(sorted(stats.unknown_columns)))
    if stats.unknown_reasons:
        result.notes.append("reason phrases the knowledge base does not know, counted as is: "
                            + ", ".join(f"{r} ({n})" for r, n in stats.unknown_reasons.most_common()))
    return result


def parse_time(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
