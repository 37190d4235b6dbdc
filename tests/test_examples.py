"""End to end: the two source cases, through the real CLI, in text and JSON."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLES, assert_valid_report, diagnose_json, run_cli


def ids(report: dict) -> list[str]:
    return [cause["id"] for cause in report["causes"]]


def test_connections_refused_blames_the_pool_and_the_3gb_switch():
    report = diagnose_json(EXAMPLES / "connections-refused")
    assert report["schema_version"] == "1.4"
    assert report["no_problem_found"] is False
    assert report["host"] == "WEB01"
    assert ids(report)[0] in ("pool-leak-driver", "nonpaged-pool-exhausted")
    assert "boot-3gb-switch" in ids(report)[:3]
    top = report["causes"][0]
    assert top["id"] == "nonpaged-pool-exhausted"
    assert "128 MB pool - 109 MB in use = 19 MB free, below the 20 MB" in top["reasoning"][0]["text"]
    facts = report["servers"][0]["facts"]
    assert facts["memory.npp_free_mb"] == 19
    assert facts["poolmon.top_npp_tag"] == "AvSc"
    assert facts["httperr.reason.Connections_Refused.lines"] == 364
    leak = next(c for c in report["causes"] if c["id"] == "pool-leak-driver")
    assert any("AvSc" in step["text"] for step in leak["reasoning"])
    assert [s["number"] for s in top["remediation"]] == list(range(1, len(top["remediation"]) + 1))
    assert top["verify"] and top["references"]


def test_connection_dropped_is_a_logging_timeout_under_load():
    report = diagnose_json(EXAMPLES / "connection-dropped")
    assert ids(report)[0] == "logging-timeout-under-load"
    assert "app-not-sending-response" in ids(report)
    top, runner_up = report["causes"][0], next(c for c in report["causes"] if c["id"] == "app-not-sending-response")
    assert top["confidence"] > runner_up["confidence"] + 0.3
    assert any(step["rule"] == "DROPPED_AT_LOAD_PEAK" for step in top["reasoning"])
    assert [r["id"] for r in report["ruled_out"]] == ["boot-3gb-switch"]
    assert report["needs"][0]["question"] in ("heavy_load", "app_errors")


def test_every_input_file_is_accounted_for():
    report = diagnose_json(EXAMPLES / "connections-refused")
    kinds = {item["path"].split("connections-refused/")[1]: item["kind"] for item in report["inputs"]}
    assert kinds == {
        "README.md": "unknown", "boot.ini": "bootini", "poolmon-b.txt": "poolmon",
        "systeminfo.txt": "systeminfo", "HTTPERR/httperr3.log": "httperr", "W3SVC1/ex071113.log": "iislog",
        "npp-typeperf.csv": "perfmon",
    }
    readme = next(i for i in report["inputs"] if i["kind"] == "unknown")
    assert readme["problems"][0]["message"].startswith("not a known evidence format")


def test_a_file_that_is_not_evidence_is_skipped_with_a_reason_and_the_diagnosis_still_made(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "connections-refused", bundle)
    (bundle / "notes.docx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    (bundle / "shopping.txt").write_text("milk\neggs\n", encoding="utf-8")
    report = diagnose_json(bundle)
    skipped = {i["path"].rsplit("/", 1)[1]: i for i in report["inputs"] if i["kind"] == "unknown"}
    assert {"notes.docx", "shopping.txt"} <= skipped.keys()
    assert "not a known evidence format" in skipped["shopping.txt"]["problems"][0]["message"]
    assert ids(report)[0] == "nonpaged-pool-exhausted"


def test_text_report_shows_ranking_arithmetic_and_steps():
    code, text = run_cli("diagnose", str(EXAMPLES / "connections-refused"))
    assert code == 0
    assert text.index("nonpaged-pool-exhausted") < text.index("boot-3gb-switch")
    assert "128 MB pool - 109 MB in use = 19 MB free" in text
    assert "> cd /d %SystemRoot%\\System32\\drivers && findstr /m /l /c:\"AvSc\" *.sys" in text  # the tag PoolMon showed
    assert "poolmon-b.txt:6" in text


def test_missing_path_is_a_usage_error(cli, capsys):
    code, _ = cli("diagnose", "/no/such/folder")
    assert code == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_console_script_and_module_entry_run():
    exe = shutil.which("httperr-doctor", path=str(Path(sys.executable).parent)) or shutil.which("httperr-doctor")
    assert exe, "console script not installed"
    for command in ([exe], [sys.executable, "-m", "httperr_doctor.wizard"]):
        done = subprocess.run([*command, "diagnose", "-f", "json", str(EXAMPLES / "connection-dropped")],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert assert_valid_report(done.stdout)["causes"][0]["id"] == "logging-timeout-under-load"


def test_report_is_a_differential_with_arithmetic_and_what_would_settle_the_rest():
    report = diagnose_json(EXAMPLES / "connections-refused")
    top = report["causes"][0]
    # The combination is written out rule by rule, strongest first, ending at the certainty shown.
    assert top["certainty_explained"].startswith("NPP_BELOW_HTTPSYS_FLOOR +0.85 -> 0.850; ")
    assert top["certainty_explained"].endswith(f"-> {top['certainty_factor']:.3f}")
    detail = {d["id"]: d for d in report["servers"][0]["not_evaluated_detail"]}
    assert set(detail) == set(report["not_evaluated"])
    assert detail["app-pool-rapid-fail"]["settle"][0]["fact"] == "event.was_rapid_fail.count"
    assert {n["fact"] for n in detail["site-connection-limit"]["settle"]} == {"netstat.established", "config.max_connections_min"}
    assert detail["malformed-requests"]["settle"] == []  # HTTPERR was read and holds no parse errors
