"""Where problem reason phrases burst: the windows worth a minute-by-minute look.

Logs that span years, drawn on one axis, turn half an hour of refusals into a single
bucket, and the minute they started is lost. A burst is a run of time in which one
symptom series (a problem reason phrase's entries) stands well above its own usual
level, so a reason that is always there at a low rate is not an incident while it
stays at that rate, and a reason that is normally absent is one as soon as it shows
up in numbers.

Two passes keep a year of a farm cheap: hours first (the usual level is the median
of the series' hourly counts over the hours the logs cover, and an hour bursts when
it is far above it by a robust spread), then the minutes in and around the bursting
hours only, for the first and last minute of the burst.

Minutes are minute numbers (`evidence.httperr.minute_number`), hours the minute
number of their first minute.
"""
from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import compress
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from .evidence.kernel import choose

HOUR = 60
MIN_EXCESS = 5  # entries above the usual level before an hour can burst: one stray refusal is not an incident
SPREAD = 5.0  # robust standard deviations above the usual level
CHANCE = 1000  # a minute is busy when the usual rate would fill it that much less than once in this many minutes
RUN_GAP = 10  # quiet minutes inside one burst
JOIN_GAP = 30  # bursts of different reasons this close are one incident
MAX_INCIDENTS = 3
WINDOW_MINUTES = 480  # a zoomed window at one point a minute: the HTML chart draws up to 480 buckets
PAD_MIN, PAD_MAX = 60, 180


class Hourly(Mapping[int, int]):
    """One series' counts per hour, kept as an array from `origin` (the minute number of its
    first hour): a year is 8,760 numbers, a tenth of a dict of them. As a mapping it holds the
    hours with a count, like the dict it stands for."""

    __slots__ = ("origin", "counts", "_busy", "_sorted")

    def __init__(self, origin: int, counts: array):
        self.origin, self.counts = origin, counts
        self._busy: list[int] | None = None
        self._sorted: list[int] | None = None

    def __getitem__(self, hour: int) -> int:
        at, off = divmod(hour - self.origin, HOUR)
        if off or not 0 <= at < len(self.counts) or not self.counts[at]:
            raise KeyError(hour)
        return self.counts[at]

    def __iter__(self) -> Iterator[int]:
        return compress(range(self.origin, self.origin + HOUR * len(self.counts), HOUR), self.counts)

    def __len__(self) -> int:
        return len(self.sorted_values())

    def values(self) -> list[int]:  # type: ignore[override]
        """The counts of the hours with one, in hour order (read from the array once: the
        usual level, the peak and the length all ask)."""
        if self._busy is None:
            self._busy = list(filter(None, self.counts))
        return self._busy

    def sorted_values(self) -> list[int]:
        """The counts of the hours with one, smallest first: the usual level is their median
        (a year of hours sorted by the kernel, not 8,760 numbers filtered one by one)."""
        if self._sorted is None:
            self._sorted = choose().sorted_busy(self.counts)
        return self._sorted

    def items(self) -> Iterator[tuple[int, int]]:  # type: ignore[override]
        return zip(self, self.values())


def sorted_counts(hourly: Mapping[int, float]) -> list[float]:
    """The counts of the busy hours, smallest first."""
    if isinstance(hourly, Hourly):
        return hourly.sorted_values()  # type: ignore[return-value]
    return sorted(filter(None, hourly.values()))


@dataclass
class Burst:
    start: int
    end: int
    excess: float
    by_name: dict[str, float] = field(default_factory=dict)
    hours: list[tuple[str, int, int, float]] = field(default_factory=list)  # (name, first hour, last hour, usual per hour)

    @property
    def names(self) -> list[str]:
        return sorted(self.by_name, key=lambda n: (-self.by_name[n], n))


def _kth(ordered: list[float], extra: float, copies: int, k: int) -> float:
    """The k-th smallest of `ordered` (sorted) together with `copies` of `extra`."""
    at = bisect_left(ordered, extra)
    if k < at:
        return ordered[k]
    return extra if k < at + copies else ordered[k - copies]


def _median(ordered: list[float], extra: float, copies: int) -> float:
    n = len(ordered) + copies
    if n == 0:
        return 0.0
    return (_kth(ordered, extra, copies, (n - 1) // 2) + _kth(ordered, extra, copies, n // 2)) / 2


def usual_level(busy: Sequence[float], covered: int) -> tuple[float, float]:
    """(usual hourly count, count an hour must exceed to burst) from the counts of the
    busy hours, smallest first (`sorted_counts`), over `covered` hours, which include
    every busy one.

    Most hours of most reasons are empty, so the empty ones are counted, not listed. When no
    hour reaches the lowest line any spread could give, that line is the answer: nothing can
    burst, and the spread of a year of hours is not worked out.

    >>> usual_level([40], 8)
    (0.0, 5.0)
    >>> usual_level(sorted(10 + h % 3 for h in range(24)), 24)
    (11.0, 22.0)
    """
    empty = covered - len(busy)
    usual = _median(busy, 0.0, empty)
    lowest = max(usual + MIN_EXCESS, 2 * usual)
    if not busy or busy[-1] <= lowest:
        return usual, lowest
    # Deviations from the median of sorted counts fall, then rise: two runs, sorted in one merge.
    below = bisect_left(busy, usual)
    spread = 1.4826 * _median(sorted([usual - v for v in busy[:below]] + [v - usual for v in busy[below:]]), usual, empty)
    return usual, max(lowest, usual + SPREAD * spread)


def burst_hours(hourly: Mapping[int, float], usual: float, line: float) -> list[tuple[int, int, float]]:
    """Runs of hours above `line` as (first hour, last hour, entries above the usual level); a quiet hour ends a run.

    >>> burst_hours({0: 1, 60: 30, 120: 50, 300: 12}, 0.0, 5.0)
    [(60, 120, 80.0), (300, 300, 12.0)]
    """
    runs: list[tuple[int, int, float]] = []
    for hour in sorted(h for h, v in hourly.items() if v > line):
        excess = hourly[hour] - usual
        if runs and hour - runs[-1][1] <= HOUR:
            first, _, total = runs[-1]
            runs[-1] = (first, hour, total + excess)
        else:
            runs.append((hour, hour, excess))
    return runs


def busy_above(per_minute: float) -> int:
    """The fewest entries in a minute that the usual rate gives by chance less than once in CHANCE minutes.

    >>> busy_above(0.0), busy_above(0.05), busy_above(2.0)
    (1, 3, 9)
    """
    term = total = math.exp(-per_minute)  # Poisson: chance of exactly k entries, and of k or fewer
    k = 0
    while 1.0 - total >= 1.0 / CHANCE:
        k += 1
        term *= per_minute / k
        total += term
    return k + 1


def burst_minutes(minutes: dict[int, float], usual_per_hour: float, first_hour: int, last_hour: int) -> tuple[int, int] | None:
    """First and last minute of the burst whose busiest hours run from `first_hour` to `last_hour`.

    `minutes` holds the counts around those hours (an hour either side at least). A
    minute is busy when the usual rate would rarely fill it that much (`busy_above`); busy minutes at most RUN_GAP apart form one run, and the runs that
    reach into the bursting hours with at least a quarter of the largest one's excess
    make the burst.

    >>> burst_minutes({m: 3 for m in range(121, 152)} | {30: 1}, 0.0, 120, 120)
    (121, 151)
    """
    per_minute = usual_per_hour / HOUR
    line = busy_above(per_minute)
    busy = sorted(m for m, v in minutes.items() if v >= line)
    runs: list[list[int]] = []
    for minute in busy:
        if runs and minute - runs[-1][1] <= RUN_GAP:
            runs[-1][1] = minute
        else:
            runs.append([minute, minute])
    inside = [run for run in runs if run[1] >= first_hour and run[0] < last_hour + HOUR]
    ordered = sorted(minutes)
    excess = [sum(minutes[m] - per_minute for m in ordered[bisect_left(ordered, low):bisect_right(ordered, high)])
              for low, high in inside]
    # The usual trickle also has busy minutes near a burst: only runs that carry a real share of it count.
    inside = [run for run, more in zip(inside, excess) if more >= max(excess) / 4]
    if not inside:
        return None
    return inside[0][0], inside[-1][1]


def find_bursts(names: Iterable[str], hourly: Mapping[str, Mapping[int, float]], covered: int,
                minute_counts: Callable[[str, int, int], dict[int, float]],
                limit: int = MAX_INCIDENTS) -> tuple[list[Burst], int]:
    """The `limit` largest bursts (in time order, to the minute) and how many there are in all.

    Bursts of different series that overlap or nearly touch are one. Bursts are found
    and ranked by the hour; only the kept ones are looked at minute by minute, with
    `minute_counts(name, first, last)`, a series' counts for minutes first..last.
    `covered` is how many hours the logs cover (every busy hour of every series among them).
    """
    found: list[Burst] = []
    for name in names:
        series = hourly.get(name, {})
        busy = sorted_counts(series)
        if not busy:
            continue
        usual, line = usual_level(busy, covered)
        if busy[-1] <= line:  # no hour bursts: the hours need not be walked
            continue
        for first, last, excess in burst_hours(series, usual, line):
            found.append(Burst(first, last + HOUR - 1, excess, {name: excess}, [(name, first, last, usual)]))
    joined = join(found)
    return [to_the_minute(burst, minute_counts) for burst in largest(joined, limit)], len(joined)


def to_the_minute(burst: Burst, minute_counts: Callable[[str, int, int], dict[int, float]]) -> Burst:
    """The burst from its first busy minute to its last (its hours when no minute stands out)."""
    spans = []
    for name, first, last, usual in burst.hours:
        around = minute_counts(name, first - HOUR, last + 2 * HOUR - 1)
        spans.append(burst_minutes(around, usual, first, last) or (first, last + HOUR - 1))
    return Burst(min(s for s, _ in spans), max(e for _, e in spans), burst.excess, dict(burst.by_name), list(burst.hours))


def join(bursts: list[Burst]) -> list[Burst]:
    """Bursts that overlap or lie within JOIN_GAP minutes of each other, as one.

    >>> [(b.start, b.end, b.names) for b in join([Burst(0, 10, 5, {"a": 5}), Burst(30, 40, 9, {"b": 9}), Burst(200, 210, 1, {"a": 1})])]
    [(0, 40, ['b', 'a']), (200, 210, ['a'])]
    """
    joined: list[Burst] = []
    for burst in sorted(bursts, key=lambda b: b.start):
        last = joined[-1] if joined else None
        if last is not None and burst.start - last.end <= JOIN_GAP:
            last.end = max(last.end, burst.end)
            last.excess += burst.excess
            last.hours += burst.hours
            for name, excess in burst.by_name.items():
                last.by_name[name] = last.by_name.get(name, 0.0) + excess
        else:
            joined.append(Burst(burst.start, burst.end, burst.excess, dict(burst.by_name), list(burst.hours)))
    return joined


def largest(bursts: list[Burst], limit: int = MAX_INCIDENTS) -> list[Burst]:
    """The `limit` bursts with the most entries above the usual level, in time order."""
    return sorted(sorted(bursts, key=lambda b: (-b.excess, b.start))[:limit], key=lambda b: b.start)


def window(burst: Burst, first: int, last: int) -> tuple[int, int]:
    """Minutes to draw around a burst: some before it (what led up to it) and after, inside first..last.

    At most WINDOW_MINUTES long; a longer burst shows its start.

    >>> window(Burst(1000, 1030, 1.0), 0, 10_000)
    (940, 1090)
    >>> window(Burst(1000, 5000, 1.0), 0, 10_000)
    (820, 1299)
    """
    pad = min(max(burst.end - burst.start + 1, PAD_MIN), PAD_MAX)
    start = max(first, burst.start - pad)
    end = min(last, burst.end + pad, start + WINDOW_MINUTES - 1)
    return start, end
