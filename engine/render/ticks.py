"""Time-axis ticks whose labels never overlap, for any span from an hour to ten years.

The step comes from a fixed ladder of round intervals (minutes, hours, days, months,
years): the smallest whose spacing in pixels leaves room for its label. A label names
the time in the step's unit; a second line gives the date (steps under a day) or the
year (steps of days) where it changes, so a chart across midnight or New Year says
which day or year each part belongs to. There are no font metrics without a browser,
so widths are estimated with a generous width per character.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

CHAR_EM = 0.62  # wider than the average digit or capital of a sans-serif face
GAP = 10.0  # pixels kept clear between two labels
DAY = 1440


@dataclass(frozen=True)
class Step:
    unit: str  # "minute", "month" or "year"
    count: int

    @property
    def shortest(self) -> int:
        """The fewest minutes one step can last (months and years vary)."""
        return self.count * {"minute": 1, "month": 28 * DAY, "year": 365 * DAY}[self.unit]

    @property
    def formats(self) -> tuple[str, str]:
        """strftime for the label and for the line under it that names the day or year."""
        if self.unit == "minute":
            return ("%H:%M", "%Y-%m-%d") if self.count < DAY else ("%m-%d", "%Y")
        return ("%Y-%m", "") if self.unit == "month" else ("%Y", "")


LADDER = ([Step("minute", n) for n in (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, DAY, 2 * DAY, 7 * DAY, 14 * DAY)]
          + [Step("month", n) for n in (1, 2, 3, 6)] + [Step("year", n) for n in (1, 2, 5, 10, 20, 50, 100, 200, 500)])


@dataclass(frozen=True)
class Tick:
    at: datetime
    x: float
    label: str
    context: str = ""  # the date or year line under the label, "" where it does not change
    context_x: float = 0.0


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_EM


def _sample(fmt: str) -> str:
    return datetime(2000, 12, 28, 23, 59).strftime(fmt) if fmt else ""


def choose_step(span_minutes: float, pixels: float, size: float) -> Step:
    """The finest step of the ladder whose labels (and date lines) fit between two ticks.

    >>> [choose_step(m, 880, 11).count for m in (60, 1440, 7 * 1440)]
    [5, 120, 720]
    >>> choose_step(10 * 365 * 1440, 880, 11)
    Step(unit='year', count=1)
    """
    per_minute = pixels / max(span_minutes, 1)
    for step in LADDER:
        label, context = (text_width(_sample(f), size) for f in step.formats)
        if step.shortest * per_minute < label + GAP:
            continue
        if step.unit == "minute" and step.count < DAY and DAY * per_minute < context + GAP and span_minutes > DAY:
            continue  # a date under every day would not fit: label the days themselves
        return step
    return LADDER[-1]


def _first(start: datetime, step: Step) -> datetime:
    """The first round moment of the step at or after `start`."""
    if step.unit == "year":
        year = start.year + ((start.month, start.day, start.hour, start.minute) != (1, 1, 0, 0))
        return datetime(year + (-year) % step.count, 1, 1)
    if step.unit == "month":
        months = start.year * 12 + start.month - 1 + ((start.day, start.hour, start.minute) != (1, 0, 0))
        months += (-months) % step.count
        return datetime(months // 12, months % 12 + 1, 1)
    if step.count >= DAY:
        day = start.date() + timedelta(days=1 if (start.hour, start.minute) != (0, 0) else 0)
        days = step.count // DAY
        return datetime.combine(day + timedelta(days=(-(day.toordinal() - 1)) % days), datetime.min.time())
    midnight = datetime.combine(start.date(), datetime.min.time())
    into = (start - midnight).seconds // 60
    return midnight + timedelta(minutes=into + (-into) % step.count)


def _next(moment: datetime, step: Step) -> datetime:
    if step.unit == "year":
        return moment.replace(year=moment.year + step.count)
    if step.unit == "month":
        months = moment.year * 12 + moment.month - 1 + step.count
        return moment.replace(year=months // 12, month=months % 12 + 1)
    return moment + timedelta(minutes=step.count)


def ticks(start: datetime, end: datetime, x_of: Callable[[datetime], float], plot: tuple[float, float],
          page: tuple[float, float], size: float = 11.0) -> list[Tick]:
    """Ticks from `start` to `end`, drawn at `x_of(moment)` over the plot's x range.

    No label leaves the page's x range and none overlaps another on its line.
    """
    span = (end - start).total_seconds() / 60
    step = choose_step(span, plot[1] - plot[0], size)
    label_format, context_format = step.formats
    found: list[Tick] = []
    moment = _first(start, step)
    while moment <= end and moment.year < 10_000:
        x = x_of(moment)
        half = text_width(moment.strftime(label_format), size) / 2
        if plot[0] - 0.5 <= x <= plot[1] + 0.5 and page[0] <= x - half and x + half <= page[1]:
            found.append(Tick(moment, x, moment.strftime(label_format)))
        try:
            moment = _next(moment, step)
        except ValueError:  # past year 9999
            break
    return _with_context(found, context_format, page, size)


def _with_context(found: list[Tick], context_format: str, page: tuple[float, float], size: float) -> list[Tick]:
    """Add the date or year line where it changes (and at the first tick), never two overlapping."""
    if not context_format:
        return found
    placed: list[int] = []  # indexes of ticks that carry a context line
    edges: dict[int, tuple[float, float]] = {}
    shown: list[Tick] = list(found)
    previous = None
    for i, tick in enumerate(found):
        text = tick.at.strftime(context_format)
        if text == previous:
            continue
        previous = text
        width = text_width(text, size)
        x = min(max(tick.x, page[0] + width / 2), page[1] - width / 2)
        if placed and x - width / 2 < edges[placed[-1]][1] + GAP:
            if placed[-1] == 0 and found[0].at.strftime(context_format) != text:
                del edges[placed.pop()]  # the first tick's line only said where the axis starts
                shown[0] = found[0]
            else:
                continue
        placed.append(i)
        edges[i] = (x - width / 2, x + width / 2)
        shown[i] = Tick(tick.at, tick.x, tick.label, text, x)
    return shown
