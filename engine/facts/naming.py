"""The names a set of lines or events carry, each with its own count.

A sentence that puts a figure beside a name must give that name's figure: "503 Disabled for
application pools HrPool (135), ShopPool (45)", never the 180 of all the lines beside the
busiest pool alone.
"""
from __future__ import annotations

from typing import Mapping

from ..plurals import counted, plural

# Names listed one by one; the rest are summed.
NAMES_SHOWN = 5


def named_counts(counts: Mapping[str, int], unnamed: int, noun: str, unit: str, at_least: bool = False) -> str | None:
    """`counts` (name -> how many `unit`s name it) in words, with `unnamed` ones that name none.

    The name alone when every one names it; else each name with its count, busiest first.
    `at_least` when the counts are lower bounds (a bounded table that had to thin them).

    >>> named_counts({"HrPool": 180}, 0, "application pool", "entry")
    'application pool HrPool'
    >>> named_counts({"HrPool": 135, "ShopPool": 45}, 3, "application pool", "entry")
    'application pools HrPool (135), ShopPool (45), 3 entries naming none'
    >>> named_counts({f"P{i}": 10 - i for i in range(7)}, 0, "application pool", "entry", at_least=True).split(", ")[-2:]
    ['P4 (at least 6)', '2 more application pools (at least 9)']
    """
    counts = {name: n for name, n in counts.items() if name and n > 0}
    if not counts:
        return None
    if len(counts) == 1 and not unnamed:
        return f"{noun} {next(iter(counts))}".strip()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    bound = "at least " if at_least else ""
    parts = [f"{name} ({bound}{n:,})" for name, n in ranked[:NAMES_SHOWN]]
    rest = ranked[NAMES_SHOWN:]
    if rest:
        parts.append(f"{counted(len(rest), 'more ' + (noun or 'name'))} ({bound}{sum(n for _, n in rest):,})")
    if unnamed:
        parts.append(f"{counted(unnamed, unit)} naming none")
    head = (noun if len(counts) == 1 else plural(noun)) if noun else ""
    return f"{head} {', '.join(parts)}".strip()
