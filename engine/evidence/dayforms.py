"""The two forms a day of one reason's minute counts is stored in (`MinuteCounts`).

Dense: an array of 1,440 slots. Sparse (a quiet day: fewer than SPARSE_BELOW busy minutes,
most reasons on most days): one array of its busy slots, ascending, followed by their
counts. These helpers pack, read and join the sparse form.
"""
from __future__ import annotations

from array import array
from itertools import compress
from types import ModuleType
from typing import Iterator

from .kernel import choose

SPARSE_BELOW = 720  # busy minutes in a day below which (slots, counts) is smaller than 1,440 slots


def packed(values) -> array:
    """Smallest array type that holds the counts (uint16 covers nearly every log)."""
    values = list(values)
    for code in ("H", "I", "q"):
        try:
            return array(code, values)
        except OverflowError:
            continue
    return array("q", [min(v, 2**63 - 1) for v in values])


def entries(sparse: array) -> Iterator[tuple[int, int]]:
    """(slot, count) pairs of a sparse day: its first half is the busy slots, its second their counts."""
    half = len(sparse) // 2
    return zip(sparse[:half], sparse[half:])


def joined(one: array, two: array) -> array | None:
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
    return packed([*one[:half_one], *two[:half_two], *one[half_one:], *two[half_two:]])


def quiet_form(counts: array, kernel: ModuleType | None = None) -> array | None:
    """A dense day's sparse form when fewer than SPARSE_BELOW of its minutes are busy, else None.

    This runs for every reason and day of every file: uint16 days (nearly all) go to the kernel.
    """
    if counts.typecode == "H" and len(counts) == 1440:
        busy = choose(kernel).busy_minutes(counts, SPARSE_BELOW)
        return None if busy is None else array("H", busy)
    slots = list(compress(range(len(counts)), counts))
    if len(slots) >= SPARSE_BELOW:
        return None
    return packed(slots + [counts[slot] for slot in slots])
