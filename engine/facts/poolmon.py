"""PoolMon captures: the pool in use, the tag holding the most non-paged pool, and
the tag that grew most across snapshots (when any tag grew beyond noise)."""
from __future__ import annotations

from ..evidence.base import ParseResult, Record
from ..evidence.poolmon import PoolRow
from ..templates import format_value, share_text
from .model import BOOL, MB, NUMBER, STRING, Context, Facts, Source


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    snapshots: list[list[Record[PoolRow]]] = []
    for result in sorted(results, key=lambda r: r.records[0].source.path):
        blocks: dict[int, list[Record[PoolRow]]] = {}
        for record in result.records:
            blocks.setdefault(record.data.snapshot, []).append(record)
        snapshots.extend(blocks[i] for i in sorted(blocks))
    facts.add("poolmon.snapshots", len(snapshots))
    _latest_facts(facts, snapshots[-1])
    if len(snapshots) >= 2:
        _growth_facts(facts, snapshots)


def _latest_facts(facts: Facts, latest: list[Record[PoolRow]]) -> None:
    nonpaged = [r for r in latest if r.data.nonpaged]
    pool_kb = latest[0].data.pool_nonpaged_kb
    if pool_kb:
        facts.add("poolmon.npp_total_mb", pool_kb / 1024, [latest[0].source],
                  f"PoolMon header 'Pool N: {pool_kb}K' = {format_value(pool_kb / 1024)} MB")
    if not nonpaged:
        return
    top = max(nonpaged, key=lambda r: r.data.bytes)
    row = top.data
    total = pool_kb * 1024 if pool_kb else sum(r.data.bytes for r in nonpaged)
    facts.add("poolmon.top_npp_tag", row.tag, [top.source])
    facts.add("poolmon.top_npp_tag_mb", row.bytes / MB, [top.source],
              f"tag {row.tag} holds {row.bytes:,} bytes of non-paged pool")
    if total:
        facts.add("poolmon.top_npp_tag_share", row.bytes / total, [top.source],
                  f"{format_value(row.bytes / MB)} MB of {format_value(total / MB)} MB non-paged pool")
    if row.driver:
        facts.add("poolmon.top_npp_tag_driver", row.driver, [top.source])
    _completeness(facts, latest, nonpaged, pool_kb)


# Listed non-paged rows holding this share of "Pool N:" leave no bigger tag off the screen.
COMPLETE_SHARE = 0.9


def _completeness(facts: Facts, latest: list[Record[PoolRow]], nonpaged: list[Record[PoolRow]], pool_kb: int | None) -> None:
    """Whether the biggest tag can be off the screen: a screen sorted by allocations or by
    tag, with few rows, cannot rule out a leaking driver.

    Sorted by bytes (`poolmon -b`) means the largest tags come first; otherwise only rows
    that add up to nearly all of the pool leave nothing bigger out.
    """
    sizes = [r.data.bytes for r in latest]
    listed = sum(r.data.bytes for r in nonpaged)
    if len(sizes) >= 2 and all(a >= b for a, b in zip(sizes, sizes[1:])):
        facts.add("poolmon.shows_largest_tags", True, [latest[0].source],
                  f"the {len(sizes)} rows are sorted by bytes, largest first")
    elif pool_kb and listed >= COMPLETE_SHARE * pool_kb * 1024:
        facts.add("poolmon.shows_largest_tags", True, [latest[0].source],
                  f"the non-paged rows listed hold {share_text(listed / (pool_kb * 1024))} of Pool N")
    else:
        held = f"hold {share_text(listed / (pool_kb * 1024))} of Pool N" if pool_kb else "are all there is to go on (no Pool N line)"
        facts.add("poolmon.shows_largest_tags", False, [latest[0].source],
                  f"the {len(sizes)} rows are not sorted by bytes and {held}: a bigger tag may be off the screen")


# A tag "keeps growing" (WDK PoolMon leak method [R22c]) only when it rises beyond the
# churn of allocations and frees: by a megabyte (20 times less than the 20 MB free at
# which http.sys refuses; flat tags move by tens to hundreds of KB between captures)
# and by 5% of what it held (the share perfmon's steady rise of the whole pool asks
# for), and, with three snapshots or more, not in one jump: no single interval carries
# more than JUMP_SHARE of the rise.
GROWTH_MIN_BYTES = MB
GROWTH_MIN_SHARE = 0.05
JUMP_SHARE = 0.8


def keeps_growing(values: list[int]) -> bool:
    """Whether one tag's bytes, snapshot by snapshot, grew beyond noise and across the snapshots.

    >>> MiB = 1024 * 1024
    >>> keeps_growing([70 * MiB, 72 * MiB, 75 * MiB]), keeps_growing([22 * MiB, 22 * MiB + 150_000])
    (True, False)
    >>> keeps_growing([40 * MiB, 40 * MiB, 46 * MiB])  # one jump between the last two captures
    False
    """
    rise = values[-1] - values[0]
    if rise < GROWTH_MIN_BYTES or rise < GROWTH_MIN_SHARE * values[0]:
        return False
    steps = [b - a for a, b in zip(values, values[1:])]
    return len(steps) < 2 or max(steps) <= JUMP_SHARE * rise


def _growth_facts(facts: Facts, snapshots: list[list[Record[PoolRow]]]) -> None:
    # Per snapshot, one row per tag: a tag listed twice in one capture (a garbled copy)
    # must not pass for a tag seen in every capture.
    rows = [{r.data.tag: r for r in snap if r.data.nonpaged} for snap in snapshots]
    first = rows[0]
    series = {tag: [snap[tag].data.bytes for snap in rows] for tag in first if all(tag in snap for snap in rows)}
    if not series:
        return
    growing = {tag: values[-1] - values[0] for tag, values in series.items() if keeps_growing(values)}
    jump = ", spread over the snapshots rather than in one jump" if len(rows) > 2 else ""
    facts.add("poolmon.growing_tags", len(growing), [snapshots[0][0].source, snapshots[-1][0].source],
              f"{len(growing)} of the {len(series)} non-paged tags in all {len(rows)} snapshots grew by "
              f"1 MB and 5% or more{jump}")
    if not growing:
        return
    tag = max(growing, key=lambda t: (growing[t], t))
    values = series[tag]
    last = rows[-1][tag]
    facts.add("poolmon.growth_tag", tag, [first[tag].source, last.source])
    facts.add("poolmon.growth_tag_mb", growing[tag] / MB, [first[tag].source, last.source],
              f"tag {tag} went from {format_value(values[0] / MB)} MB to {format_value(values[-1] / MB)} MB over {len(values)} snapshots")
    facts.add("poolmon.growth_tag_steady", all(b >= a for a, b in zip(values, values[1:])), [last.source])


SOURCE = Source("poolmon", ("poolmon",), {
    "poolmon.snapshots": NUMBER, "poolmon.npp_total_mb": NUMBER, "poolmon.top_npp_tag": STRING,
    "poolmon.top_npp_tag_mb": NUMBER, "poolmon.top_npp_tag_share": NUMBER, "poolmon.top_npp_tag_driver": STRING,
    "poolmon.growth_tag": STRING, "poolmon.growth_tag_mb": NUMBER, "poolmon.growth_tag_steady": BOOL,
    "poolmon.shows_largest_tags": BOOL, "poolmon.growing_tags": NUMBER,
}, collect)
