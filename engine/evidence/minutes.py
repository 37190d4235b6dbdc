"""Counts per (reason, minute) for a year of logs: `MinuteCounts`, and minute numbering.

Used by the HTTPERR parser (counts per reason and minute), the timeline (buckets
and span) and the facts (peaks). One array of 1,440 minutes per reason and day
(about 3 KB) while a file is parsed, instead of a dictionary key per minute;
once the file is parsed, quiet days (most reasons, most days: a few busy minutes
each) shrink to a list of their busy minutes, so a year of a rare reason costs a
few KB instead of 1 MB, in the worker, on the way back to the main process and in
the merged aggregate. Reads that visit every day (peaks, span, buckets, the
sparse form) go through the kernel (`kernel.choose`).
"""
from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter
from datetime import date
from functools import lru_cache
from itertools import compress
from operator import add
from types import ModuleType
from typing import Iterable, Iterator

from . import dayforms
from .dayforms import SPARSE_BELOW
from .kernel import choose

_CLOCK = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]


@lru_cache(maxsize=4096)
def minute_number(minute: str) -> int:
    """Minutes from 0001-01-01 00:00 to "YYYY-MM-DD[ HH:MM]" (cached per day, cheap per minute).

    >>> minute_number("0001-01-02 00:01"), text_of_minute(minute_number("2024-02-29 23:59"))
    (1441, '2024-02-29 23:59')
    """
    day = date.fromisoformat(minute[:10]).toordinal() - 1
    clock = minute[11:16]
    return day * 1440 + (int(clock[:2]) * 60 + int(clock[3:]) if clock else 0)


def text_of_minute(number: int) -> str:
    return f"{_day_text(number // 1440)} {_CLOCK[number % 1440]}"


@lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return date.fromordinal(day + 1).isoformat()


class MinuteCounts:
    """Counts per (reason, "YYYY-MM-DD HH:MM"), stored per (reason, day) in one of two forms.

    Behaves like the Counter it replaces for reading (items, keys, iteration, [key],
    len) and merges with `update`; timestamps that are not a real clock time
    (hour 99) are kept in a small Counter on the side.

    - `days`: a dense array of 1,440 minutes (uint16, wider on overflow). Parsing
      writes only here: `add`, and a scanner may write straight into a
      `days` array while one file is parsed (into that file's own MinuteCounts,
      not yet compacted; a writer that may meet a compacted one gets the day's
      array from `open_day`, which turns a sparse day dense again).
    - `sparse`: a quiet day (fewer than 720 busy minutes: most reasons, most days)
      as one array of its busy slots, ascending, followed by their counts. A year of
      a rare reason then costs a few KB instead of 1 MB. `compact()` moves quiet days
      here once a file is parsed, and `update()` keeps merged aggregates compact.
      Sparse arrays are never changed in place (`add` turns the day dense again),
      so merges may share them. A key is in `days` or in `sparse`, never both.

    Every read gives the same answer whichever form a day is in (tests/test_minute_counts.py).

    >>> counts = MinuteCounts()
    >>> counts.add("Connection_Dropped", "2007-01-01 23:48", 2)
    >>> counts.add("Connection_Dropped", "2007-01-01 23:48", 70000)
    >>> dict(counts.items()), counts.peak("Connection_Dropped"), counts.minutes("Connection_Dropped")
    ({('Connection_Dropped', '2007-01-01 23:48'): 70002}, 70002, ['2007-01-01 23:48'])
    >>> counts.compact().sparse, counts["Connection_Dropped", "2007-01-01 23:48"]
    ({('Connection_Dropped', '2007-01-01'): array('I', [1428, 70002])}, 70002)
    """

    __slots__ = ("days", "odd", "sparse", "_kept")

    def __init__(self) -> None:
        self.days: dict[tuple[str, str], array] = {}
        self.sparse: dict[tuple[str, str], array] = {}
        self.odd: Counter = Counter()
        # What several readers of a merged server's counts (which never change) ask for:
        # every reason's peak and first and last minute (`peaks`, `span`), the reasons, the
        # days' minute numbers. Every method that changes a count forgets it; a scanner
        # writing into `days` arrays itself is done with `compact()`, which forgets it too.
        self._kept: dict[str, object] = {}

    def __getstate__(self):
        return self.days, self.sparse, self.odd

    def __setstate__(self, state) -> None:
        self.days, self.sparse, self.odd = state
        self._kept = {}

    def _minute_stats(self, kernel: ModuleType | None) -> dict[str, list]:
        if kernel is not None:  # a chosen kernel (the equivalence tests) is asked every time
            return kernel.minute_stats(self.days, self.sparse)
        if "stats" not in self._kept:
            self._kept["stats"] = choose().minute_stats(self.days, self.sparse)
        return self._kept["stats"]  # type: ignore[return-value]

    @staticmethod
    def _slot(minute: str) -> int | None:
        hh, mm = minute[11:13], minute[14:16]
        if len(minute) == 16 and minute[13] == ":" and (hh + mm).isascii() and (hh + mm).isdigit():
            slot = int(hh) * 60 + int(mm)
            if int(mm) < 60 and slot < 1440:
                return slot
        return None

    def open_day(self, key: tuple[str, str]) -> array:
        """The dense array to add to for a day not in `days` (now in `days`): a sparse day made dense again, or zeros."""
        self._kept = {}
        sparse = self.sparse.pop(key, None)
        if sparse is None:
            day = array("H", bytes(2 * 1440))
        else:
            values = [0] * 1440
            for slot, n in dayforms.entries(sparse):
                values[slot] = n
            day = dayforms.packed(values)
        self.days[key] = day
        return day

    def add(self, reason: str, minute: str, n: int) -> None:
        if self._kept:  # once a line on the reference path: no new dict when there is nothing to forget
            self._kept = {}
        slot = self._slot(minute)
        if slot is None:
            self.odd[(reason, minute)] += n
            return
        key = (reason, minute[:10])
        day = self.days.get(key)
        if day is None:
            day = self.open_day(key)
        try:
            day[slot] += n
        except OverflowError:
            values = list(day)
            values[slot] += n
            self.days[key] = dayforms.packed(values)

    def compact(self, kernel: ModuleType | None = None) -> "MinuteCounts":
        """Move quiet days to the sparse form (after a file is parsed; every read stays the same)."""
        self._kept = {}
        days, quiet, kernel = self.days, self.sparse, choose(kernel)
        for key, counts in list(days.items()):
            sparse = dayforms.quiet_form(counts, kernel)
            if sparse is not None:
                quiet[key] = sparse
                del days[key]
        return self

    def update(self, other: "MinuteCounts", kernel: ModuleType | None = None) -> None:
        """Add `other`'s counts; days both hold are summed and kept in their smaller form."""
        self._kept = {}
        days, quiet, kernel = self.days, self.sparse, choose(kernel)
        for key, theirs in list(other.days.items()):
            if key in days or key in quiet:
                self._sum_day(key, theirs, False)
            else:
                sparse = dayforms.quiet_form(theirs, kernel)
                if sparse is None:
                    days[key] = array(theirs.typecode, theirs)  # a copy: dense days are added to in place
                else:
                    quiet[key] = sparse
        for key, theirs in list(other.sparse.items()):
            if key in days or key in quiet:
                self._sum_day(key, theirs, True)
            else:
                quiet[key] = theirs
        self.odd.update(other.odd)

    def renamed(self, names: dict[str, str]) -> "MinuteCounts":
        """A copy with the reasons in `names` counted under their new names (days of both summed)."""
        out = MinuteCounts()
        for (reason, day), counts in self.days.items():
            part = MinuteCounts()
            part.days[(names.get(reason, reason), day)] = counts
            out.update(part)
        for (reason, day), sparse in self.sparse.items():
            part = MinuteCounts()
            part.sparse[(names.get(reason, reason), day)] = sparse
            out.update(part)
        for (reason, minute), n in self.odd.items():
            out.odd[(names.get(reason, reason), minute)] += n
        return out

    def _sum_day(self, key: tuple[str, str], theirs: array, sparse: bool) -> None:
        """Add one of `other`'s days to the same day here (a day that spans two files): cost follows its busy minutes."""
        mine = self.days.get(key)
        if mine is None and sparse:
            joined = dayforms.joined(self.sparse[key], theirs)
            if joined is not None:
                self.sparse[key] = joined
                return
            total = dict(dayforms.entries(self.sparse[key]))
            for slot, n in dayforms.entries(theirs):
                total[slot] = total.get(slot, 0) + n
            if len(total) < SPARSE_BELOW:
                slots = sorted(total)
                self.sparse[key] = dayforms.packed(slots + [total[slot] for slot in slots])
                return
            mine = self.open_day(key)
        elif mine is None:
            quiet = self.sparse.pop(key)
            mine = self.days[key] = array(theirs.typecode, theirs)
            theirs, sparse = quiet, True
        if not sparse:
            self.days[key] = dayforms.packed(map(add, mine, theirs))
            return
        entries = list(dayforms.entries(theirs))
        for done, (slot, n) in enumerate(entries):
            try:
                mine[slot] += n
            except OverflowError:  # the rest on a wider copy
                values = list(mine)
                for slot, n in entries[done:]:  # noqa: B020
                    values[slot] += n
                self.days[key] = dayforms.packed(values)
                return

    def _each_day(self, only: str | None = None) -> Iterator[tuple[str, str, Iterable[tuple[int, int]]]]:
        """(reason, day, (slot, count) pairs of its busy minutes) for every stored day (of `only` that reason), either form."""
        for (reason, day), counts in self.days.items():
            if only is None or reason == only:
                yield reason, day, ((slot, counts[slot]) for slot in compress(range(1440), counts))
        for (reason, day), sparse in self.sparse.items():
            if only is None or reason == only:
                yield reason, day, dayforms.entries(sparse)

    def items(self) -> Iterator[tuple[tuple[str, str], int]]:
        for reason, day, entries in self._each_day():
            for slot, n in entries:
                yield (reason, f"{day} {_CLOCK[slot]}"), n
        yield from ((key, n) for key, n in self.odd.items() if n)

    def reasons(self) -> set[str]:
        return self._stored_reasons() | {reason for (reason, _), n in self.odd.items() if n}

    def _stored_reasons(self) -> set[str]:
        if "reasons" not in self._kept:
            self._kept["reasons"] = {reason for reason, _ in self.days} | {reason for reason, _ in self.sparse}
        return set(self._kept["reasons"])  # type: ignore[arg-type]

    def span(self, kernel: ModuleType | None = None) -> tuple[str, str] | None:
        """First and last minute with any count (clock-time minutes only), without listing them."""
        stats = [entry for entry in self._minute_stats(kernel).values() if entry[1] is not None]
        if not stats:
            return None
        first, last = min((e[1], e[2]) for e in stats), max((e[3], e[4]) for e in stats)
        return f"{first[0]} {_CLOCK[first[1]]}", f"{last[0]} {_CLOCK[last[1]]}"

    def buckets(self, reason: str, origin: int, width: int, kernel: ModuleType | None = None) -> dict[int, int]:
        """Counts of `reason` in buckets of `width` minutes (a divisor of 1,440) starting at minute `origin`.

        Minutes are counted from 0001-01-01 00:00 (`minute_number`).
        """
        return self.buckets_by_reason(origin, width, reason, kernel).get(reason, {})

    def bucket_arrays(self, origin: int, width: int, count: int,
                      kernel: ModuleType | None = None) -> tuple[dict[str, array], array]:
        """Every reason's counts in `count` buckets of `width` minutes from minute `origin`, as
        arrays (a slot per bucket, zeros included), and all reasons' together: a year of hours
        is 8,760 numbers a reason, a tenth of what a dict of them holds. Minutes outside the
        buckets, and odd minutes, are left out."""
        zeros = array("q", [0]) * count
        into = {reason: array("q", zeros) for reason in self._stored_reasons()}
        total = array("q", zeros)
        choose(kernel).bucket_arrays(self.days, self.sparse, self._day_bases(), origin, width, into, total)
        return into, total

    def window_peaks(self, sets: list[frozenset[str]], width: int, kernel: ModuleType | None = None) -> list[int]:
        """For each set of reasons, the most counts of its reasons together in any `width`
        minutes from midnight: every set in one pass over the days, a day at a time."""
        members: dict[str, list[int]] = {}
        for index, reasons in enumerate(sets):
            for reason in reasons:
                members.setdefault(reason, []).append(index)
        return choose(kernel).window_peaks(self.days, self.sparse, {r: tuple(i) for r, i in members.items()},
                                           len(sets), width)

    def buckets_by_reason(self, origin: int, width: int, only: str | None = None,
                          kernel: ModuleType | None = None) -> dict[str, dict[int, int]]:
        """`buckets` for every reason (or `only` one) in one pass over the days."""
        if 1440 % width:
            raise ValueError(f"bucket width {width} does not divide a day")
        return choose(kernel).minute_buckets(self.days, self.sparse, self._day_bases(), origin, width, only)

    def _day_bases(self) -> dict[str, int]:
        """The minute number of every stored day (the kernels' bucket functions place days by it)."""
        if "bases" not in self._kept:
            self._kept["bases"] = {day: minute_number(day) for day in {day for _, day in self.days} | {day for _, day in self.sparse}}
        return self._kept["bases"]  # type: ignore[return-value]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return (key for key, _ in self.items())

    def keys(self) -> Iterator[tuple[str, str]]:
        return iter(self)

    def values(self) -> Iterator[int]:
        return (n for _, n in self.items())

    def __len__(self) -> int:
        return (sum(len(counts) - counts.count(0) for counts in self.days.values())
                + sum(len(sparse) // 2 for sparse in self.sparse.values())
                + sum(1 for n in self.odd.values() if n))

    def __getitem__(self, key: tuple[str, str]) -> int:
        reason, minute = key
        slot = self._slot(minute)
        if slot is None:
            return self.odd.get(key, 0)
        day = self.days.get((reason, minute[:10]))
        if day is not None:
            return day[slot]
        sparse = self.sparse.get((reason, minute[:10]))
        if sparse is None:
            return 0
        half = len(sparse) // 2
        at = bisect_left(sparse, slot, 0, half)
        return sparse[half + at] if at < half and sparse[at] == slot else 0

    def between(self, reason: str, first: int, last: int) -> dict[int, int]:
        """{minute number: count} of `reason`'s busy minutes from `first` to `last` (minute numbers,
        both included), reading only the days they span: a window, not the whole run."""
        found: dict[int, int] = {}
        for day in range(first // 1440, last // 1440 + 1):
            base, key = day * 1440, (reason, _day_text(day))
            low, high = max(first - base, 0), min(last - base, 1439) + 1
            dense = self.days.get(key)
            if dense is not None:
                found.update((base + slot, dense[slot]) for slot in compress(range(low, high), dense[low:high]))
            elif (sparse := self.sparse.get(key)) is not None:
                half = len(sparse) // 2
                at, end = bisect_left(sparse, low, 0, half), bisect_left(sparse, high, 0, half)
                found.update(zip((base + slot for slot in sparse[at:end]), sparse[half + at:half + end]))
        return found

    def get(self, key: tuple[str, str], default: int = 0) -> int:
        return self[key] or default

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MinuteCounts) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return f"MinuteCounts({len(self.days)} busy and {len(self.sparse)} quiet reason-days)"

    def peaks(self, kernel: ModuleType | None = None) -> dict[str, int]:
        """`peak` of every reason, in one pass over the days."""
        found = {reason: entry[0] for reason, entry in self._minute_stats(kernel).items()}
        for (reason, _), n in self.odd.items():
            found[reason] = max(found.get(reason, 0), n)
        return found

    def peak(self, reason: str) -> int:
        days = [max(counts) for (r, _), counts in self.days.items() if r == reason]
        days += [max(sparse[len(sparse) // 2:], default=0) for (r, _), sparse in self.sparse.items() if r == reason]
        days += [n for (r, _), n in self.odd.items() if r == reason]
        return max(days, default=0)

    def minutes(self, reason: str) -> list[str]:
        """Sorted minutes with at least one entry of `reason`."""
        found = [f"{day} {_CLOCK[slot]}" for _, day, entries in self._each_day(reason) for slot, _ in entries]
        return sorted(found + [m for (r, m), n in self.odd.items() if r == reason and n])
