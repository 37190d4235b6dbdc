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

Speed: byte-oriented files are read in 1 MB blocks of whole lines. A block that is
plain ASCII with uniform line endings goes through a bytes-level loop that splits
each line only up to the columns it needs and looks the rest of the line up in a
cache (most lines end in the same few ways); any line that loop cannot vouch for
(comment, blank, wrong field count, odd timestamp) is handed to the line-by-line
path, which is the reference behaviour. Every data line ends up as a record or a
counted skip either way. Where the optional compiled scanner (`_hotloop.c`) was
built, it runs that bytes-level loop instead, stopping at every line or new value
Python must decide on; both give the same aggregate (tests/test_hotloop.py), and
HTTPERR_DOCTOR_PURE_PYTHON=1 forces the pure-Python loop.

Memory for a year of logs: counts per minute live in `MinuteCounts`, one array of
1,440 minutes per reason and day (about 3 KB) while a file is parsed, instead of a
dictionary key per minute. Once the file is parsed, quiet days (most reasons, most
days: a few busy minutes each) shrink to a list of their busy minutes, so a year of
a rare reason costs a few KB instead of 1 MB, in the worker, on the way back to the
main process and in the merged aggregate.

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
import os
import sys
from array import array
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from itertools import chain, compress
from operator import add
from typing import Iterable, Iterator

from .base import Lines, NotThisKind, ParseResult, Skip, SourceRef
from .phrases import is_reason, split_counted
from .reader import MAX_LINE_BYTES

try:  # the compiled scanner (setup.py, optional); the pure-Python loop below is the reference
    from . import _hotloop
except ImportError:  # pragma: no cover - no C compiler where it was installed
    _hotloop = None
if os.environ.get("HTTPERR_DOCTOR_PURE_PYTHON"):
    _hotloop = None

KIND = "httperr"
DEFAULT_FIELDS = (
    "date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"
).split()
KNOWN_FIELDS = frozenset(DEFAULT_FIELDS) | {
    "streamid", "streamid_ex", "transport", "fault-code", "extended-fault-code",
}
EXAMPLES_PER_REASON = 5
URL_CAP = 5000
# ":MM:SS" of a real clock time, for the bytes-level check (anything else takes the line path).
_MINUTE_SECOND = frozenset(f":{m:02d}:{s:02d}".encode() for m in range(60) for s in range(60))
_DIGITS = frozenset(b"0123456789")


_CLOCK = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]
_SLOTS = {clock.encode(): slot for slot, clock in enumerate(_CLOCK)}


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


SPARSE_BELOW = 720  # busy minutes in a day below which (slots, counts) is smaller than 1,440 slots


def _packed(values) -> array:
    """Smallest array type that holds the counts (uint16 covers nearly every log)."""
    values = list(values)
    for code in ("H", "I", "q"):
        try:
            return array(code, values)
        except OverflowError:
            continue
    return array("q", [min(v, 2**63 - 1) for v in values])


def _entries(sparse: array) -> Iterator[tuple[int, int]]:
    """(slot, count) pairs of a sparse day: its first half is the busy slots, its second their counts."""
    half = len(sparse) // 2
    return zip(sparse[:half], sparse[half:])


def _joined(one: array, two: array) -> array | None:
    """Two quiet days whose busy minutes do not interleave (a day split across two rolled files) as one, else None."""
    half_one, half_two = len(one) // 2, len(two) // 2
    if not half_one or not half_two:
        return two if not half_one else one
    if half_one + half_two >= SPARSE_BELOW:
        return None
    if one[half_one - 1] >= two[0]:
        if two[half_two - 1] >= one[0]:
            return None
        one, two, half_one, half_two = two, one, half_two, half_one
    if one.typecode == two.typecode:
        return one[:half_one] + two[:half_two] + one[half_one:] + two[half_two:]
    return _packed([*one[:half_one], *two[:half_two], *one[half_one:], *two[half_two:]])


_LANES = int.from_bytes(b"\x01\x00" * 1440, "little")  # the lowest bit of each of 1,440 uint16 slots


def _quiet_form(counts: array) -> array | None:
    """A dense day's sparse form when fewer than SPARSE_BELOW of its minutes are busy, else None.

    This runs for every reason and day of every file: the compiled `busy_minutes` does
    it where it was built; otherwise, for uint16 days, the busy slots are found with a few
    big-integer operations on the whole day (every bit of a slot folded into its lowest
    bit) and a `find` per busy minute, instead of 1,440 Python steps.
    """
    if counts.typecode == "H" and len(counts) == 1440 and _hotloop is not None:
        busy = _hotloop.busy_minutes(counts, SPARSE_BELOW)
        return None if busy is None else array("H", busy)
    if counts.itemsize == 2 and len(counts) == 1440:
        lanes = int.from_bytes(counts, "little")
        lanes |= lanes >> 8
        lanes |= lanes >> 4
        lanes |= lanes >> 2
        lanes |= lanes >> 1
        lanes &= _LANES
        if lanes.bit_count() >= SPARSE_BELOW:
            return None
        flags = lanes.to_bytes(2 * 1440, "little")
        slots, at = [], flags.find(1)
        while at >= 0:
            slots.append(at >> 1)
            at = flags.find(1, at + 2)
    else:
        slots = list(compress(range(len(counts)), counts))
        if len(slots) >= SPARSE_BELOW:
            return None
    return _packed(slots + [counts[slot] for slot in slots])


class MinuteCounts:
    """Counts per (reason, "YYYY-MM-DD HH:MM"), stored per (reason, day) in one of two forms.

    Behaves like the Counter it replaces for reading (items, keys, iteration, [key],
    len) and merges with `update`; timestamps that are not a real clock time
    (hour 99) are kept in a small Counter on the side.

    - `days`: a dense array of 1,440 minutes (uint16, wider on overflow). Parsing
      writes only here: `add`, `add_many`, and a scanner may write straight into a
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

    __slots__ = ("days", "odd", "sparse")

    def __init__(self) -> None:
        self.days: dict[tuple[str, str], array] = {}
        self.sparse: dict[tuple[str, str], array] = {}
        self.odd: Counter = Counter()

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
        sparse = self.sparse.pop(key, None)
        if sparse is None:
            day = array("H", bytes(2 * 1440))
        else:
            values = [0] * 1440
            for slot, n in _entries(sparse):
                values[slot] = n
            day = _packed(values)
        self.days[key] = day
        return day

    def add(self, reason: str, minute: str, n: int) -> None:
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
            self.days[key] = _packed(values)

    def add_many(self, counts: dict[tuple[str, bytes], int]) -> None:
        """Add {(reason, b"YYYY-MM-DD HH:MM"): n} from the bytes-level parser in one go."""
        days, slots = self.days, _SLOTS
        for (reason, minute), n in counts.items():
            slot = slots.get(minute[11:])
            if slot is None or minute[10:11] != b" ":
                self.add(reason, minute.decode("ascii"), n)
                continue
            key = (reason, minute[:10].decode("ascii"))
            day = days.get(key)
            if day is None:
                day = self.open_day(key)
            try:
                day[slot] += n
            except OverflowError:
                self.add(reason, minute.decode("ascii"), n)

    def compact(self) -> "MinuteCounts":
        """Move quiet days to the sparse form (after a file is parsed; every read stays the same)."""
        days, quiet = self.days, self.sparse
        for key, counts in list(days.items()):
            sparse = _quiet_form(counts)
            if sparse is not None:
                quiet[key] = sparse
                del days[key]
        return self

    def update(self, other: "MinuteCounts") -> None:
        """Add `other`'s counts; days both hold are summed and kept in their smaller form."""
        days, quiet = self.days, self.sparse
        for key, theirs in list(other.days.items()):
            if key in days or key in quiet:
                self._sum_day(key, theirs, False)
            else:
                sparse = _quiet_form(theirs)
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

    def _sum_day(self, key: tuple[str, str], theirs: array, sparse: bool) -> None:
        """Add one of `other`'s days to the same day here (a day that spans two files): cost follows its busy minutes."""
        mine = self.days.get(key)
        if mine is None and sparse:
            joined = _joined(self.sparse[key], theirs)
            if joined is not None:
                self.sparse[key] = joined
                return
            total = dict(_entries(self.sparse[key]))
            for slot, n in _entries(theirs):
                total[slot] = total.get(slot, 0) + n
            if len(total) < SPARSE_BELOW:
                slots = sorted(total)
                self.sparse[key] = _packed(slots + [total[slot] for slot in slots])
                return
            mine = self.open_day(key)
        elif mine is None:
            quiet = self.sparse.pop(key)
            mine = self.days[key] = array(theirs.typecode, theirs)
            theirs, sparse = quiet, True
        if not sparse:
            self.days[key] = _packed(map(add, mine, theirs))
            return
        entries = list(_entries(theirs))
        for done, (slot, n) in enumerate(entries):
            try:
                mine[slot] += n
            except OverflowError:  # the rest on a wider copy
                values = list(mine)
                for slot, n in entries[done:]:  # noqa: B020
                    values[slot] += n
                self.days[key] = _packed(values)
                return

    def _each_day(self) -> Iterator[tuple[str, str, Iterable[tuple[int, int]]]]:
        """(reason, day, (slot, count) pairs of its busy minutes) for every stored day, either form."""
        for (reason, day), counts in self.days.items():
            yield reason, day, ((slot, counts[slot]) for slot in compress(range(1440), counts))
        for (reason, day), sparse in self.sparse.items():
            yield reason, day, _entries(sparse)

    def items(self) -> Iterator[tuple[tuple[str, str], int]]:
        for reason, day, entries in self._each_day():
            for slot, n in entries:
                yield (reason, f"{day} {_CLOCK[slot]}"), n
        yield from ((key, n) for key, n in self.odd.items() if n)

    def reasons(self) -> set[str]:
        return ({reason for reason, _ in self.days} | {reason for reason, _ in self.sparse}
                | {reason for (reason, _), n in self.odd.items() if n})

    def span(self) -> tuple[str, str] | None:
        """First and last minute with any count (clock-time minutes only), without listing them."""
        if _hotloop is not None:
            stats = [entry for entry in _hotloop.minute_stats(self.days, self.sparse).values() if entry[1] is not None]
            if not stats:
                return None
            first, last = min((e[1], e[2]) for e in stats), max((e[3], e[4]) for e in stats)
            return f"{first[0]} {_CLOCK[first[1]]}", f"{last[0]} {_CLOCK[last[1]]}"
        first = last = None
        for (_, day), counts in self.days.items():
            low = next(compress(range(1440), counts), None)
            if low is not None:
                high = 1439 - next(compress(range(1440), counts[::-1]))
                first = min(first or (day, low), (day, low))
                last = max(last or (day, high), (day, high))
        for (_, day), sparse in self.sparse.items():
            if sparse:
                low, high = sparse[0], sparse[len(sparse) // 2 - 1]
                first = min(first or (day, low), (day, low))
                last = max(last or (day, high), (day, high))
        if first is None:
            return None
        return f"{first[0]} {_CLOCK[first[1]]}", f"{last[0]} {_CLOCK[last[1]]}"

    def buckets(self, reason: str, origin: int, width: int) -> dict[int, int]:
        """Counts of `reason` in buckets of `width` minutes (a divisor of 1,440) starting at minute `origin`.

        Minutes are counted from 0001-01-01 00:00 (`minute_number`). Bucket edges fall
        at the same clock minute every day, so a dense day is a few slice sums.
        """
        return self.buckets_by_reason(origin, width, reason).get(reason, {})

    def buckets_by_reason(self, origin: int, width: int, only: str | None = None) -> dict[str, dict[int, int]]:
        """`buckets` for every reason (or `only` one) in one pass over the days."""
        if _hotloop is not None and 1440 % width == 0:
            bases = {day: minute_number(day) for _, day in chain(self.days, self.sparse)}
            return _hotloop.minute_buckets(self.days, self.sparse, bases, origin, width, only)
        phase = origin % width
        edges = [0, *range(phase, 1440, width), 1440] if phase else [*range(0, 1440, width), 1440]
        spans = [(low, high) for low, high in zip(edges, edges[1:]) if high > low]
        found: dict[str, dict[int, int]] = {}
        for (reason, day), counts in self.days.items():
            if only is not None and reason != only:
                continue
            out = found.setdefault(reason, {})
            base = minute_number(day)
            for low, high in spans:
                total = sum(counts[low:high])
                if total:
                    key = origin + (base + low - origin) // width * width
                    out[key] = out.get(key, 0) + total
        for (reason, day), sparse in self.sparse.items():
            if only is not None and reason != only:
                continue
            out = found.setdefault(reason, {})
            base = minute_number(day) - origin
            half = len(sparse) // 2
            if half <= len(spans):
                for slot, n in _entries(sparse):
                    key = origin + (base + slot) // width * width
                    out[key] = out.get(key, 0) + n
                continue
            at = 0  # more busy minutes than buckets in a day: cut the sorted slots at the bucket edges
            for low, high in spans:
                end = bisect_left(sparse, high, at, half)
                if end > at:
                    key = origin + (base + low) // width * width
                    out[key] = out.get(key, 0) + sum(sparse[half + at:half + end])
                    at = end
        return found

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

    def get(self, key: tuple[str, str], default: int = 0) -> int:
        return self[key] or default

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MinuteCounts) and dict(self.items()) == dict(other.items())

    def __repr__(self) -> str:
        return f"MinuteCounts({len(self.days)} busy and {len(self.sparse)} quiet reason-days)"

    def peaks(self) -> dict[str, int]:
        """`peak` of every reason, in one pass over the days."""
        found: dict[str, int] = {}
        if _hotloop is not None:
            found = {reason: entry[0] for reason, entry in _hotloop.minute_stats(self.days, self.sparse).items()}
            for (reason, _), n in self.odd.items():
                found[reason] = max(found.get(reason, 0), n)
            return found
        for (reason, _), counts in self.days.items():
            found[reason] = max(found.get(reason, 0), max(counts))
        for (reason, _), sparse in self.sparse.items():
            found[reason] = max(found.get(reason, 0), max(sparse[len(sparse) // 2:], default=0))
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
        found = [f"{day} {_CLOCK[slot]}"
                 for r, day, entries in self._each_day() if r == reason
                 for slot, _ in entries]
        return sorted(found + [m for (r, m), n in self.odd.items() if r == reason and n])


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


def _good_hour(hour: bytes) -> bool:
    """b'YYYY-MM-DD HH': ASCII digits where digits belong, a real date and hour (as `w3c_stamp` wants)."""
    return (len(hour) == 13 and hour[4] == 45 and hour[7] == 45 and hour[10] == 32
            and all(hour[i] in _DIGITS for i in (0, 1, 2, 3, 5, 6, 8, 9, 11, 12))
            and hour[11:13] <= b"23" and _real_date(hour[:10].decode("ascii")))


class _ScanTables:
    """What the compiled scanner reads and writes, one entry per distinct key (the columns it reads).

    Plain lists, bytearrays and arrays so the C code needs no state of its own:
    `ids` maps a key to its index and `keys` holds what a key says (reason, count per
    line, URL, queue, status, unknown: what the scanner and `_hotloop.count_keys`
    read); `ends` counts lines per key and `bounds` keeps
    each key's first and last stamp (19 bytes each) until the next flush; `order`
    lists the keys counted since then, in the order they first appeared. Reasons are
    numbered too (`reason_of` per key): `want` says per reason how many more example
    lines the file being read still wants.
    """

    __slots__ = ("ids", "keys", "ends", "bounds", "order", "reason_ids", "reason_of", "want")
    # One set per #Fields: layout, kept for the next file of the same layout (a farm's
    # files repeat their keys); started afresh past MAX_KEYS so memory stays bounded.
    MAX_KEYS = 50_000
    _by_layout: dict[tuple[str, ...], "_ScanTables"] = {}

    @classmethod
    def for_layout(cls, fields: tuple[str, ...], examples: dict[str, list]) -> "_ScanTables":
        """The tables of this layout, their example wishes set for the file being read."""
        tables = cls._by_layout.get(fields)
        if tables is None or len(tables.keys) > cls.MAX_KEYS or tables.order:  # order: a parse that failed midway
            if len(cls._by_layout) > 16:
                cls._by_layout.clear()
            tables = cls._by_layout[fields] = cls()
        tables.want[:] = bytes([EXAMPLES_PER_REASON]) * len(tables.reason_ids)
        for reason, refs in examples.items():
            tables.still_wanted(reason, EXAMPLES_PER_REASON - len(refs))
        return tables

    def __init__(self) -> None:
        self.ids: dict[bytes, int] = {}
        self.keys: list[tuple] = []
        self.ends = array("q")
        self.bounds = bytearray()
        self.order: list[int] = []
        self.reason_ids: dict[str, int] = {}
        self.reason_of = array("I")
        self.want = bytearray()

    def still_wanted(self, reason: str, examples: int) -> None:
        """The scanner puts up to `examples` more lines of `reason` in `found` per call."""
        if reason in self.reason_ids:
            self.want[self.reason_ids[reason]] = max(examples, 0)

    def register(self, tail: bytes, info: "_Tail", wanted: int) -> None:
        reason = sys.intern(info.reason)  # one object per reason: the C caches day arrays by identity
        if reason not in self.reason_ids:
            self.reason_ids[reason] = len(self.want)
            self.want.append(max(wanted, 0))
        self.reason_of.append(self.reason_ids[reason])
        self.keys.append((reason, info.count, None if info.url == "-" else info.url,
                          None if info.queue == "-" else (reason, info.queue), info.status, info.unknown))
        self.ids[tail] = len(self.keys) - 1
        self.ends.append(0)
        self.bounds.extend(bytes(2 * _STAMP))


_STAMP = len("YYYY-MM-DD HH:MM:SS")


@dataclass(slots=True)
class _Tail:
    """What the end of a line (from the first column the parser needs) says; cached per distinct ending."""

    reason: str
    count: int
    url: str
    queue: str
    status: str
    unknown: bool


class _Parser:
    """One file's lines, one `#Fields:` block at a time, into the shared stats.

    `line` is the reference path (one decoded line at a time, wrapped lines joined);
    `block` is the bytes-level fast path, which hands `line` every line it cannot
    vouch for, so both paths give the same aggregate (tests/test_ingest.py).
    """

    def __init__(self, lines: Lines):
        self.lines = lines
        self.result = ParseResult(kind=KIND)
        self.stats = self.result.stats = HttpErrStats()
        self.salvaged = 0
        self.aligned = 0
        self.saw_anything = False
        self.pending: tuple[int, list[str]] | None = None  # a line wrapped by whoever copied the log
        self.good_hours: set[bytes] = set()
        self.good_dates: set[bytes] = set()  # b"YYYY-MM-DD" the compiled scanner may take without asking
        self.set_fields(DEFAULT_FIELDS, "13 fields (no #Fields: header, default layout)")

    def set_fields(self, fields: list[str], layout: str) -> None:
        self.fields = list(fields)
        self.index = {name: i for i, name in enumerate(self.fields)}
        self.width = len(self.fields)
        self.layout = layout
        # The bytes-level loop needs date and time first and s-reason present; it splits
        # each line only up to `cut`, the first column it reads after the timestamp.
        needed = [self.index[c] for c in ("cs-uri", "sc-status", "s-reason", "s-queuename") if c in self.index]
        self.cut = min(needed) if needed else 0
        self.fast = self.fields[:2] == ["date", "time"] and "s-reason" in self.index and self.cut >= 2
        self.tail_index = {name: i - self.cut for name, i in self.index.items() if i >= self.cut}
        # The compiled scanner keys a line by just those columns, joined by spaces.
        self.key_columns = bytes(sorted(needed)) if self.fast and max(needed) < 255 else b""
        self.key_index = {self.fields[i]: at for at, i in enumerate(self.key_columns)}
        self.tails: dict[bytes, _Tail] = {}
        self.scanned = _ScanTables.for_layout(tuple(self.fields), self.stats.examples)

    # -- reference path: one decoded line at a time ------------------------------------
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
                stats.add(reason, count, w3c_stamp(tokens[0], tokens[1]), "-", "-", "-", self.lines.ref(number))
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
            w3c_stamp(row["date"], row["time"]) if "date" in row and "time" in row else None,
            row.get("cs-uri", "-"),
            row.get("s-queuename", "-"),
            row.get("sc-status", "-"),
            self.lines.ref(number),
        )

    def line(self, number: int, line: str) -> None:
        result, stats = self.result, self.stats
        if not line.strip():
            return
        if line.startswith("#"):
            if self.pending:
                self.take(self.pending[1], self.pending[0])
                self.pending = None
            if line.startswith("#Fields:"):
                fields = line[len("#Fields:"):].split()
                self.set_fields(fields, f"{len(fields)} fields")
                stats.unknown_columns |= {f for f in fields if f not in KNOWN_FIELDS}
                if "s-reason" not in self.index:
                    # A note, not a skip: skips count data lines, and each line under it is counted itself.
                    result.notes.append(f"line {number}: #Fields: header has no s-reason column; "
                                        "only lines with a reason phrase under it could be read")
            self.saw_anything = True
            return
        result.data_lines += 1
        tokens = line.split(" ")
        starts_record = len(tokens) >= 2 and w3c_stamp(tokens[0], tokens[1]) is not None
        pending = self.pending
        if pending and not starts_record:
            pending[1].extend(t for t in tokens if t)
            result.skips.append(Skip(number, f"continuation of line {pending[0]} (the line was wrapped); joined to it"))
            if len(pending[1]) >= self.width or any(is_reason(t) for t in tokens):
                self.take(pending[1], pending[0])
                self.pending = None
            return
        if pending:
            self.take(pending[1], pending[0])
            self.pending = None
        if starts_record and len(tokens) < self.width and not any(is_reason(t) for t in tokens):
            self.pending = (number, tokens)
            return
        self.take(tokens, number)

    # -- fast path: a block of whole lines as bytes ----------------------------------
    def block(self, first: int, block: bytes) -> None:
        if _hotloop is not None and self.key_columns and block.isascii():
            self.scan(first, block)
            return
        crlf = block.count(b"\r\n")
        newlines = block.count(b"\n")
        if block.isascii() and (crlf == newlines == block.count(b"\r") or not block.count(b"\r")):
            rows = block.split(b"\r\n" if crlf else b"\n")
            if not rows[-1]:
                rows.pop()
            if not rows or max(map(len, rows)) < MAX_LINE_BYTES:
                self.rows(first, rows)
                return
        for number, line in self.lines.block_lines(first, block):
            self.line(number, line)

    def _tail(self, tail: bytes, at: dict[str, int] | None = None) -> _Tail:
        """What a line ending (or, with `at`, a key of the compiled scanner) says."""
        tokens = tail.decode("ascii").split(" ")
        at = self.tail_index if at is None else at
        reason, count = split_counted(tokens[at["s-reason"]])
        return _Tail(reason, count,
                     tokens[at["cs-uri"]] if "cs-uri" in at else "-",
                     tokens[at["s-queuename"]] if "s-queuename" in at else "-",
                     tokens[at["sc-status"]] if "sc-status" in at else "-",
                     not is_reason(reason))

    def rows(self, first: int, rows: list[bytes]) -> None:
        """The hot loop: count line endings and (reason, minute), first and last stamp per (reason, hour); flush once."""
        stats, path = self.stats, self.lines.path
        ends: dict[bytes, int] = {}
        bounds: dict[tuple[str, bytes], list] = {}
        per_minute: dict[tuple[str, bytes], int] = {}
        good_hours, minute_second = self.good_hours, _MINUTE_SECOND
        examples = stats.examples
        wanted = {t for t, info in self.tails.items() if len(examples.get(info.reason, ())) < EXAMPLES_PER_REASON}
        fast, spaces, cut, tails = self.fast, self.width - 1, self.cut, self.tails
        number = first - 1
        for row in rows:
            number += 1
            if (not fast or row.count(b" ") != spaces or row[13:19] not in minute_second or row[19:20] != b" "
                    or self.pending):
                self._flush(ends, bounds, per_minute)
                self.line(number, row.decode("ascii"))
                if self.tails is not tails:
                    # A #Fields: line changed the layout.
                    fast, spaces, cut, tails, wanted = self.fast, self.width - 1, self.cut, self.tails, set()
                continue
            hour = row[:13]
            if hour not in good_hours:
                if not _good_hour(hour):
                    self._flush(ends, bounds, per_minute)
                    self.line(number, row.decode("ascii"))
                    continue
                good_hours.add(hour)
            tail = row.split(b" ", cut)[cut]
            info = tails.get(tail)
            if info is None:
                info = tails[tail] = self._tail(tail)
                if len(examples.get(info.reason, ())) < EXAMPLES_PER_REASON:
                    wanted.add(tail)
            ends[tail] = ends.get(tail, 0) + 1
            stamp = row[:19]
            key = (info.reason, hour)
            entry = bounds.get(key)
            if entry is None:
                bounds[key] = [stamp, stamp]
            elif stamp < entry[0]:
                entry[0] = stamp
            elif stamp > entry[1]:
                entry[1] = stamp
            key = (info.reason, row[:16])
            per_minute[key] = per_minute.get(key, 0) + info.count
            if tail in wanted:
                refs = examples.setdefault(info.reason, [])
                if len(refs) < EXAMPLES_PER_REASON:
                    refs.append(SourceRef(path, number))
                if len(refs) >= EXAMPLES_PER_REASON:
                    wanted -= {t for t in wanted if tails[t].reason == info.reason}
        self._flush(ends, bounds, per_minute)

    def _flush(self, ends: dict, bounds: dict, per_minute: dict) -> None:
        """Add what the hot loop gathered to the aggregate (before any line the slow path takes)."""
        if not ends:
            return
        stats, tails = self.stats, self.tails
        for (reason, _), (low, high) in bounds.items():
            stats.seen(reason, low.decode("ascii"), high.decode("ascii"))
        stats.per_minute.add_many(per_minute)
        self._counted(self._count_tails((tails[tail], n) for tail, n in ends.items()))
        ends.clear()
        bounds.clear()
        per_minute.clear()

    def _count_tails(self, counted: Iterator[tuple[_Tail, int]]) -> int:
        """Lines the Python bytes loop grouped by ending (`n` lines alike each), added to the aggregate.

        Plain dict reads and writes on the Counters, names bound once; the compiled
        path does the same in `_hotloop.count_keys`. Returns the number of lines.
        """
        stats = self.stats
        reasons, reason_lines, urls = stats.reasons, stats.reason_lines, stats.urls
        queues, statuses, unknown = stats.queues, stats.statuses, stats.unknown_reasons
        lines = 0
        for info, n in counted:
            reason, total = info.reason, n * info.count
            lines += n
            reasons[reason] = reasons.get(reason, 0) + total
            reason_lines[reason] = reason_lines.get(reason, 0) + n
            if info.url != "-":
                by_url = urls.get(reason)
                if by_url is None:
                    by_url = urls[reason] = Counter()
                by_url[info.url] = by_url.get(info.url, 0) + total
                if len(by_url) > URL_CAP:
                    stats.cap_urls(reason)
            if info.queue != "-":
                queue = (reason, info.queue)
                queues[queue] = queues.get(queue, 0) + total
            statuses[info.status] = statuses.get(info.status, 0) + total
            if info.unknown:
                unknown[reason] = unknown.get(reason, 0) + n
        return lines

    def _counted(self, lines: int) -> None:
        self.stats.records += lines
        self.stats.layouts[self.layout] += lines
        self.result.data_lines += lines
        self.saw_anything = True

    # -- compiled fast path: the same loop in C (_hotloop.c) ----------------------------
    def scan(self, first: int, block: bytes) -> None:
        """Let the compiled scanner count the block, doing for it whatever it stops for."""
        hot, stats = _hotloop, self.stats
        minutes, examples, path = stats.per_minute, stats.examples, self.lines.path
        pos, number, size, found = 0, first, len(block), []
        while pos < size:
            if not self.key_columns:  # a #Fields: line the compiled scanner cannot follow
                self.block(number, block[pos:])
                return
            if self.pending:  # a wrapped line waits for its continuation: the reference path decides
                pos, number = self._slow_row(block, pos, number)
                continue
            tables = self.scanned
            status, pos, number, aux = hot.scan(
                block, pos, number, self.key_columns, self.width - 1, MAX_LINE_BYTES, tables.ids, tables.keys,
                tables.reason_of, tables.want, tables.ends, tables.bounds, tables.order, minutes.days, self.good_dates,
                minutes.open_day, found)
            for index, line in found:  # the first lines of each reason, in line order, until it has enough
                reason = tables.keys[index][0]
                refs = examples.setdefault(reason, [])
                if len(refs) < EXAMPLES_PER_REASON:
                    refs.append(SourceRef(path, line))
                tables.still_wanted(reason, EXAMPLES_PER_REASON - len(refs))
            found.clear()
            if status == hot.NEW_TAIL:
                info = self._tail(aux, self.key_index)
                tables.register(aux, info, EXAMPLES_PER_REASON - len(examples.get(info.reason, ())))
            elif status == hot.NEW_DATE and _real_date(aux.decode("ascii")):
                self.good_dates.add(aux)
            elif status not in (hot.DONE, hot.EXAMPLE):  # SLOW, LONG, or a date that is not a real one
                pos, number = self._slow_row(block, pos, number)
        self._flush_scanned()

    def _slow_row(self, block: bytes, pos: int, number: int) -> tuple[int, int]:
        """The line at `pos` on the reference path; returns where the next line starts.

        From an over-long line on, the rest of the block goes to the line reader,
        which skips such lines with their length.
        """
        self._flush_scanned()
        end = block.find(b"\n", pos)
        end = len(block) if end < 0 else end
        if end - pos >= MAX_LINE_BYTES:
            for number, line in self.lines.block_lines(number, block[pos:]):
                self.line(number, line)
            return len(block), number + 1
        self.line(number, block[pos:end].decode("ascii").rstrip("\r"))  # as the line reader: trailing CRs go
        return end + 1, number + 1

    def _flush_scanned(self) -> None:
        """Add what the compiled scanner counted since the last flush to the aggregate."""
        tables = self.scanned
        order = tables.order
        if not order:
            return
        keys, bounds, stats = tables.keys, tables.bounds, self.stats
        lines = _hotloop.count_keys(order, tables.ends, keys, stats.reasons, stats.reason_lines, stats.urls,
                                    stats.queues, stats.statuses, stats.unknown_reasons, Counter, stats.cap_urls, URL_CAP)
        first: dict[str, bytearray] = {}
        last: dict[str, bytearray] = {}
        for index in order:
            reason = keys[index][0]
            at = index * 2 * _STAMP
            low, high = bounds[at:at + _STAMP], bounds[at + _STAMP:at + 2 * _STAMP]
            bounds[at] = 0  # a zero first byte tells the scanner this key has no stamp yet
            if reason not in first or low < first[reason]:
                first[reason] = low
            if reason not in last or high > last[reason]:
                last[reason] = high
        for reason, low in first.items():
            self.stats.seen(reason, low.decode("ascii"), last[reason].decode("ascii"))
        order.clear()
        self._counted(lines)

    def finish(self) -> ParseResult:
        result, stats = self.result, self.stats
        if self.pending:
            self.take(self.pending[1], self.pending[0])
        stats.per_minute.compact()
        if not self.saw_anything:
            raise NotThisKind("no HTTPERR header or data line found")
        if self.aligned:
            result.notes.append(f"{self.aligned} line(s) had fewer fields than #Fields:; columns were matched by the reason's position")
        if self.salvaged:
            result.notes.append(f"{self.salvaged} line(s) had a field count that did not match #Fields:; only date, time and reason were used")
        if stats.untimed:
            result.notes.append(f"{stats.untimed} line(s) had no valid date/time; counted without a timestamp")
        if stats.unknown_columns:
            result.notes.append("unknown columns kept but not interpreted: " + ", ".join(sorted(stats.unknown_columns)))
        if stats.unknown_reasons:
            result.notes.append("reason phrases the knowledge base does not know, counted as is: "
                                + ", ".join(f"{r} ({n})" for r, n in stats.unknown_reasons.most_common()))
        return result


def parse(lines: Lines) -> ParseResult:
    parser = _Parser(lines)
    if lines.blocks is not None:
        for first, block in lines.blocks():
            parser.block(first, block)
    else:
        for number, line in lines:
            parser.line(number, line)
    return parser.finish()


def parse_time(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
