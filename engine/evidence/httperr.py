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


def sniff(head: str) -> bool:
    """True when the text looks like an HTTPERR log (header or data lines)."""
    for line in head.splitlines()[:50]:
        if line.startswith("#Software: Microsoft HTTP API"):
            return True
        if line.startswith("#Fields:") and "s-reason" in line:
            return True
        if line and not line.startswith("#") and _looks_like_data(line):
            return True
    return False


def _stamp(date: str, time: str) -> str | None:
    """Return 'YYYY-MM-DD HH:MM:SS' if the pair is a real timestamp, else None."""
    if len(date) != 10 or len(time) != 8 or date[4] != "-" or date[7] != "-" or time[2] != ":" or time[5] != ":":
        return None
    if not (date[:4] + date[5:7] + date[8:] + time[:2] + time[3:5] + time[6:]).isdigit():
        return None
    return f"{date} {time}"


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    stats = HttpErrStats()
    result.stats = stats
    fields = DEFAULT_FIELDS
    index = {name: i for i, name in enumerate(fields)}
    width = len(fields)
    layout = "13 fields (no #Fields: header, default layout)"
    saw_anything = False
    salvaged = 0
    for number, line in lines:
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith("#Fields:"):
                fields = line[len("#Fields:"):].split()
                index = {name: i for i, name in enumerate(fields)}
                width = len(fields)
                layout = f"{width} fields"
                unknown = {f for f in fields if f not in KNOWN_FIELDS}
                stats.unknown_columns |= unknown
                if "s-reason" not in index:
                    result.skips.append(Skip(number, "#Fields: header has no s-reason column; lines under it cannot be read"))
            saw_anything = True
            continue
        result.data_lines += 1
        tokens = line.split(" ")
        if len(tokens) != width or "s-reason" not in index:
            reasons_at = [i for i, token in enumerate(tokens) if is_reason(token)]
            if len(reasons_at) == 1 and len(tokens) >= 3:
                # A typo or a mangled field: only date, time and the reason are trusted.
                reason, count = split_counted(tokens[reasons_at[0]])
                stats.add(reason, count, _stamp(tokens[0], tokens[1]), "-", "-", "-", lines.ref(number))
                salvaged += 1
                saw_anything = True
                continue
            if not saw_anything and result.data_lines >= 5:
                raise NotThisKind("no line matches the HTTPERR layout")
            result.skips.append(Skip(number, f"{len(tokens)} fields where the #Fields: header has {width}, and no single reason phrase to rescue"))
            continue
        reason, count = split_counted(tokens[index["s-reason"]])
        if not is_reason(reason):
            # Unknown phrases are kept: HTTP.sys adds phrases over the years.
            stats.unknown_reasons[reason] += 1
        saw_anything = True
        stats.layouts[layout] += 1
        stats.add(
            reason,
            count,
            _stamp(tokens[index["date"]], tokens[index["time"]]) if "date" in index and "time" in index else None,
            tokens[index["cs-uri"]] if "cs-uri" in index else "-",
            tokens[index["s-queuename"]] if "s-queuename" in index else "-",
            tokens[index["sc-status"]] if "sc-status" in index else "-",
            lines.ref(number),
        )
    if not saw_anything:
        raise NotThisKind("no HTTPERR header or data line found")
    if salvaged:
        result.notes.append(f"{salvaged} line(s) had a field count that did not match #Fields:; only date, time and reason were used")
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
