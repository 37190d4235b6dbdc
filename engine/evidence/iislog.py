"""IIS W3C access logs (`u_ex*.log` / `ex*.log`): the requests IIS itself answered.

Sample input::

    #Software: Microsoft Internet Information Services 6.0
    #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken
    2007-01-01 23:46:10 10.0.0.1 POST /URL/Page - 80 - 10.0.0.5 Mozilla/4.0 200 0 0 118922

Like HTTPERR the columns come from `#Fields:`. When the log has `s-computername`
the server it names is the file's host. Lines become one mergeable
`IisStats`: requests per minute, status and win32-status counts, time-taken buckets
and the slow requests per URL, which is what tells load from a stuck application.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> stats = parse(Lines("u_ex070101.log", [
...     "#Fields: date time cs-method cs-uri-stem sc-status sc-substatus sc-win32-status time-taken",
...     "2007-01-01 23:46:10 POST /URL/Page 200 0 64 118922",
...     "2007-01-01 23:46:11 GET /default.aspx 200 0 0 15",
... ])).stats
>>> stats.requests, stats.slow, stats.win32[64]
(2, 1, 1)
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .base import Lines, NotThisKind, ParseResult, Skip
from .httperr import w3c_stamp
from .topk import TopCounts, top_counts

KIND = "iislog"
SLOW_MS = 60_000
# Upper bounds (ms) of the time-taken histogram; the last bucket is open-ended. Long-running
# requests (RPC over HTTP, ActiveSync Ping, long polling) take from minutes to an hour.
BUCKETS = (100, 500, 1_000, 5_000, 10_000, 30_000, 60_000, 90_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000)
URL_CAP = 5000
COMPUTERS_CAP = 16  # distinct s-computername values counted: a forged file cannot grow it
STATUS_CAP = 1000  # distinct status.substatus and win32 values kept (the busiest: TopCounts)


@dataclass
class IisStats:
    requests: int = 0
    per_minute: Counter = field(default_factory=Counter)
    statuses: TopCounts = top_counts(STATUS_CAP)
    win32: TopCounts = top_counts(STATUS_CAP)
    time_taken: Counter = field(default_factory=Counter)
    # The longest time-taken seen: the only true upper bound for the open-ended last bucket.
    longest_ms: int = 0
    slow: int = 0
    slow_urls: TopCounts = top_counts(URL_CAP)
    urls: TopCounts = top_counts(URL_CAP)
    first_seen: str | None = None
    last_seen: str | None = None

    def merge(self, other: "IisStats") -> "IisStats":
        self.requests += other.requests
        self.per_minute.update(other.per_minute)
        self.time_taken.update(other.time_taken)
        self.longest_ms = max(self.longest_ms, other.longest_ms)
        for name in ("statuses", "win32", "slow_urls", "urls"):
            getattr(self, name).merge(getattr(other, name))
        self.slow += other.slow
        if other.first_seen and (self.first_seen is None or other.first_seen < self.first_seen):
            self.first_seen = other.first_seen
        if other.last_seen and (self.last_seen is None or other.last_seen > self.last_seen):
            self.last_seen = other.last_seen
        return self

    def percentile_ms(self, fraction: float) -> int | None:
        """Upper bound of the bucket holding the given fraction of requests (for the open-ended
        last bucket, the longest time-taken seen: its lower edge would understate it).

        >>> stats = IisStats(time_taken=Counter({500: 90, None: 10}), longest_ms=5_400_000)
        >>> stats.percentile_ms(0.5), stats.percentile_ms(0.95)
        (500, 5400000)
        """
        total = sum(self.time_taken.values())
        if not total:
            return None
        seen = 0
        for bound in BUCKETS:
            seen += self.time_taken.get(bound, 0)
            if seen >= fraction * total:
                return bound
        return self.longest_ms


def _bucket(ms: int) -> int | None:
    for bound in BUCKETS:
        if ms <= bound:
            return bound
    return None


def sniff(head: str) -> bool:
    for line in head.splitlines()[:20]:
        if line.startswith("#Software: Microsoft Internet Information Services"):
            return True
        if line.startswith("#Fields:") and ("cs-uri-stem" in line or "time-taken" in line) and "s-reason" not in line:
            return True
    return False


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    stats = IisStats()
    result.stats = stats
    index: dict[str, int] | None = None
    width = 0
    computers: Counter = Counter()
    for number, line in lines:
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith("#Fields:"):
                names = line[len("#Fields:"):].split()
                index = {name: i for i, name in enumerate(names)}
                width = len(names)
            continue
        result.data_lines += 1
        if index is None:
            result.skips.append(Skip(number, "data line before any #Fields: header"))
            continue
        tokens = line.split(" ")
        if len(tokens) != width:
            result.skips.append(Skip(number, f"{len(tokens)} fields where the #Fields: header has {width}"))
            continue
        stats.requests += 1
        stamp = w3c_stamp(tokens[index["date"]], tokens[index["time"]]) if "date" in index and "time" in index else None
        if stamp is not None:  # an impossible date would break the timeline; the request still counts
            stats.per_minute[stamp[:16]] += 1
            if stats.first_seen is None or stamp < stats.first_seen:
                stats.first_seen = stamp
            if stats.last_seen is None or stamp > stats.last_seen:
                stats.last_seen = stamp
        if "s-computername" in index:
            _count_computer(computers, tokens[index["s-computername"]])
        url = tokens[index["cs-uri-stem"]] if "cs-uri-stem" in index else "-"
        stats.urls.add(url)
        if "sc-status" in index:
            status = tokens[index["sc-status"]]
            sub = tokens[index["sc-substatus"]] if "sc-substatus" in index else "0"
            stats.statuses.add(f"{status}.{sub}")
        if "sc-win32-status" in index and tokens[index["sc-win32-status"]].isdigit():
            stats.win32.add(int(tokens[index["sc-win32-status"]]))
        if "time-taken" in index and tokens[index["time-taken"]].isdigit():
            ms = int(tokens[index["time-taken"]])
            stats.time_taken[_bucket(ms)] += 1
            stats.longest_ms = max(stats.longest_ms, ms)
            if ms >= SLOW_MS:
                stats.slow += 1
                stats.slow_urls.add(url)
    if index is None and not stats.requests:
        raise NotThisKind("no IIS #Fields: header")
    if computers:
        result.host = computers.most_common(1)[0][0]
        if len(computers) > 1:
            result.notes.append("requests logged by several computers (s-computername): " + ", ".join(sorted(computers)))
    return result


def _count_computer(computers: Counter, name: str) -> None:
    if name != "-" and (name in computers or len(computers) < COMPUTERS_CAP):
        computers[name] += 1
