"""The report's per-minute timeline: what goes in, and how long runs stay small."""
from __future__ import annotations

from datetime import datetime, timedelta

from conftest import EXAMPLES, FIXTURES
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.evidence.base import ParseResult, SourceRef
from httperr_doctor.engine.evidence.httperr import HttpErrStats
from httperr_doctor.engine.render.svg import timeline_svg
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
