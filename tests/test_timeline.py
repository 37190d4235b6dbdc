"""The report's per-minute timeline: what goes in, and how long runs stay small."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from conftest import EXAMPLES, FIXTURES
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.evidence.base import ParseResult, SourceRef
from httperr_doctor.engine.evidence.httperr import HttpErrStats
from httperr_doctor.engine.render.svg import LEGEND_SIZE, TICK_SIZE, timeline_svg
from httperr_doctor.engine.render.ticks import GAP, text_width, ticks
from httperr_doctor.engine.timeline import MAX_POINTS, build_timeline


def series(report, name):
    return next(s for s in report.servers[0].timeline.series if s.name == name)


def test_reason_series_add_up_to_the_counted_entries():
    report = diagnose([str(EXAMPLES / "connections-refused")])
    refused = series(report, "httperr.reason.Connections_Refused")
    assert sum(v for _, v in refused.points) == report.servers[0].facts["httperr.reason.Connections_Refused.count"]
    assert refused.points[0][0] == "2007-11-13 20:01" and not refused.benign
    assert series(report, "httperr.reason.Timer_ConnectionIdle").benign
    requests = series(report, "iis.requests")
    assert sum(v for _, v in requests.points) == report.servers[0].facts["iis.requests"]


def test_perfmon_pool_series_carries_the_refusal_line():
    report = diagnose([str(FIXTURES / "hostile")])
    pool = series(report, "perf.npp_used_mb")
    assert pool.threshold == 108 and pool.unit == "MB"
    crossed = next(t for t, v in pool.points if v >= pool.threshold)
    assert crossed == series(report, "httperr.reason.Connections_Refused").points[0][0] == "2024-03-05 09:20"


def test_a_month_of_logs_is_folded_into_wider_buckets_that_keep_the_totals():
    stats = HttpErrStats()
    start = datetime(2024, 1, 1)
    for minute in range(0, 30 * 24 * 60, 7):
        stamp = (start + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:%S")
        stats.add("Connection_Dropped", 1 + minute % 3, stamp, "/a", "-", "-", SourceRef("h.log", 1))
    timeline = build_timeline([ParseResult(kind="httperr", stats=stats)])
    dropped = timeline.series[0]
    assert timeline.bucket_minutes == 15 and timeline.bucket == "15 minutes"
    assert len(dropped.points) <= MAX_POINTS
    assert sum(v for _, v in dropped.points) == stats.reasons["Connection_Dropped"]
    assert dropped.unit == "entries per 15 minutes"
    svg = timeline_svg(timeline)
    assert svg.count("<rect ") > 100 and "per 2 hours" not in svg


def test_a_year_of_logs_gets_a_point_a_day_with_the_same_totals():
    stats = HttpErrStats()
    start = datetime(2024, 1, 1)
    for hour in range(0, 366 * 24, 5):
        stamp = (start + timedelta(hours=hour, minutes=hour % 60)).strftime("%Y-%m-%d %H:%M:%S")
        stats.add("Connection_Dropped", 1 + hour % 4, stamp, "/a", "-", "-", SourceRef("h.log", 1))
        stats.add("Timer_ConnectionIdle", 1, stamp, "-", "-", "-", SourceRef("h.log", 2))
    stats.per_minute.compact()
    assert stats.per_minute.sparse and not stats.per_minute.days  # as a parsed file leaves them
    timeline = build_timeline([ParseResult(kind="httperr", stats=stats)])
    assert timeline.bucket_minutes == 1440 and timeline.bucket == "1440 minutes"
    for line in timeline.series:
        assert len(line.points) == 366 and line.points[0][0] == "2024-01-01 00:00"
        assert sum(v for _, v in line.points) == stats.reasons[line.label]


# ---- incident windows ---------------------------------------------------------------

# The refused example with one small HTTPERR log of the same server from 2011 (tests/fixtures/long-span):
# three years and a half in which the incident lasts half an hour.
LONG_SPAN = [str(EXAMPLES / "connections-refused"), str(FIXTURES / "long-span")]


def stats_with(entries: dict[str, list[tuple[datetime, int]]]) -> HttpErrStats:
    stats = HttpErrStats()
    for reason, moments in entries.items():
        for moment, count in moments:
            stats.add(reason, count, moment.strftime("%Y-%m-%d %H:%M:%S"), "-", "-", "-", SourceRef("h.log", 1))
    return stats


def every(start: datetime, minutes: int, step: int, count: int = 1) -> list[tuple[datetime, int]]:
    return [(start + timedelta(minutes=m), count) for m in range(0, minutes, step)]


def test_the_long_span_keeps_the_incident_to_the_minute():
    report = diagnose(LONG_SPAN)
    timeline = report.servers[0].timeline
    assert timeline.start[:4] == "2007" and timeline.end[:4] == "2011" and timeline.bucket_minutes == 1440
    assert timeline.incidents_found == 1
    incident = timeline.incidents[0]
    assert (incident.start, incident.end) == ("2007-11-13 20:01", "2007-11-13 20:31")
    assert incident.reasons == ["Connections_Refused"]
    assert incident.entries == report.servers[0].facts["httperr.reason.Connections_Refused.count"] == 1268
    assert incident.window_start <= "2007-11-13 19:01" and incident.window_end >= "2007-11-13 20:31"
    refused = next(s for s in incident.series if s.name == "httperr.reason.Connections_Refused")
    assert refused.unit == "entries per minute" and refused.points[0] == ("2007-11-13 20:01", 17.0)
    assert sum(v for _, v in refused.points) == 1268
    pool = next(s for s in incident.series if s.name == "perf.npp_used_mb")
    assert pool.threshold == 108 and len(pool.points) > 60  # the hour that led up to it, one point a minute


def test_a_reason_that_is_always_there_is_no_incident_until_it_jumps():
    quiet_start = datetime(2024, 5, 1)
    steady = every(quiet_start, 3 * 1440, 20)  # three an hour for three days
    jump = every(quiet_start + timedelta(days=2, hours=7, minutes=13), 25, 1, count=6)
    timeline = build_timeline([ParseResult(kind="httperr", stats=stats_with({"Connection_Dropped": steady}))])
    assert timeline.incidents == [] and timeline.incidents_found == 0
    timeline = build_timeline([ParseResult(kind="httperr", stats=stats_with({"Connection_Dropped": steady + jump}))])
    assert [(i.start, i.end) for i in timeline.incidents] == [("2024-05-03 07:13", "2024-05-03 07:37")]


def test_one_stray_entry_is_not_an_incident_and_background_noise_never_is():
    start = datetime(2024, 5, 1)
    stats = stats_with({"Connections_Refused": [(start + timedelta(hours=30), 1)],
                        "Timer_ConnectionIdle": every(start, 2 * 1440, 5) + every(start + timedelta(hours=20), 30, 1, 40)})
    timeline = build_timeline([ParseResult(kind="httperr", stats=stats)], benign=["Timer_ConnectionIdle"])
    assert timeline.incidents == []


def test_only_the_largest_bursts_get_windows_in_time_order_and_the_rest_are_counted():
    start = datetime(2023, 1, 1)
    bursts = {day: 5 + 10 * day for day in (10, 40, 70, 100, 130)}  # entries a minute; later ones larger
    entries = [m for day, rate in bursts.items() for m in every(start + timedelta(days=day, hours=3), 20, 1, rate)]
    entries += every(start, 200 * 1440, 600)  # a thin trickle all along: the logs cover the whole span
    timeline = build_timeline([ParseResult(kind="httperr", stats=stats_with({"QueueFull": entries}))])
    assert timeline.incidents_found == 5 and len(timeline.incidents) == 3
    assert [i.start for i in timeline.incidents] == ["2023-03-12 03:00", "2023-04-11 03:00", "2023-05-11 03:00"]
    for incident in timeline.incidents:
        assert incident.end[11:] == "03:19"
        assert all(len(s.points) <= 480 and s.unit == "entries per minute" for s in incident.series)


def test_reasons_that_burst_together_are_one_incident():
    start = datetime(2024, 2, 1, 9)
    stats = stats_with({"Connection_Dropped": every(start, 15, 1, 8),
                        "Timer_ReqQueue": every(start + timedelta(minutes=20), 10, 1, 30),
                        "Timer_ConnectionIdle": every(start - timedelta(days=3), 4 * 1440, 10)})
    timeline = build_timeline([ParseResult(kind="httperr", stats=stats)], benign=["Timer_ConnectionIdle"])
    assert [(i.start, i.end, i.reasons) for i in timeline.incidents] == [
        ("2024-02-01 09:00", "2024-02-01 09:29", ["Timer_ReqQueue", "Connection_Dropped"])]


def test_a_burst_longer_than_a_window_shows_its_start():
    start = datetime(2024, 2, 1, 9)
    stats = stats_with({"Connection_Dropped": every(start, 20 * 60, 1, 9),
                        "Timer_ConnectionIdle": every(start - timedelta(days=40), 45 * 1440, 30)})
    timeline = build_timeline([ParseResult(kind="httperr", stats=stats)], benign=["Timer_ConnectionIdle"])
    incident = timeline.incidents[0]
    assert (incident.start, incident.end) == ("2024-02-01 09:00", "2024-02-02 04:59")
    assert incident.window_start < incident.start < incident.window_end < incident.end
    span = datetime.fromisoformat(incident.window_end) - datetime.fromisoformat(incident.window_start)
    assert span < timedelta(hours=8)


# ---- axis labels ------------------------------------------------------------------

SPANS = {"1 hour": timedelta(hours=1), "7 hours": timedelta(hours=7), "1 day": timedelta(days=1),
         "2 days": timedelta(days=2), "9 days": timedelta(days=9), "1 month": timedelta(days=31),
         "4 months": timedelta(days=120), "1 year": timedelta(days=365), "3.5 years": timedelta(days=1205),
         "10 years": timedelta(days=3653)}


def extents(text: str, x: float) -> tuple[float, float]:
    half = text_width(text, TICK_SIZE) / 2
    return x - half, x + half


@pytest.mark.parametrize("start", [datetime(2007, 11, 13, 14, 7), datetime(2010, 12, 31, 22, 59)])
@pytest.mark.parametrize("span", SPANS.values(), ids=SPANS.keys())
@pytest.mark.parametrize("pixels", [880, 420])
def test_tick_labels_never_overlap_and_say_the_year_when_the_span_crosses_one(start, span, pixels):
    end = start + span
    left, right = 64.0, 64.0 + pixels

    def x_of(moment):
        return left + (moment - start).total_seconds() / span.total_seconds() * pixels

    found = ticks(start, end, x_of, (left, right), (0, right + 16), TICK_SIZE)
    assert 3 <= len(found) <= 24, [t.label for t in found]
    for line in ("label", "context"):
        boxes = [extents(getattr(t, line), t.x if line == "label" else t.context_x) for t in found if getattr(t, line)]
        assert boxes or line == "context"  # month and year steps need no second line
        assert all(0 <= low and high <= right + 16 for low, high in boxes)
        for (_, high), (low, _) in zip(boxes, boxes[1:]):
            assert low - high >= GAP, (line, [getattr(t, line) for t in found])
    assert all(left - 0.5 <= t.x <= right + 0.5 for t in found)
    assert [t.at for t in found] == sorted(t.at for t in found) and start <= found[0].at and found[-1].at <= end
    for before, tick in zip(found, found[1:]):  # a new year (and under day steps, a new day) is named where it starts
        if tick.at.year != before.at.year:
            assert str(tick.at.year) in f"{tick.label} {tick.context}"
        if ":" in tick.label and tick.at.date() != before.at.date():
            assert tick.context == tick.at.strftime("%Y-%m-%d")
    assert str(found[-1].at.year) in " ".join(f"{t.label} {t.context}" for t in found)


def test_the_long_span_overview_has_a_few_readable_axis_labels():
    timeline = diagnose(LONG_SPAN).servers[0].timeline
    svg = timeline_svg(timeline)
    labels = re.findall(r'<text class="tick(?: day)?" x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]+)</text>', svg)
    assert 4 <= len(labels) <= 16 and "2008" in " ".join(labels) and "2011" in " ".join(labels)
    assert "per 1440 minutes" not in svg and "per 4320 minutes" not in svg and "per 3 days" in svg
    assert "Incident 1: Connections_Refused from 2007-11-13 20:01" in svg
    assert "starts 14:00" not in svg


def test_a_long_legend_wraps_inside_the_chart():
    stats = HttpErrStats()
    names = ["Connection_Abandoned_By_ReqQueue", "Connection_Abandoned_By_AppPool", "Timer_MinBytesPerSecond",
             "Timer_EntityBody", "Timer_HeaderWait", "Request_Cancelled", "Connections_Refused", "QueueFull",
             "Connection_Dropped_List_Full", "Timer_ConnectionIdle"]
    for n, name in enumerate(names):
        stats.add(name, n + 1, f"2024-01-01 10:{n:02d}:00", "-", "-", "-", SourceRef("h.log", n))
    svg = timeline_svg(build_timeline([ParseResult(kind="httperr", stats=stats)], benign=["Timer_ConnectionIdle"]))
    entries = re.findall(r'<g transform="translate\(0 ([\d.]+)\)">(.*?)</g>', svg)
    legend = [(float(y), float(x), text) for y, row in entries
              for x, text in re.findall(r'<text class="legend[^"]*" x="([\d.]+)" y="0">.*?</tspan> ([^<]+)</text>', row)]
    assert sorted(text.replace(" (background noise)", "") for _, _, text in legend) == sorted(names)
    assert len({y for y, _, _ in legend}) >= 2  # wrapped
    for y, x, text in legend:
        assert x + text_width("\u25a0 " + text, LEGEND_SIZE) <= 944
    first_panel = float(re.search(r'<line class="grid" x1="64" x2="944" y1="([\d.]+)"', svg).group(1))
    assert max(y for y, _, _ in legend) < first_panel


def test_the_page_draws_each_kept_incident_and_says_how_many_were_left_out():
    from httperr_doctor.engine.render.html import _timeline

    start = datetime(2023, 1, 1)
    entries = [m for day in (10, 40, 70, 100, 130) for m in every(start + timedelta(days=day, hours=3), 20, 1, 5 + day // 10)]
    entries += every(start, 200 * 1440, 600)
    page = _timeline(build_timeline([ParseResult(kind="httperr", stats=stats_with({"QueueFull": entries}))]), "WEB09")
    assert "The 3 largest of 5 bursts are shown." in page
    starts = re.findall(r'<h4 class="incident"[^>]*>Incident (\d) of 3: <time class="start">([^<]+)</time>', page)
    assert starts == [("1", "2023-03-12 03:00"), ("2", "2023-04-11 03:00"), ("3", "2023-05-11 03:00")]
    assert page.count('<svg class="timeline"') == 4 and page.count('class="incident-band"') == 3


@pytest.mark.parametrize("crossing_day", [2, 150, 362])
def test_a_marker_never_claims_a_minute_it_does_not_know_and_its_label_stays_in_the_chart(crossing_day):
    from httperr_doctor.engine.report import Series, Timeline
    from httperr_doctor.engine.render.svg import MARKER_SIZE

    days = [(datetime(2024, 1, 1, 14, 2) + timedelta(days=d)).strftime("%Y-%m-%d %H:%M") for d in range(365)]
    pool = Series(name="perf.npp_used_mb", label="Non-paged pool in use", group="counter", unit="MB", threshold=108,
                  threshold_label="http.sys refuses above 108 MB in use",
                  points=[(day, 120.0 if d >= crossing_day else 90.0) for d, day in enumerate(days)])
    svg = timeline_svg(Timeline(bucket="1440 minutes", bucket_minutes=1440, start=days[0], end=days[-1], series=[pool]))
    x, anchor, label = re.search(r'<g class="marker cross">.*?<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)">([^<]+)</text>', svg).groups()
    crossed = datetime(2024, 1, 1, 14, 2) + timedelta(days=crossing_day)
    assert label.endswith(f"between {crossed:%Y-%m-%d %H:%M} and {crossed + timedelta(minutes=1439):%Y-%m-%d %H:%M}")
    width = text_width(label, MARKER_SIZE)
    low = float(x) - (width if anchor == "end" else 0)
    assert 0 <= low and low + width <= 960
