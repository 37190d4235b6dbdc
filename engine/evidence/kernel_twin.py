"""The pure-Python twin of the compiled kernel (`_hotloop.c`): same functions, same results.

It is what runs where no C compiler built the extension, or with
HTTPERR_DOCTOR_PURE_PYTHON=1 (`kernel.choose`), and the reference the compiled
code is tested against (tests/test_hotloop.py). Each function's contract is the
C function's docstring; this module repeats the logic in Python, nothing more.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left
from itertools import compress

# Why `scan` stopped (the same numbers as the C enum).
DONE, SLOW, NEW_TAIL, NEW_DATE, EXAMPLE, LONG = 0, 1, 2, 3, 5, 6
STAMP = len("YYYY-MM-DD HH:MM:SS")
DAY_SLOTS = 1440
MAX_KEY = 4096  # longer keys (URLs of kilobytes) take the reference path
# ":MM:SS" of a real clock time, and the digit positions of b"YYYY-MM-DD HH".
_MINUTE_SECOND = frozenset(f":{m:02d}:{s:02d}".encode() for m in range(60) for s in range(60))
_HOUR_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12)
_DIGITS = frozenset(b"0123456789")
_SLOT_OF = {f"{h:02d}:{m:02d}".encode(): h * 60 + m for h in range(24) for m in range(60)}
_LANES = int.from_bytes(b"\x01\x00" * DAY_SLOTS, "little")  # the lowest bit of each uint16 slot


def newlines(block: bytes) -> int:
    return block.count(b"\n")


def busy_minutes(day: array, limit: int) -> list[int] | None:
    """[slot, ..., count, ...] of a dense uint16 day's busy minutes, or None when `limit` or more are busy.

    The busy slots are found with a few big-integer operations on the whole day
    (every bit of a slot folded into its lowest bit) and a `find` per busy
    minute, instead of 1,440 Python steps.
    """
    if day.typecode != "H" or len(day) != DAY_SLOTS:
        raise ValueError("busy_minutes(): a day is an array('H') of 1,440 slots")
    lanes = int.from_bytes(day, "little")
    lanes |= lanes >> 8
    lanes |= lanes >> 4
    lanes |= lanes >> 2
    lanes |= lanes >> 1
    lanes &= _LANES
    if lanes.bit_count() >= limit:
        return None
    flags = lanes.to_bytes(2 * DAY_SLOTS, "little")
    slots, at = [], flags.find(1)
    while at >= 0:
        slots.append(at >> 1)
        at = flags.find(1, at + 2)
    return slots + [day[slot] for slot in slots]


def _stored_days(days: dict, sparse: dict):
    """(reason, day, busy slots ascending, their counts) of every stored day, dense then sparse."""
    for (reason, day), counts in days.items():
        slots = list(compress(range(len(counts)), counts))
        yield reason, day, slots, [counts[slot] for slot in slots], max(counts, default=0)
    for (reason, day), quiet in sparse.items():
        half = len(quiet) // 2
        yield reason, day, quiet[:half], quiet[half:], max(quiet[half:], default=0)


def minute_stats(days: dict, sparse: dict) -> dict[str, list]:
    """{reason: [peak, first day, first slot, last day, last slot]} over a MinuteCounts' stored days."""
    found: dict[str, list] = {}
    for reason, day, slots, _, peak in _stored_days(days, sparse):
        entry = found.setdefault(reason, [0, None, 0, None, 0])
        entry[0] = max(entry[0], peak)
        if not slots:
            continue
        if entry[1] is None or (day, slots[0]) < (entry[1], entry[2]):
            entry[1:3] = day, slots[0]
        if entry[3] is None or (day, slots[-1]) > (entry[3], entry[4]):
            entry[3:5] = day, slots[-1]
    return found


def minute_buckets(days: dict, sparse: dict, bases: dict, origin: int, width: int, only: str | None) -> dict:
    """{reason: {bucket start: count}} in buckets of `width` minutes (a divisor of 1,440) from minute `origin`.

    Bucket edges fall at the same clock minute every day, so a dense day is a few
    slice sums and a busy sparse day is cut at the bucket edges.
    """
    phase = origin % width
    edges = [0, *range(phase, DAY_SLOTS, width), DAY_SLOTS] if phase else [*range(0, DAY_SLOTS, width), DAY_SLOTS]
    spans = [(low, high) for low, high in zip(edges, edges[1:]) if high > low]
    found: dict[str, dict[int, int]] = {}
    for (reason, day), counts in days.items():
        if only is None or reason == only:
            out = found.setdefault(reason, {})
            for low, high in spans:
                total = sum(counts[low:high])
                if total:
                    _add(out, origin + (bases[day] + low - origin) // width * width, total)
    for (reason, day), quiet in sparse.items():
        if only is None or reason == only:
            _sparse_buckets(found.setdefault(reason, {}), quiet, bases[day] - origin, origin, width, spans)
    return found


def bucket_arrays(days: dict, sparse: dict, bases: dict, origin: int, width: int, into: dict, total: array) -> None:
    """Add each stored day of a reason in `into` ({reason: array('q')}) to its array, a slot
    per bucket of `width` minutes from minute `origin`, and to `total` (as long); minutes
    outside the arrays are left out."""
    for table, is_sparse in ((days, False), (sparse, True)):
        for (reason, day), counts in table.items():
            out = into.get(reason)
            if out is None:
                continue
            base, half = bases[day] - origin, len(counts) // 2
            busy = zip(counts[:half], counts[half:]) if is_sparse else ((slot, n) for slot, n in enumerate(counts) if n)
            for slot, n in busy:
                at = (base + slot) // width
                if 0 <= at < len(total):
                    out[at] += n
                    total[at] += n


def window_peaks(days: dict, sparse: dict, members: dict, sets: int, width: int) -> list[int]:
    """For each of `sets` sets of reasons, the most counts of its reasons together in any
    window of `width` minutes (a divisor of 1,440, from midnight); `members` maps a reason
    to the indices of the sets it is in. A day at a time: no window of the whole span is held."""
    if width <= 0 or DAY_SLOTS % width:
        raise ValueError("window_peaks(): width divides 1,440")
    by_day: dict[str, list] = {}
    for table, is_sparse in ((days, False), (sparse, True)):
        for (reason, day), counts in table.items():
            if reason in members:
                by_day.setdefault(day, []).append((counts, is_sparse, members[reason]))
    peaks = [0] * sets
    for parts in by_day.values():
        sums = [[0] * (DAY_SLOTS // width) for _ in range(sets)]
        for counts, is_sparse, into in parts:
            half = len(counts) // 2
            busy = zip(counts[:half], counts[half:]) if is_sparse else ((slot, n) for slot, n in enumerate(counts) if n)
            for slot, n in busy:
                if 0 <= slot < DAY_SLOTS:
                    for index in into:
                        sums[index][slot // width] += n
        peaks = [max(peak, *row) for peak, row in zip(peaks, sums)]
    return peaks


def _sparse_buckets(out: dict, quiet: array, base: int, origin: int, width: int, spans: list) -> None:
    half = len(quiet) // 2
    if half <= len(spans):
        for slot, n in zip(quiet[:half], quiet[half:]):
            _add(out, origin + (base + slot) // width * width, n)
        return
    at = 0  # more busy minutes than buckets in a day: cut the sorted slots at the bucket edges
    for low, high in spans:
        end = bisect_left(quiet, high, at, half)
        if end > at:
            _add(out, origin + (base + low) // width * width, sum(quiet[half + at:half + end]))
            at = end


def _add(out: dict, key, n: int) -> None:
    out[key] = out.get(key, 0) + n


def count_keys(tables, stats) -> int:
    """Add the lines counted per key since the last call (tables.ends[i] for i in tables.order) to `stats`.

    A key is (reason, count per line, URL or None, (reason, queue) or None, status,
    unknown phrase or None); the counts taken are zeroed. The bounded counters are
    added to as dicts and each told once at the end (`TopCounts.counted`), so they
    thin after the flush. Returns the number of lines.
    """
    ends, keys, urls = tables.ends, tables.keys, stats.urls
    reasons, reason_lines = stats.reasons, stats.reason_lines
    touched: dict[int, list] = {}

    def bounded(counter: dict, value, n: int) -> None:
        _add(counter, value, n)
        touched.setdefault(id(counter), [counter, 0])[1] += n

    lines = 0
    for index in tables.order:
        reason, per_line, url, queue, status, phrase = keys[index]
        n = ends[index]
        ends[index] = 0
        total = n * per_line
        lines += n
        _add(reasons, reason, total)
        _add(reason_lines, reason, n)
        if url is not None:
            if reason in urls:
                bounded(urls[reason], url, total)
            else:
                stats.add_url(reason, url, total)
        if queue is not None:
            bounded(stats.queues, queue, total)
        bounded(stats.statuses, status, total)
        if phrase is not None:
            bounded(stats.unknown_reasons, phrase, n)
    for counter, n in touched.values():
        counter.counted(n)
    return lines


def _good_hour(hour: bytes, hours: set) -> bool:
    """b"YYYY-MM-DD HH" with digits where digits belong and a real hour (the date is vouched for by Python)."""
    if not (hour[4] == 45 and hour[7] == 45 and hour[10] == 32 and hour[11:13] <= b"23"
            and all(hour[i] in _DIGITS for i in _HOUR_DIGITS)):
        return False
    if len(hours) > 100_000:
        hours.clear()
    hours.add(hour)
    return True


class _Day:
    """The dense uint16 day arrays of the date being scanned, per reason (the C code's day cache)."""

    __slots__ = ("date", "text", "arrays")

    def __init__(self) -> None:
        self.date, self.text, self.arrays = None, "", {}

    def slots(self, state, reason: str) -> array | None:
        key = (reason, self.text)
        day = state.days.get(key)
        if day is None:
            day = state.open_day(key)
        if day.typecode != "H" or len(day) != DAY_SLOTS:
            return None  # widened after an overflow: Python adds this line
        self.arrays[reason] = day
        return day


def scan(state, block: bytes, pos: int, number: int) -> tuple[int, int, int, bytes | None]:
    """Count plain data lines of `block` from byte `pos` (line `number`) until the end or a line Python must handle.

    Returns (status, pos, number, aux): see the C `scan` for what each status means.
    Written as one loop with its names bound once: it is the hot loop where no
    compiler built the C one.
    """
    tables, size, took, day = state.tables, len(block), {}, _Day()
    ids, keys, ends, order, want, reason_of = tables.ids, tables.keys, tables.ends, tables.order, tables.want, tables.reason_of
    spaces, hours, dates, slot_of, minute_second = state.spaces, state.hours, state.dates, _SLOT_OF, _MINUTE_SECOND
    splits = spaces - state.columns[0] + 1  # split off only the columns from the first key column on
    picks = [column - state.columns[0] + 1 for column in state.columns]
    while pos < size:
        end = block.find(b"\n", pos)
        following = size if end < 0 else end + 1
        end = size if end < 0 else end
        if end - pos >= state.max_line:
            return LONG, pos, number, None
        line = block[pos:end].rstrip(b"\r")
        if (line.count(b" ") != spaces or b"\r" in line or len(line) <= STAMP or line[13:19] not in minute_second
                or line[19] != 32 or (line[:13] not in hours and not _good_hour(line[:13], hours))):
            return SLOW, pos, number, None
        parts = line.rsplit(b" ", splits)
        key = b" ".join([parts[at] for at in picks])
        if len(key) > MAX_KEY:
            return SLOW, pos, number, None
        if line[:10] != day.date:
            if line[:10] not in dates:
                return NEW_DATE, pos, number, line[:10]
            day.date, day.text, day.arrays = line[:10], line[:10].decode("ascii"), {}
        index = ids.get(key)
        if index is None:
            return NEW_TAIL, pos, number, key
        if not 0 <= index < len(keys):
            raise ValueError("scan(): tail id out of range")
        reason, count = keys[index][:2]
        slots = day.arrays.get(reason) or day.slots(state, reason)
        slot = slot_of[line[11:16]]
        if slots is None or count < 0 or slots[slot] + count > 0xFFFF:
            return SLOW, pos, number, None
        slots[slot] += count
        if not ends[index]:
            order.append(index)
        ends[index] += 1
        _bound(tables.bounds, index * 2 * STAMP, line[:STAMP])
        if reason_of[index] >= len(want):
            raise ValueError("scan(): reason id out of range")
        if want[reason_of[index]]:
            _take_example(state, took, index, number)
        pos, number = following, number + 1
    return DONE, pos, number, None


def _bound(bounds: bytearray, at: int, stamp: bytes) -> None:
    """The key's first and last stamp (a zero first byte: none yet)."""
    if bounds[at] == 0:
        bounds[at:at + 2 * STAMP] = stamp + stamp
    elif stamp > bounds[at + STAMP:at + 2 * STAMP]:
        bounds[at + STAMP:at + 2 * STAMP] = stamp
    elif stamp < bounds[at:at + STAMP]:
        bounds[at:at + STAMP] = stamp


def _take_example(state, took: dict, index: int, number: int) -> None:
    """The line goes into `found` while its reason still wants examples (at most want[reason] per call)."""
    reason = state.tables.reason_of[index]
    if took.get(reason, 0) < state.tables.want[reason]:
        state.found.append((index, number))
        took[reason] = took.get(reason, 0) + 1


def sorted_busy(counts: array) -> list[int]:
    """The non-zero values of `counts` (an array('q')), smallest first."""
    if counts.typecode != "q":
        raise ValueError("sorted_busy(): counts is an array of type q")
    return sorted(filter(None, counts))
