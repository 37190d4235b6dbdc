"""Report sentences say only what the evidence says: names come from the lines that carry the reason."""
from __future__ import annotations

import shutil
from pathlib import Path

from conftest import diagnose_json

CASES = Path(__file__).resolve().parent / "cases"


def _cause(report: dict, cause_id: str) -> dict:
    return next(c for c in report["causes"] if c["id"] == cause_id)


def test_app_offline_sentence_names_the_pool_on_the_app_offline_lines(tmp_path):
    """The busiest pool overall (MyAppPool, abandoned connections) never logged AppOffline."""
    bundle = tmp_path / "bundle"
    shutil.copytree(CASES / "rapid-fail-crashes", bundle)
    log = bundle / "HTTPERR" / "httperr1.log"
    text = log.read_text(encoding="utf-8").replace("AppOffline OrdersPool", "AppOffline DefaultAppPool")
    abandoned = "".join(
        f"2015-03-10 07:{m:02d}:{s:02d} 10.9.8.7 5{m:02d}{s:02d} 10.1.2.20 80 HTTP/1.1 GET /orders 503 1 "
        "Connection_Abandoned_By_AppPool MyAppPool\n" for m in range(10, 40) for s in range(0, 60, 5))
    lines = text.splitlines(keepends=True)
    header = [line for line in lines if line.startswith("#")]
    log.write_text("".join(header) + abandoned + "".join(line for line in lines if not line.startswith("#")), encoding="utf-8")

    report = diagnose_json(bundle)
    facts = report["servers"][0]["facts"]
    assert facts["httperr.top_queue"] == "MyAppPool"
    assert facts["httperr.reason.AppOffline.top_queue"] == "DefaultAppPool"
    summary = _cause(report, "app-pool-rapid-fail")["summary"]
    assert "DefaultAppPool" in summary and "MyAppPool" not in summary


def test_rapid_fail_sentence_names_the_pools_from_the_events_and_the_lines(tmp_path):
    report = diagnose_json(CASES / "rapid-fail-crashes")
    facts = report["servers"][0]["facts"]
    assert facts["event.was_rapid_fail.pool"] == facts["httperr.reason.AppOffline.top_queue"] == "OrdersPool"
    summary = _cause(report, "app-pool-rapid-fail")["summary"]
    assert "application pool OrdersPool 1 time " in summary and "for pool OrdersPool" in summary
