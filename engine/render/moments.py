"""Which moments a timeline chart marks, and in words as exact as the data behind them.

A chart drawn in wide buckets knows a moment only to its bucket, so a marker's label
says "between ... and ..." there; a counter crossing found in an incident's own
minute-by-minute series is known to the minute and says so.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from ..report import Incident, Series, Timeline

# (minute, label, css class) of a line drawn down every panel.
Marker = tuple[str, str, str]


@lru_cache(maxsize=4096)
def parse_minute(text: str) -> datetime:
    """Cached: every series of a server repeats the same few hundred bucket minutes, and strptime is slow."""
    return datetime.strptime(text[:16], "%Y-%m-%d %H:%M")


def when_text(minute: str, width: int, with_date: bool) -> str:
    """A moment as exactly as the data knows it: one minute, or the bucket it fell in.

    >>> when_text("2007-11-13 20:01", 1, False), when_text("2007-11-13 14:00", 1440, True)
    ('20:01', 'between 2007-11-13 14:00 and 2007-11-14 13:59')
    """
    if width == 1:
        return minute[:16] if with_date else minute[11:16]
    last = parse_minute(minute) + timedelta(minutes=width - 1)
    return f"between {minute[:16]} and {last:%Y-%m-%d %H:%M}"


def first_crossing(series: Series) -> str | None:
    if series.threshold is None:
        return None
    return next((minute for minute, value in series.points if value >= series.threshold), None)


def crossings(counters: list[Series], width: int, with_date: bool,
               exact: dict[str, str] | None = None) -> list[Marker]:
    """Each counter's first minute over its line; `exact` gives minutes known more finely than `width`."""
    found = []
    for s in counters:
        crossed = first_crossing(s)
        if crossed:
            known = (exact or {}).get(s.name)
            said = when_text(known, 1, with_date) if known else when_text(crossed, width, with_date)
            found.append((known or crossed, f"{s.label} crosses the refusal line {said}", "cross"))
    return found


def timeline_markers(timeline: Timeline) -> list[Marker]:
    """Moments worth a line across every panel, as exactly as the data knows them: each
    incident's start (else the first problem reason), and each counter crossing its line."""
    with_date = timeline.start[:10] != timeline.end[:10]
    width = timeline.bucket_minutes
    reasons = [s for s in timeline.series if s.group == "reason"]
    counters = [s for s in timeline.series if s.group == "counter"]
    found = []
    if timeline.incidents:
        for number, incident in enumerate(timeline.incidents, start=1):
            found.append((incident.start, f"Incident {number}: {incident.reasons[0]} from "
                                          f"{when_text(incident.start, 1, with_date)}", "start"))
    else:
        starts = [s for s in reasons if not s.benign and s.points]  # most frequent first
        if starts:
            first = min(starts, key=lambda s: s.points[0][0])
            minute = first.points[0][0]
            found.append((minute, f"{first.label} starts {when_text(minute, width, with_date)}", "start"))
    exact: dict[str, str] = {}
    for incident in timeline.incidents:
        for s in incident.series:
            crossed = first_crossing(s)
            if crossed and s.name not in exact:
                exact[s.name] = crossed
    return found + crossings(counters, width, with_date, exact if width > 1 else None)


def incident_markers(incident: Incident) -> list[Marker]:
    """Where the incident's first two reasons start, and where each counter crosses its line."""
    with_date = incident.window_start[:10] != incident.window_end[:10]
    markers = []
    for name in incident.reasons[:2]:
        line = next((s for s in incident.series if s.group == "reason" and s.label == name), None)
        first = next((minute for minute, _ in line.points if minute >= incident.start), None) if line else None
        if first:
            markers.append((first, f"{name} starts {when_text(first, 1, with_date)}", "start"))
    return markers + crossings([s for s in incident.series if s.group == "counter"], 1, with_date)
