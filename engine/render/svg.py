"""The timeline as inline SVG: reason phrases, requests and counters on one time axis.

Panels are stacked with a shared x axis, so the minute refusals start sits straight
above the minute the non-paged pool crossed the line at which http.sys refuses. Pure
SVG (no script, no fonts, no fetches); every label is escaped, since reason phrases
and series names can come from evidence.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache

from ..report import Series, Timeline
from .common import esc as escape

WIDTH = 960
LEFT, RIGHT = 64, 16
PANEL_HEIGHT = 96
PANEL_GAP = 34
AXIS_HEIGHT = 30
MAX_BUCKETS = 480
REASON_COLOURS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#1f77b4")
BENIGN_COLOUR = "#9aa0a6"
REQUEST_COLOUR = "#1f77b4"
COUNTER_COLOURS = ("#2ca02c", "#6f42c1", "#e8590c", "#0b7285")


@lru_cache(maxsize=4096)
def _minute(text: str) -> datetime:
    """Cached: every series of a server repeats the same few hundred bucket minutes, and strptime is slow."""
    return datetime.strptime(text[:16], "%Y-%m-%d %H:%M")


def _nice_max(value: float) -> float:
    """Round an axis maximum up to 1, 2 or 5 times a power of ten.

    >>> _nice_max(47), _nice_max(0), _nice_max(109.3)
    (50.0, 1.0, 200.0)
    """
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - unreachable


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:,.1f}"


class _Axis:
    """Maps minutes to x pixels over the timeline's span, in buckets of whole minutes."""

    def __init__(self, timeline: Timeline):
        self.start = _minute(timeline.start)
        self.end = _minute(timeline.end)
        span = int((self.end - self.start).total_seconds() // 60) + 1
        base = timeline.bucket_minutes  # the report's own bucket: draw whole multiples of it
        self.bucket = base * max(1, math.ceil(span / MAX_BUCKETS / base))
        self.buckets = math.ceil(span / self.bucket)
        self.step = (WIDTH - LEFT - RIGHT) / self.buckets

    def index(self, minute: str) -> int:
        return min(self.buckets - 1, int((_minute(minute) - self.start).total_seconds() // 60) // self.bucket)

    def x(self, index: float) -> float:
        return LEFT + index * self.step

    def values(self, series: Series, combine) -> list[float | None]:
        slots: list[list[float]] = [[] for _ in range(self.buckets)]
        for minute, value in series.points:
            slots[self.index(minute)].append(value)
        return [combine(slot) if slot else None for slot in slots]


def _bars(axis: _Axis, values: list[float | None], top: float, scale: float, colour: str, label: str, low: float = 0.0) -> str:
    parts = []
    width = max(axis.step * 0.9, 0.8)
    for i, value in enumerate(values):
        if value:
            height = max((value - low) * scale, 0.8)
            parts.append(f'<rect x="{axis.x(i):.1f}" y="{top + PANEL_HEIGHT - height:.1f}" width="{width:.1f}" height="{height:.1f}"/>')
    return f'<g class="bars" fill="{colour}"><title>{escape(label)}</title>{"".join(parts)}</g>'


def _line(axis: _Axis, values: list[float | None], top: float, scale: float, colour: str, label: str,
          dashed: bool = False, low: float = 0.0) -> str:
    runs, run = [], []
    for i, value in enumerate(values):
        if value is None:
            if run:
                runs.append(run)
            run = []
            continue
        run.append(f"{axis.x(i) + axis.step / 2:.1f},{top + PANEL_HEIGHT - (value - low) * scale:.1f}")
    if run:
        runs.append(run)
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    paths = "".join(f'<polyline points="{" ".join(points)}"/>' if len(points) > 1 else
                    f'<circle cx="{points[0].split(",")[0]}" cy="{points[0].split(",")[1]}" r="2" fill="{colour}"/>'
                    for points in runs)
    return f'<g class="line" fill="none" stroke="{colour}" stroke-width="1.6"{dash}><title>{escape(label)}</title>{paths}</g>'


def _frame(top: float, title: str, low: float, high: float) -> str:
    bottom = top + PANEL_HEIGHT
    middle = (low + high) / 2
    return (f'<text class="panel-title" x="{LEFT}" y="{top - 8:.1f}">{title}</text>'
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{top:.1f}" y2="{top:.1f}"/>'
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{top + PANEL_HEIGHT / 2:.1f}" y2="{top + PANEL_HEIGHT / 2:.1f}"/>'
            f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom:.1f}" y2="{bottom:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{top + 4:.1f}" text-anchor="end">{escape(_fmt(high))}</text>'
            f'<text class="tick" x="{LEFT - 6}" y="{top + PANEL_HEIGHT / 2 + 4:.1f}" text-anchor="end">{escape(_fmt(middle))}</text>'
            f'<text class="tick" x="{LEFT - 6}" y="{bottom:.1f}" text-anchor="end">{escape(_fmt(low))}</text>')


def _range(values: list[float], unit: str = "") -> tuple[float, float]:
    """Axis range for a counter: from zero when the values sit near it (and for
    percentages), else zoomed in on where the values move.

    >>> _range([80.7, 115]), _range([0, 4]), _range([22, 28], "%"), _range([22, 28])
    ((80.0, 160.0), (0.0, 5.0), (0.0, 50.0), (22.0, 30.0))
    """
    low, high = min(values), max(values)
    if low <= 0 or low < 0.5 * high or unit == "%":
        return 0.0, _nice_max(high)
    quarter = _nice_max((high - low) * 1.2 / 4)
    start = math.floor(low / quarter) * quarter
    while start + 4 * quarter < high:
        quarter = _nice_max(quarter * 1.5)
        start = math.floor(low / quarter) * quarter
    return float(start), float(start + 4 * quarter)


def _legend(entries: list[tuple[str, str, bool]]) -> str:
    return " ".join(f'<tspan fill="{colour}">\u25a0</tspan> <tspan class="{"benign" if benign else ""}">{escape(name)}</tspan>'
                    for name, colour, benign in entries)


def _ticks(axis: _Axis, bottom: float) -> str:
    span_minutes = axis.buckets * axis.bucket
    candidates = (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
    every = next((c for c in candidates if span_minutes / c <= 10), 10080)
    first = axis.start.replace(minute=0) if every >= 60 else axis.start.replace(minute=axis.start.minute - axis.start.minute % every)
    if every >= 1440:
        first = first.replace(hour=0)
    show_date = axis.start.date() != axis.end.date()
    parts, moment = [], first
    while moment <= axis.end + timedelta(minutes=axis.bucket):
        if moment >= axis.start:
            offset = (moment - axis.start).total_seconds() / 60 / axis.bucket
            x = axis.x(offset)
            label = moment.strftime("%m-%d %H:%M" if show_date else "%H:%M")
            parts.append(f'<line class="tickline" x1="{x:.1f}" x2="{x:.1f}" y1="{bottom:.1f}" y2="{bottom + 4:.1f}"/>'
                         f'<text class="tick" x="{x:.1f}" y="{bottom + 16:.1f}" text-anchor="middle">{label}</text>')
        moment += timedelta(minutes=every)
    return "".join(parts)


def _marker(axis: _Axis, minute: str, label_y: float, bottom: float, label: str, css: str) -> str:
    x = axis.x(axis.index(minute)) + axis.step / 2
    anchor = "end" if x > WIDTH * 0.6 else "start"
    dx = -5 if anchor == "end" else 5
    return (f'<g class="marker {css}"><line x1="{x:.1f}" x2="{x:.1f}" y1="{label_y - 10:.1f}" y2="{bottom:.1f}"/>'
            f'<text x="{x + dx:.1f}" y="{label_y:.1f}" text-anchor="{anchor}">{escape(label)}</text></g>')


def _markers(reasons: list[Series], counters: list[Series]) -> list[tuple[str, str, str]]:
    """Moments worth a line across every panel: the first problem reason, and each counter crossing its line."""
    found = []
    starts = [s for s in reasons if not s.benign and s.points]  # most frequent first
    if starts:
        first = min(starts, key=lambda s: s.points[0][0])
        minute = first.points[0][0]
        found.append((minute, f"{first.label} starts {minute[11:16]}", "start"))
    for s in counters:
        if s.threshold is not None:
            crossed = next((minute for minute, value in s.points if value >= s.threshold), None)
            if crossed:
                found.append((crossed, f"{s.label} crosses the refusal line {crossed[11:16]}", "cross"))
    return found


def timeline_svg(timeline: Timeline, title: str = "Timeline") -> str:
    """The whole timeline as one <svg> element (empty string when there is nothing to draw)."""
    if not timeline.series or not timeline.start or not timeline.end:
        return ""
    axis = _Axis(timeline)
    per = "minute" if axis.bucket == 1 else f"{axis.bucket} minutes"
    reasons = [s for s in timeline.series if s.group == "reason"]
    requests = [s for s in timeline.series if s.group == "requests"]
    counters = [s for s in timeline.series if s.group == "counter"]
    markers = _markers(reasons, counters)
    body: list[str] = []
    top = 34.0 + 16 * len(markers)

    if reasons:
        values = {s.name: axis.values(s, sum) for s in reasons}
        peak = _nice_max(max((v for vs in values.values() for v in vs if v), default=0))
        scale = PANEL_HEIGHT / peak
        legend, colours = [], iter(REASON_COLOURS * 4)
        for s in sorted(reasons, key=lambda s: s.benign, reverse=True):  # benign underneath
            colour = BENIGN_COLOUR if s.benign else next(colours)
            legend.append((s.label + (" (background noise)" if s.benign else ""), colour, s.benign))
            draw = _line if s.benign or len(reasons) > 3 else _bars
            body.append(draw(axis, values[s.name], top, scale, colour, f"{s.label}: HTTPERR entries per {per}"))
        body.insert(0, _frame(top, f"HTTPERR entries per {per}: " + _legend(sorted(legend, key=lambda e: e[2])), 0, peak))
        top += PANEL_HEIGHT + PANEL_GAP
    for s in requests:
        values = axis.values(s, sum)
        peak = _nice_max(max((v for v in values if v), default=0))
        body.append(_frame(top, f"{escape(s.label)} per {per}", 0, peak))
        body.append(_bars(axis, values, top, PANEL_HEIGHT / peak, REQUEST_COLOUR, f"{s.label} per {per}"))
        top += PANEL_HEIGHT + PANEL_GAP
    for n, s in enumerate(counters):
        colour = COUNTER_COLOURS[n % len(COUNTER_COLOURS)]
        values = axis.values(s, max)
        low, high = _range([v for v in values if v is not None] + ([s.threshold] if s.threshold is not None else []) or [0], s.unit)
        scale = PANEL_HEIGHT / (high - low)
        unit = f", {s.unit}" if s.unit else ""
        body.append(_frame(top, f"{escape(s.label)}{escape(unit)} (highest in each {per})", low, high))
        body.append(_line(axis, values, top, scale, colour, s.label, low=low))
        if s.threshold is not None:
            y = top + PANEL_HEIGHT - (s.threshold - low) * scale
            # Near the top of the panel a label above the line would sit on the panel's title.
            label_y = y + 14 if y - top < 24 else y - 5
            body.append(f'<g class="threshold"><line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                        f'<text x="{LEFT + 6}" y="{label_y:.1f}">{escape(s.threshold_label or "")}</text></g>')
        top += PANEL_HEIGHT + PANEL_GAP

    bottom = top - PANEL_GAP
    for k, (minute, label, css) in enumerate(markers):
        body.append(_marker(axis, minute, 16 + 16 * k, bottom, label, css))
    body.append(_ticks(axis, bottom))
    height = bottom + AXIS_HEIGHT
    dates = timeline.start[:10] if timeline.start[:10] == timeline.end[:10] else f"{timeline.start[:10]} to {timeline.end[:10]}"
    return (f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
            f'role="img" aria-label="{escape(title)}"><title>{escape(title)}, {escape(dates)} (UTC)</title>'
            + "".join(body) + "</svg>")
