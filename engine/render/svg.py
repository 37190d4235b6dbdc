"""The timeline as inline SVG: reason phrases, requests and counters on one time axis.

Panels are stacked with a shared x axis, so the minute refusals start sits straight
above the minute the non-paged pool crossed the line at which http.sys refuses. Logs
that span months or years are drawn in wide buckets, which would hide that minute:
then each incident the timeline found gets a chart of its own, one point a minute,
and the whole-span chart only says where the incidents are (markers never give a
time more exactly than the data behind them knows it). Pure SVG (no script, no
fonts, no fetches); every label is escaped, since reason phrases and series names
can come from evidence. Text widths are estimated on the generous side
(`ticks.text_width`), so axis labels and wrapped legends stay apart and inside.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from ..report import Incident, Series, Timeline
from .common import esc as escape
from .moments import Marker, incident_markers, parse_minute, timeline_markers
from .ticks import text_width, ticks as time_ticks

WIDTH = 960
LEFT, RIGHT = 64, 16
PANEL_HEIGHT = 96
PANEL_GAP = 34
AXIS_HEIGHT = 40  # tick labels and the date (or year) line under them
ROW_HEIGHT = 16  # a row of the panel title and legend
MARKER_ROW = 16
TITLE_SIZE, LEGEND_SIZE, TICK_SIZE, MARKER_SIZE = 12.5, 11.5, 11.0, 11.0  # font sizes the page's style gives them
LEGEND_GAP = 12
MAX_BUCKETS = 480
REASON_COLOURS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#1f77b4")
BENIGN_COLOUR = "#9aa0a6"
REQUEST_COLOUR = "#1f77b4"
COUNTER_COLOURS = ("#2ca02c", "#6f42c1", "#e8590c", "#0b7285")


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


def per_text(minutes: int) -> str:
    """A bucket width in words.

    >>> [per_text(m) for m in (1, 15, 60, 360, 1440, 4320, 10080, 20160)]
    ['minute', '15 minutes', 'hour', '6 hours', 'day', '3 days', 'week', '2 weeks']
    """
    for size, unit in ((10080, "week"), (1440, "day"), (60, "hour")):
        if minutes % size == 0:
            count = minutes // size
            return unit if count == 1 else f"{count} {unit}s"
    return "minute" if minutes == 1 else f"{minutes} minutes"


class _Axis:
    """Maps minutes to x pixels from `start` to `end`, in buckets of whole multiples of the data's own bucket."""

    def __init__(self, start: str, end: str, base: int = 1):
        self.start = parse_minute(start)
        self.end = parse_minute(end)
        span = int((self.end - self.start).total_seconds() // 60) + 1
        self.bucket = base * max(1, math.ceil(span / MAX_BUCKETS / base))
        self.buckets = math.ceil(span / self.bucket)
        self.step = (WIDTH - LEFT - RIGHT) / self.buckets

    def index(self, minute: str) -> int:
        return min(self.buckets - 1, int((parse_minute(minute) - self.start).total_seconds() // 60) // self.bucket)

    def x(self, index: float) -> float:
        return LEFT + index * self.step

    def x_of(self, moment: datetime) -> float:
        return self.x((moment - self.start).total_seconds() / 60 / self.bucket)

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


def _frame(top: float, title_rows: list[str], low: float, high: float) -> str:
    """A panel's grid and value ticks, its title (and legend) in rows above it."""
    bottom = top + PANEL_HEIGHT
    middle = (low + high) / 2
    rows = "".join(f'<g transform="translate(0 {top - 8 - ROW_HEIGHT * (len(title_rows) - 1 - i):.1f})">{row}</g>'
                   for i, row in enumerate(title_rows))
    return (rows +
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


def _title_rows(title: str, legend: list[tuple[str, str, bool]] = ()) -> list[str]:
    """The panel title, then one legend entry after another, wrapped into rows inside the chart's width.

    Each row is drawn at y=0 (the caller moves it); widths are estimates on the generous side.
    """
    rows: list[list[str]] = [[f'<text class="panel-title" x="{LEFT}" y="0">{escape(title)}</text>']]
    x = LEFT + text_width(title, TITLE_SIZE) + LEGEND_GAP
    for name, colour, benign in legend:
        width = text_width("\u25a0 " + name, LEGEND_SIZE)
        if x + width > WIDTH - RIGHT and x > LEFT:
            rows.append([])
            x = LEFT
        rows[-1].append(f'<text class="legend{" benign" if benign else ""}" x="{x:.1f}" y="0">'
                        f'<tspan fill="{colour}">\u25a0</tspan> {escape(name)}</text>')
        x += width + LEGEND_GAP
    return ["".join(row) for row in rows]


def _ticks(axis: _Axis, bottom: float) -> str:
    parts = []
    for tick in time_ticks(axis.start, axis.end + timedelta(minutes=axis.bucket), axis.x_of,
                           (LEFT, WIDTH - RIGHT), (0, WIDTH), TICK_SIZE):
        parts.append(f'<line class="tickline" x1="{tick.x:.1f}" x2="{tick.x:.1f}" y1="{bottom:.1f}" y2="{bottom + 4:.1f}"/>'
                     f'<text class="tick" x="{tick.x:.1f}" y="{bottom + 16:.1f}" text-anchor="middle">{escape(tick.label)}</text>')
        if tick.context:
            parts.append(f'<text class="tick day" x="{tick.context_x:.1f}" y="{bottom + 29:.1f}" '
                         f'text-anchor="middle">{escape(tick.context)}</text>')
    return "".join(parts)


def _marker(axis: _Axis, minute: str, label_y: float, bottom: float, label: str, css: str) -> str:
    """A dashed line down the panels; its label on whichever side of it has room, else pushed inside the chart."""
    x = axis.x(axis.index(minute)) + axis.step / 2
    width = text_width(label, MARKER_SIZE)
    if x + 5 + width <= WIDTH - 2 and (x <= WIDTH * 0.6 or x - 5 - width < 2):
        at, anchor = x + 5, "start"
    elif x - 5 - width >= 2:
        at, anchor = x - 5, "end"
    else:
        at, anchor = 2.0, "start"
    return (f'<g class="marker {css}"><line x1="{x:.1f}" x2="{x:.1f}" y1="{label_y - 10:.1f}" y2="{bottom:.1f}"/>'
            f'<text x="{at:.1f}" y="{label_y:.1f}" text-anchor="{anchor}">{escape(label)}</text></g>')


class _Column:
    """Panels placed top to bottom: where the next one goes and where each one's plot begins."""

    def __init__(self, top: float):
        self.top = top
        self.tops: list[float] = []

    def place(self, rows: list[str]) -> float:
        """Make room for a panel's title rows; returns the top of its plot."""
        self.top += ROW_HEIGHT * (len(rows) - 1)
        self.tops.append(self.top)
        return self.top

    def done(self) -> None:
        self.top += PANEL_HEIGHT + PANEL_GAP


def _reason_panel(axis: _Axis, reasons: list[Series], per: str, column: _Column) -> list[str]:
    """Every HTTPERR reason in one panel, background noise drawn underneath in grey."""
    values = {s.name: axis.values(s, sum) for s in reasons}
    peak = _nice_max(max((v for vs in values.values() for v in vs if v), default=0))
    scale = PANEL_HEIGHT / peak
    legend, colours, drawn = [], iter(REASON_COLOURS * 4), []
    for s in sorted(reasons, key=lambda s: s.benign, reverse=True):  # benign underneath
        colour = BENIGN_COLOUR if s.benign else next(colours)
        legend.append((s.label + (" (background noise)" if s.benign else ""), colour, s.benign))
        drawn.append((s, colour))
    rows = _title_rows(f"HTTPERR entries per {per}:", sorted(legend, key=lambda e: e[2]))
    body = [_frame(column.place(rows), rows, 0, peak)]
    for s, colour in drawn:
        draw = _line if s.benign or len(reasons) > 3 else _bars
        body.append(draw(axis, values[s.name], column.top, scale, colour, f"{s.label}: HTTPERR entries per {per}"))
    column.done()
    return body


def _request_panel(axis: _Axis, s: Series, per: str, column: _Column) -> list[str]:
    values = axis.values(s, sum)
    peak = _nice_max(max((v for v in values if v), default=0))
    rows = _title_rows(f"{s.label} per {per}")
    body = [_frame(column.place(rows), rows, 0, peak),
            _bars(axis, values, column.top, PANEL_HEIGHT / peak, REQUEST_COLOUR, f"{s.label} per {per}")]
    column.done()
    return body


def _threshold(s: Series, top: float, low: float, scale: float) -> str:
    """The counter's refusal line across its panel, labelled."""
    y = top + PANEL_HEIGHT - (s.threshold - low) * scale
    # Near the top of the panel a label above the line would sit on the panel's title.
    label_y = y + 14 if y - top < 24 else y - 5
    return (f'<g class="threshold"><line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{LEFT + 6}" y="{label_y:.1f}">{escape(s.threshold_label or "")}</text></g>')


def _counter_panel(axis: _Axis, s: Series, colour: str, per: str, column: _Column) -> list[str]:
    """One counter, highest value per bucket, its axis zoomed to where it moves (and its line, if any)."""
    values = axis.values(s, max)
    low, high = _range([v for v in values if v is not None] + ([s.threshold] if s.threshold is not None else []) or [0], s.unit)
    scale = PANEL_HEIGHT / (high - low)
    unit = f", {s.unit}" if s.unit else ""
    rows = _title_rows(f"{s.label}{unit} (highest in each {per})")
    body = [_frame(column.place(rows), rows, low, high),
            _line(axis, values, column.top, scale, colour, s.label, low=low)]
    if s.threshold is not None:
        body.append(_threshold(s, column.top, low, scale))
    column.done()
    return body


def _stack(axis: _Axis, series: list[Series], markers: list[Marker],
           band: tuple[str, str] | None = None) -> tuple[list[str], float]:
    """Reason, request and counter panels on one time axis, markers across them; returns (parts, height)."""
    per = per_text(axis.bucket)
    reasons = [s for s in series if s.group == "reason"]
    column = _Column(34.0 + MARKER_ROW * len(markers))
    body: list[str] = _reason_panel(axis, reasons, per, column) if reasons else []
    for s in series:
        if s.group == "requests":
            body += _request_panel(axis, s, per, column)
    for n, s in enumerate(s for s in series if s.group == "counter"):
        body += _counter_panel(axis, s, COUNTER_COLOURS[n % len(COUNTER_COLOURS)], per, column)
    bottom = column.top - PANEL_GAP
    if band is not None and column.tops:
        left = axis.x_of(parse_minute(band[0]))
        right = max(axis.x_of(parse_minute(band[1]) + timedelta(minutes=1)), left + 2)
        body.insert(0, f'<rect class="incident-band" x="{left:.1f}" y="{column.tops[0]:.1f}" width="{right - left:.1f}" '
                       f'height="{bottom - column.tops[0]:.1f}"/>')
    for k, (minute, label, css) in enumerate(markers):
        body.append(_marker(axis, minute, 16 + MARKER_ROW * k, bottom, label, css))
    body.append(_ticks(axis, bottom))
    return body, bottom + AXIS_HEIGHT


def _svg(body: list[str], height: float, title: str, dates: str) -> str:
    return (f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
            f'role="img" aria-label="{escape(title)}"><title>{escape(title)}, {escape(dates)}</title>'
            + "".join(body) + "</svg>")


def _dates(start: str, end: str) -> str:
    return f"{start[:10]} (UTC)" if start[:10] == end[:10] else f"{start[:10]} to {end[:10]} (UTC)"


def timeline_svg(timeline: Timeline, title: str = "Timeline") -> str:
    """The whole span as one <svg> element (empty string when there is nothing to draw)."""
    if not timeline.series or not timeline.start or not timeline.end:
        return ""
    axis = _Axis(timeline.start, timeline.end, timeline.bucket_minutes)
    body, height = _stack(axis, timeline.series, timeline_markers(timeline))
    return _svg(body, height, title, _dates(timeline.start, timeline.end))


def overview_bucket(timeline: Timeline) -> int:
    """Minutes in one bucket of the whole-span chart."""
    if not timeline.start or not timeline.end:
        return timeline.bucket_minutes
    return _Axis(timeline.start, timeline.end, timeline.bucket_minutes).bucket


def zoom_needed(timeline: Timeline) -> bool:
    """Incidents get charts of their own when the whole-span chart draws buckets wider than a minute."""
    return bool(timeline.incidents) and overview_bucket(timeline) > 1


def incident_svg(incident: Incident, title: str = "Incident") -> str:
    """One incident's window at one point a minute: the burst shaded, its reasons' starts marked."""
    if not incident.series:
        return ""
    axis = _Axis(incident.window_start, incident.window_end, 1)
    body, height = _stack(axis, incident.series, incident_markers(incident), (incident.start, incident.end))
    return _svg(body, height, title, _dates(incident.window_start, incident.window_end))
