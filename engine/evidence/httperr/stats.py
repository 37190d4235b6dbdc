"""`HttpErrStats`: what a set of HTTPERR lines comes to, mergeable across files and processes."""
from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field

from ..base import SourceRef
from ..minutes import MinuteCounts

EXAMPLES_PER_REASON = 5
URL_CAP = 5000


@dataclass
class HttpErrStats:
    """Mergeable aggregate of HTTPERR lines: merging two equals parsing both files."""

    records: int = 0
    reasons: Counter = field(default_factory=Counter)
    reason_lines: Counter = field(default_factory=Counter)
    # (reason, "YYYY-MM-DD HH:MM") -> entries
    per_minute: MinuteCounts = field(default_factory=MinuteCounts)
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
            self.per_minute.add(reason, stamp[:16], count)
            self.seen(reason, stamp, stamp)
        if url != "-":
            self.add_url(reason, url, count)
        if queue != "-":
            self.queues[(reason, queue)] += count
        self.statuses[status] += count
        examples = self.examples.setdefault(reason, [])
        if len(examples) < EXAMPLES_PER_REASON:
            examples.append(ref)

    def add_url(self, reason: str, url: str, count: int) -> None:
        by_url = self.urls.get(reason)
        if by_url is None:
            by_url = self.urls[reason] = Counter()
        by_url[url] += count
        self.cap_urls(reason)

    def cap_urls(self, reason: str) -> None:
        """Past URL_CAP distinct URLs keep the busiest half (memory stays flat on URL scans)."""
        by_url = self.urls[reason]
        if len(by_url) > URL_CAP:
            self.urls[reason] = Counter(dict(by_url.most_common(URL_CAP // 2)))

    def seen(self, reason: str, first: str, last: str) -> None:
        if reason not in self.first_seen or first < self.first_seen[reason]:
            self.first_seen[reason] = first
        if reason not in self.last_seen or last > self.last_seen[reason]:
            self.last_seen[reason] = last

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
        return self.per_minute.peak(reason)

    def top_urls(self, reason: str, n: int = 3) -> list[tuple[str, int]]:
        return heapq.nlargest(n, self.urls.get(reason, Counter()).items(), key=lambda item: (item[1], item[0]))
