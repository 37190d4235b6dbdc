"""Per-minute series for one server, so a reader can see what happened when.

The HTML report draws these one above the other on a shared time axis: the minute
refusals start should line up with the minute the non-paged pool crossed the line
at which http.sys stops accepting connections.

Series come from the mergeable aggregates the parsers already build (HTTPERR
reasons per minute, IIS requests per minute) and from perfmon samples (the highest
sample of each minute, UTC). Any other parser can add counter series without
touching this module: give its `ParseResult.stats` a method
`timeline_series()` returning dicts with the fields of `report.Series` (group
"counter", points as [minute, value] pairs; plain data, so parsers need not import
the report model). A series
named `perf.npp_used_mb` gets the http.sys refusal line drawn on it when the pool
ceiling is known.

>>> from httperr_doctor.engine.evidence.httperr import HttpErrStats
>>> from httperr_doctor.engine.evidence.base import ParseResult, SourceRef
>>> stats = HttpErrStats()
>>> stats.add("Connections_Refused", 3, "2007-11-13 20:01:44", "-", "-", "-", SourceRef("h.log", 5))
>>> stats.add("Connections_Refused", 4, "2007-11-13 20:01:49", "-", "-", "-", SourceRef("h.log", 6))
>>> line = build_timeline([ParseResult(kind="httperr", stats=stats)]).series[0]
>>> line.name, line.points
('httperr.reason.Connections_Refused', [('2007-11-13 20:01', 7.0)])
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from . import incidents as incident_finder
from . import report as out
from .evidence.base import ParseResult
from .evidence.httperr import HttpErrStats, minute_number, text_of_minute
from .evidence.iislog import IisStats
from .facts.merging import merge_stats

NPP_SERIES = "perf.npp_used_mb"
MB = 1024 * 1024
MAX_POINTS = 2880  # two days at one point a minute; longer runs get wider buckets
LONG_RUN_MINUTES = 30 * 1440  # beyond a month, the longer the run the fewer the points
BUCKET_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)
OTHER_COUNTERS_SHOWN = 4


@dataclass(frozen=True)
class CounterKind:
    name: str
    label: str
    unit: str
    divide_by: float = 1.0


# (object, counter) as PDH names them -> how the timeline shows it; instance-specific
# objects (queues, processors) get the instance in the name and label.
KNOWN_COUNTERS = {
    ("memory", "pool nonpaged bytes"): CounterKind(NPP_SERIES, "Non-paged pool in use", "MB", MB),
    ("memory", "pool paged bytes"): CounterKind("perf.paged_pool_mb", "Paged pool in use", "MB", MB),
    ("memory", "available mbytes"): CounterKind("perf.available_mb", "Available memory", "MB"),
    ("http service request queues", "currentqueuesize"): CounterKind("perf.queue", "Request queue length", "requests"),
    ("http service request queues", "rejectedrequests"): CounterKind("perf.rejected", "Rejected requests (total)", "requests"),
    ("processor", "% processor time"): CounterKind("perf.cpu_pct", "CPU", "%"),
    ("web service", "current connections"): CounterKind("perf.connections", "Web Service connections", "connections"),
}


def counter_kind(path: str) -> CounterKind | None:
    r"""How a PDH counter path is shown on the timeline, or None for a counter not known here.

    >>> counter_kind(r"\\WEB01\HTTP Service Request Queues(DefaultAppPool)\CurrentQueueSize").name
    'perf.queue.DefaultAppPool'
    >>> counter_kind(r"\\WEB01\Memory\Pool Nonpaged Bytes").label
    'Non-paged pool in use'
    """
    from .evidence.perfmon import split_counter

    parts = split_counter(path)
    if not parts:
        return None
    kind = KNOWN_COUNTERS.get((parts["object"].strip().lower(), parts["counter"].strip().lower()))
    if kind is None or not parts.get("instance"):
        return kind
    return CounterKind(f"{kind.name}.{parts['instance']}", f"{kind.label} ({parts['instance']})", kind.unit, kind.divide_by)


def _perfmon_series(files: list[tuple[str, ParseResult]]) -> list[out.Series]:
    """Highest sample per UTC minute for each counter; known counters first, a few others after."""
    minutes: dict[str, dict[str, float]] = defaultdict(dict)
    sources: dict[str, list[str]] = defaultdict(list)
    for path, result in files:
        for record in result.records:
            if record.time is None:
                continue
            minute = record.time.strftime("%Y-%m-%d %H:%M")
            for counter, value in record.data.items():
                slot = minutes[counter]
                slot[minute] = max(value, slot.get(minute, value))
                if path and path not in sources[counter]:
                    sources[counter].append(path)
    known, others = [], []
    for counter in sorted(minutes):
        kind = counter_kind(counter)
        if kind is None:
            parts = counter.rsplit("\\", 2)[-2:]
            kind = CounterKind(f"perf.other.{len(others) + 1}", " ".join(parts), "")
            (others if len(others) < OTHER_COUNTERS_SHOWN else []).append((kind, counter))
        else:
            known.append((kind, counter))
    rank = {kind.name: i for i, kind in enumerate(KNOWN_COUNTERS.values())}
    known.sort(key=lambda pair: (rank.get(pair[0].name.split(".")[0] + "." + pair[0].name.split(".")[1], 99), pair[0].name))
    series = {}
    for kind, counter in known + others:
        points = [(m, round(v / kind.divide_by, 3)) for m, v in sorted(minutes[counter].items())]
        if kind.name not in series:  # the same counter from two computers' columns: first one wins
            series[kind.name] = out.Series(name=kind.name, label=kind.label, group="counter", unit=kind.unit,
                                           points=points, sources=sources[counter])
    return list(series.values())


def _minute_points(counts: dict[str, float]) -> list[tuple[str, float]]:
    return [(minute, float(counts[minute])) for minute in sorted(counts)]


def _reason_series(stats: HttpErrStats, sources: list[str], benign: set[str],
                   start: str | None = None, width: int = 1) -> list[out.Series]:
    """One series per reason; with `width` > 1, already in buckets from `start` (a year never lists its minutes)."""
    counts = stats.per_minute
    order = sorted(counts.reasons(), key=lambda r: (r in benign, -stats.reasons[r], r))
    if width == 1 or start is None or counts.odd:
        by_reason: dict[str, dict[str, float]] = defaultdict(dict)
        for (reason, minute), count in counts.items():
            by_reason[reason][minute] = count
        points = {reason: _minute_points(by_reason[reason]) for reason in order}
        unit = "entries per minute"
    else:
        buckets = counts.buckets_by_reason(minute_number(start), width)  # at most MAX_POINTS a reason
        # Every reason's buckets start on the same minutes: each is written out once.
        texts = {k: text_of_minute(k) for k in set().union(*buckets.values())}
        points = {reason: [(texts[k], float(v)) for k, v in sorted(buckets.get(reason, {}).items())]
                  for reason in order}
        unit = f"entries per {width} minutes"
    return [out.Series(name=f"httperr.reason.{reason}", label=reason, group="reason", unit=unit,
                       points=points[reason], benign=reason in benign, sources=sources)
            for reason in order]


def _refusal_line(series: out.Series, facts: dict[str, Any]) -> out.Series:
    limit, floor = facts.get("memory.npp_limit_mb"), facts.get("memory.npp_floor_mb")
    if series.name != NPP_SERIES or series.threshold is not None or limit is None or floor is None:
        return series
    at = float(limit) - float(floor)
    return series.model_copy(update={
        "threshold": at,
        "threshold_label": f"http.sys refuses above {at:g} MB in use ({float(limit):g} MB ceiling, under {float(floor):g} MB free)",
    })


def build_timeline(results: Iterable[tuple[str, ParseResult]] | Iterable[ParseResult],
                   facts: dict[str, Any] | None = None, benign: Iterable[str] = ()) -> out.Timeline | None:
    """The server's series from its parsed files (pairs of path and result, or bare results)."""
    facts = facts or {}
    counters: list[out.Series] = []
    httperr_parts: list[HttpErrStats] = []
    iis_parts: list[IisStats] = []
    httperr_paths: list[str] = []
    iis_paths: list[str] = []
    perfmon: list[tuple[str, ParseResult]] = []
    for item in results:
        path, result = item if isinstance(item, tuple) else ("", item)
        stats = result.stats
        # A file whose aggregate was folded into an earlier one (engine/ingest.py) still names itself.
        folded = stats is None and result.folded_records is not None
        if result.kind == "perfmon":
            perfmon.append((path, result))
        elif isinstance(stats, HttpErrStats) or (folded and result.kind == "httperr"):
            httperr_parts += [stats] if stats is not None else []
            httperr_paths += [path] if path else []
        elif isinstance(stats, IisStats) or (folded and result.kind == "iislog"):
            iis_parts += [stats] if stats is not None else []
            iis_paths += [path] if path else []
        elif stats is not None and callable(getattr(stats, "timeline_series", None)):
            counters += [_refusal_line(out.Series.model_validate(s), facts) for s in stats.timeline_series()]
    httperr = merge_stats(httperr_parts, HttpErrStats) or HttpErrStats()
    iis = merge_stats(iis_parts, IisStats) or IisStats()
    series: list[out.Series] = []
    if iis.per_minute:
        series.append(out.Series(name="iis.requests", label="IIS requests", group="requests", unit="requests per minute",
                                 points=_minute_points(iis.per_minute), sources=iis_paths))
    counters += [_refusal_line(s, facts) for s in _perfmon_series(perfmon)]
    series += counters
    minutes = [t for s in series for t, _ in s.points]
    reason_span = httperr.per_minute.span() if not httperr.per_minute.odd else None
    minutes += list(reason_span or []) + ([m for _, m in httperr.per_minute.odd] if httperr.per_minute.odd else [])
    if not minutes:
        return None
    start, end = min(minutes), max(minutes)
    bursts, found, hourly = _bursts(httperr, set(benign), series, start, end)
    incidents = [_incident(burst, httperr, hourly, set(benign), series, start, end) for burst in bursts]
    width = bucket_width(minute_number(end) - minute_number(start) + 1)
    if width > 1:
        series = [_widen(s, start, width) for s in series]
    series = _reason_series(httperr, httperr_paths, set(benign), start, width) + series
    return out.Timeline(bucket="minute" if width == 1 else f"{width} minutes", bucket_minutes=width,
                        start=start, end=end, series=series, incidents=incidents, incidents_found=found)


def _hour_of(minute: str) -> int:
    number = minute_number(minute)
    return number - number % incident_finder.HOUR


def _bursts(httperr: HttpErrStats, benign: set[str], others: list[out.Series], start: str,
            end: str) -> tuple[list[incident_finder.Burst], int, dict[str, incident_finder.Hourly]]:
    """Bursts of the problem reason phrases, each against its own usual hourly level.

    The hours the logs cover are those with anything in them (any reason, request or
    sample): an hour no source speaks for is not counted as a quiet one.
    """
    counts, first, step = httperr.per_minute, _hour_of(start), incident_finder.HOUR
    by_reason, total = counts.bucket_arrays(first, step, (minute_number(end) - first) // step + 1)
    if not by_reason:
        return [], 0, {}
    hourly = {reason: incident_finder.Hourly(first, found) for reason, found in by_reason.items()}
    spoken = {minute_number(f"{hour}:00") for hour in {minute[:13] for s in others for minute, _ in s.points}}
    covered = len(total) - total.count(0) + sum(
        1 for hour in spoken if not (first <= hour < first + step * len(total) and total[(hour - first) // step]))
    problems = [reason for reason in sorted(hourly) if reason not in benign]

    def minute_counts(reason: str, first: int, last: int) -> dict[int, float]:
        return {m: float(n) for m, n in counts.between(reason, first, last).items()}

    bursts, found = incident_finder.find_bursts(problems, hourly, covered, minute_counts)
    return bursts, found, hourly


def _incident(burst: incident_finder.Burst, httperr: HttpErrStats, hourly: dict[str, incident_finder.Hourly], benign: set[str],
              others: list[out.Series], start: str, end: str) -> out.Incident:
    """One burst with every series that has data in its window, one point a minute.

    The window's series leave `sources` empty: the whole-span series of the same name list them.
    """
    first, last = incident_finder.window(burst, minute_number(start), minute_number(end))
    low, high = text_of_minute(first), text_of_minute(last)
    counts = httperr.per_minute
    order = sorted(counts.reasons(), key=lambda r: (r in benign, -httperr.reasons[r], r))
    series = []
    hours = range(first - first % incident_finder.HOUR, last + 1, incident_finder.HOUR)
    for reason in order:
        if not any(hour in hourly.get(reason, {}) for hour in hours):
            continue
        points = [(text_of_minute(m), float(n)) for m, n in sorted(counts.between(reason, first, last).items())]
        if points:
            series.append(out.Series(name=f"httperr.reason.{reason}", label=reason, group="reason", unit="entries per minute",
                                     points=points, benign=reason in benign))
    for s in others:
        points = [(minute, value) for minute, value in s.points if low <= minute <= high]
        if points:
            series.append(s.model_copy(update={"points": points, "sources": []}))
    entries = sum(sum(counts.between(reason, burst.start, burst.end).values()) for reason in burst.by_name)
    # Where the logs stop (or start) inside the window, the window stops too: empty minutes say nothing.
    seen = [minute for s in series for minute in (s.points[0][0], s.points[-1][0])]
    low, high = min(seen), max(seen)
    return out.Incident(start=text_of_minute(burst.start), end=text_of_minute(burst.end), reasons=burst.names,
                        entries=entries, window_start=low, window_end=high, series=series)


def bucket_width(span: int) -> int:
    """Minutes per point for a run of `span` minutes: the narrowest of BUCKET_MINUTES that keeps the points few.

    Up to two days, a point a minute; up to a month, at most MAX_POINTS points.
    Longer runs get at most MAX_POINTS x (a month / span) points, so two months
    give hourly points and a year one point a day: a chart of months shows days,
    not minutes, and a farm's year at 2,880 points for each of 16 reasons on each
    server would make a report of tens of MB. The HTML chart draws at most 480
    buckets, so it shows the same picture either way.

    >>> [bucket_width(days * 1440) for days in (1, 2, 7, 30, 60, 365)]
    [1, 1, 5, 15, 60, 1440]
    """
    limit = MAX_POINTS * min(1.0, LONG_RUN_MINUTES / span)
    return next((b for b in BUCKET_MINUTES if span / b <= limit), BUCKET_MINUTES[-1])


def _widen(series: out.Series, start: str, width: int) -> out.Series:
    """Fold a series into buckets of `width` minutes from `start`: counts add up, counters keep their peak.

    >>> s = out.Series(name="x", label="x", group="reason", points=[("2024-01-01 00:00", 1), ("2024-01-01 00:04", 2), ("2024-01-01 00:05", 4)])
    >>> _widen(s, "2024-01-01 00:00", 5).points
    [('2024-01-01 00:00', 3.0), ('2024-01-01 00:05', 4.0)]
    """
    origin = minute_number(start)
    buckets: dict[str, float] = {}
    for minute, value in series.points:
        key = text_of_minute(origin + (minute_number(minute) - origin) // width * width)
        if series.group == "counter":
            buckets[key] = max(value, buckets.get(key, value))
        else:
            buckets[key] = buckets.get(key, 0.0) + value
    unit = series.unit.replace("per minute", f"per {width} minutes")
    return series.model_copy(update={"points": sorted(buckets.items()), "unit": unit})
