"""The busiest 10 minutes of a symptom, alone and with others: the figure behind every
"at most N in 10 minutes" and behind the strength the ranking weighs rules by."""
from __future__ import annotations

from httperr_doctor.engine.evidence.httperr import parse
from httperr_doctor.engine.evidence.reader import EvidenceFile
from httperr_doctor.engine.facts.series import SeriesStrength

HEADER = ("#Software: Microsoft HTTP API 2.0\n#Version: 1.0\n#Date: 2024-01-01 00:00:00\n"
          "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid "
          "s-reason s-queuename\n")


def line(stamp: str, reason: str) -> str:
    return f"{stamp} 10.0.0.9 50123 10.0.0.1 80 HTTP/1.1 GET /shop 503 1 {reason} ShopPool\n"


def stats_of(tmp_path, lines: list[str]):
    path = tmp_path / "httperr1.log"
    path.write_text(HEADER + "".join(lines), encoding="ascii")
    return parse(EvidenceFile.from_path(path).lines()).stats


def test_busiest_window_adds_reasons_that_start_at_different_times(tmp_path):
    lines = ([line(f"2024-01-01 10:0{s}:00", "QueueFull") for s in range(5)]
             + [line("2024-01-01 10:05:30", "Connection_Abandoned_By_ReqQueue")] * 3
             + [line(f"2024-03-09 12:0{s}:00", "Connection_Abandoned_By_ReqQueue") for s in range(4)]
             + [line("2024-06-30 23:59:00", "QueueFull"), line("2023-12-31 23:00:00", "Connection_Abandoned_By_ReqQueue")])
    series = SeriesStrength(stats_of(tmp_path, lines), None)
    assert series.busiest(["QueueFull"]) == 5
    assert series.busiest(["Connection_Abandoned_By_ReqQueue"]) == 4
    assert series.busiest(["QueueFull", "Connection_Abandoned_By_ReqQueue"]) == 8
    assert series.busiest(["Timer_ConnectionIdle"]) == 0
    value, words = series.measure(["QueueFull", "Connection_Abandoned_By_ReqQueue"])
    assert "14 entries" in words and "at most 8 in 10 minutes" in words and 0 < value <= 1
