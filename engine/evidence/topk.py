"""Counts of the busiest values in bounded memory, however many distinct values a log holds.

A log can name millions of distinct URLs, queues or status values (a scanner, a
forged file); a diagnosis only needs the busiest few and how much is left over.
`TopCounts` counts exactly until it holds `capacity` values; past that it thins
itself the Misra-Gries way, in batches: every count drops by the count of the
(capacity/2 + 1)-th busiest value and values left at zero go, so at most
capacity/2 remain. What it guarantees, for N entries counted in all:

- a value with more than N / (capacity/2 + 1) entries is always kept, and any
  kept count is at most that much below the true one (never above it);
- `others()` is exactly the entries not held by the kept values (the "and N more");
- `distinct()` is a lower bound on the number of distinct values (exact until thinned).

Below its capacity (every ordinary log) it is a plain exact counter.

>>> counts = TopCounts(4)
>>> for value in ["/a", "/a", "/a", "/b", "/c", "/d", "/e", "/a"]:
...     counts.add(value)
>>> counts.most_common(1), counts.others(), counts.total, counts.distinct() >= 5
([('/a', 3)], 5, 8, True)
"""
from __future__ import annotations

import heapq
from dataclasses import field
from typing import Hashable, Iterable


class TopCounts(dict):
    """{value: count} holding at most `capacity` values (a dict, so the compiled kernel can add to it)."""

    def __init__(self, capacity: int, items: Iterable[tuple[Hashable, int]] = ()):
        super().__init__()
        self.capacity = max(capacity, 2)
        self.total = 0  # entries counted, kept or not
        self.thinned = 0  # distinct values seen at the most before a thinning (0: never thinned)
        for value, n in items:
            self.add(value, n)

    def add(self, value: Hashable, n: int = 1) -> None:
        self[value] = self.get(value, 0) + n
        self.total += n
        if len(self) > self.capacity:
            self.thin()

    def counted(self, n: int) -> None:
        """`n` entries were added to the dict directly (by the kernel): thin if it grew past capacity."""
        self.total += n
        if len(self) > self.capacity:
            self.thin()

    def thin(self) -> None:
        """Drop every count by the (capacity/2 + 1)-th largest; values at zero go."""
        keep = self.capacity // 2
        self.thinned = max(self.thinned, len(self))
        floor = heapq.nlargest(keep + 1, self.values())[-1]
        for value, n in list(self.items()):
            if n > floor:
                self[value] = n - floor
            else:
                del self[value]

    def merge(self, other: "TopCounts") -> "TopCounts":
        """Add `other`'s kept counts (what it dropped stays in `others()`)."""
        for value, n in other.items():
            self[value] = self.get(value, 0) + n
        self.total += other.total
        self.thinned = max(self.thinned, other.thinned)
        if len(self) > self.capacity:
            self.thin()
        return self

    def others(self) -> int:
        """Entries not held by the kept values (exact)."""
        return self.total - sum(self.values())

    def distinct(self) -> int:
        """At least this many distinct values were counted (exact if never thinned)."""
        return max(len(self), self.thinned)

    def most_common(self, n: int | None = None) -> list[tuple[Hashable, int]]:
        """Busiest first; ties in the order the values were first counted (as `Counter.most_common`)."""
        ranked = sorted(self.items(), key=lambda item: -item[1])
        return ranked if n is None else ranked[:n]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TopCounts):
            return dict.__eq__(self, other) and (self.total, self.thinned) == (other.total, other.thinned)
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TopCounts({self.capacity}, {dict(self)!r}, total={self.total})"

    def __reduce__(self):
        return _rebuilt, (self.capacity, dict(self), self.total, self.thinned)


def _rebuilt(capacity: int, counts: dict, total: int, thinned: int) -> TopCounts:
    """Unpickled in a worker's parent exactly as it was (counts not re-added, so nothing thins twice)."""
    made = TopCounts(capacity)
    dict.update(made, counts)
    made.total, made.thinned = total, thinned
    return made


def top_counts(capacity: int):
    """A dataclass field holding an empty TopCounts of `capacity`."""
    return field(default_factory=lambda: TopCounts(capacity))
