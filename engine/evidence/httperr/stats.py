"""`HttpErrStats`: what a set of HTTPERR lines comes to, mergeable across files and processes."""
from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field

from ..base import SourceRef
from ..phrases import is_reason
from ..minutes import MinuteCounts
from ..topk import TopCounts, top_counts

EXAMPLES_PER_REASON = 5
# Distinct values kept per counter (TopCounts: the busiest, in bounded memory).
URL_CAP = 5000  # per reason
QUEUE_CAP = 1000
STATUS_CAP = 1000
UNKNOWN_CAP = 1000  # unknown reason phrases, as named in the notes
# Unknown phrases that become reasons of their own (facts, timeline series); the lines of
# any further unknown phrase are counted under OTHER_UNKNOWN, so a file of 100,000
# invented phrases is 101 reasons, not 100,000.
UNKNOWN_REASONS = 100
OTHER_UNKNOWN = "Other_Unknown_Phrases"


@dataclass
class HttpErrStats:
    """Mergeable aggregate of HTTPERR lines: merging two equals parsing both files."""

    records: int = 0
    reasons: Counter = field(default_factory=Counter)
    reason_lines: Counter = field(default_factory=Counter)
    # (reason, "YYYY-MM-DD HH:MM") -> entries
    per_minute: MinuteCounts = field(default_factory=MinuteCounts)
    urls: dict[str, TopCounts] = field(default_factory=dict)
    queues: TopCounts = top_counts(QUEUE_CAP)  # (reason, queue) -> entries
    statuses: TopCounts = top_counts(STATUS_CAP)
    first_seen: dict[str, str] = field(default_factory=dict)
    last_seen: dict[str, str] = field(default_factory=dict)
    examples: dict[str, list[SourceRef]] = field(default_factory=dict)
    layouts: Counter = field(default_factory=Counter)
    unknown_columns: set[str] = field(default_factory=set)
    untimed: int = 0
    unknown_reasons: TopCounts = top_counts(UNKNOWN_CAP)  # phrase -> lines

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
            self.queues.add((reason, queue), count)
        self.statuses.add(status, count)
        examples = self.examples.setdefault(reason, [])
        if len(examples) < EXAMPLES_PER_REASON:
            examples.append(ref)

    def add_url(self, reason: str, url: str, count: int) -> None:
        by_url = self.urls.get(reason)
        if by_url is None:
            by_url = self.urls[reason] = TopCounts(URL_CAP)
        by_url.add(url, count)

    def distinct_urls(self, reason: str) -> int:
        """Distinct URLs of `reason` (a lower bound once more than URL_CAP were seen)."""
        by_url = self.urls.get(reason)
        return 0 if by_url is None else by_url.distinct()

    def seen(self, reason: str, first: str, last: str) -> None:
        if reason not in self.first_seen or first < self.first_seen[reason]:
            self.first_seen[reason] = first
        if reason not in self.last_seen or last > self.last_seen[reason]:
            self.last_seen[reason] = last

    def unknown_names(self) -> int:
        """Unknown phrases counted as reasons of their own here."""
        return sum(1 for reason in self.reasons if reason != OTHER_UNKNOWN and not is_reason(reason))

    def merge(self, other: "HttpErrStats") -> "HttpErrStats":
        """Add `other` (which stays as it was); past UNKNOWN_REASONS its new unknown phrases count as OTHER_UNKNOWN."""
        new = [r for r in other.reasons if r not in self.reasons and r != OTHER_UNKNOWN and not is_reason(r)]
        room = max(UNKNOWN_REASONS - self.unknown_names(), 0)
        if len(new) > room:
            other = other.renamed(dict.fromkeys(new[room:], OTHER_UNKNOWN))
        self.records += other.records
        self.reasons.update(other.reasons)
        self.reason_lines.update(other.reason_lines)
        self.per_minute.update(other.per_minute)
        for reason, by_url in other.urls.items():
            self.urls.setdefault(reason, TopCounts(URL_CAP)).merge(by_url)
        self.queues.merge(other.queues)
        self.statuses.merge(other.statuses)
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
        self.unknown_reasons.merge(other.unknown_reasons)
        return self

    def peak_per_minute(self, reason: str) -> int:
        return self.per_minute.peak(reason)

    def top_urls(self, reason: str, n: int = 3) -> list[tuple[str, int]]:
        return heapq.nlargest(n, self.urls.get(reason, {}).items(), key=lambda item: (item[1], item[0]))

    def renamed(self, names: dict[str, str]) -> "HttpErrStats":
        """A copy with some reasons counted under other names (`names`: old -> new)."""
        def name(reason: str) -> str:
            return names.get(reason, reason)

        out = HttpErrStats(records=self.records, layouts=Counter(self.layouts), unknown_columns=set(self.unknown_columns),
                           untimed=self.untimed, statuses=self.statuses, unknown_reasons=self.unknown_reasons)
        for reason in self.reasons:
            out.reasons[name(reason)] += self.reasons[reason]
            out.reason_lines[name(reason)] += self.reason_lines[reason]
        out.per_minute = self.per_minute.renamed(names)
        for reason, by_url in self.urls.items():
            out.urls.setdefault(name(reason), TopCounts(URL_CAP)).merge(by_url)
        for (reason, queue), n in self.queues.items():
            out.queues.add((name(reason), queue), n)
        out.queues.total, out.queues.thinned = self.queues.total, self.queues.thinned
        for reason in self.first_seen:
            out.seen(name(reason), self.first_seen[reason], self.last_seen[reason])
        for reason, refs in self.examples.items():
            mine = out.examples.setdefault(name(reason), [])
            mine.extend(refs[: EXAMPLES_PER_REASON - len(mine)])
        return out
