"""`--redact`: addresses, host names and URL query strings replaced consistently in every form."""
from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT, assert_valid_report, run_cli
from golden_files import check_golden
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.redact import Redactor, redact
from httperr_doctor.engine.report import Report

HOSTILE = "tests/fixtures/hostile"


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("form", ["text", "markdown", "json", "html"])
def test_every_form_loses_the_host_names(form):
    code, out = run_cli("diagnose", "--redact", "-f", form, HOSTILE, "examples/connection-dropped")
    assert code == 0
    assert not re.search(r"EVIL-WEB03|WEB02", out, re.IGNORECASE)
    assert "host-1" in out and "host-2" in out
    if form == "json":
        assert assert_valid_report(out)["redacted"] is True
    else:
        assert "placeholders" in out  # the reader is told the report was redacted


def test_fleet_redacted_markdown_matches_golden():
    code, out = run_cli("diagnose", "--redact", "-f", "markdown", "examples/connections-refused", "examples/connection-dropped")
    assert code == 0
    check_golden("fleet-redacted.md", out)


def with_client_details() -> Report:
    """The hostile report with addresses and query strings where evidence text goes."""
    data = diagnose([HOSTILE]).model_dump(mode="json")
    cause = data["servers"][0]["causes"][0]
    cause["evidence"][0]["text"] += (" client 203.0.113.7 asked /search?user=alice&token=s3cr3t at 20:01:44;"
                                     " again 203.0.113.7, then 198.51.100.2 and [2001:db8::17]:443, via http://shop.example.com/a?b=c")
    cause["evidence"][0]["sources"].append("\\\\EVIL-WEB03\\Memory\\Pool Nonpaged Bytes")
    data["servers"][0]["facts"]["httperr.dropped.top_url"] = "/search?user=alice&token=s3cr3t"
    return Report.model_validate(data)


def test_addresses_and_queries_get_consistent_placeholders():
    report = redact(with_client_details())
    dumped = json.dumps(report.model_dump(mode="json"))
    for secret in ("203.0.113.7", "198.51.100.2", "2001:db8::17", "s3cr3t", "alice", "b=c", "EVIL-WEB03"):
        assert secret not in dumped, secret
    text = report.servers[0].causes[0].evidence[0].text
    assert re.search(r"client (addr-\d+) asked /search\?(query-\d+) at 20:01:44; again \1, then addr-\d+", text)
    addresses = re.findall(r"addr-\d+", text)
    assert addresses[0] == addresses[1] and len(addresses) == 4 and len(set(addresses)) == 3
    assert report.servers[0].facts["httperr.dropped.top_url"] == "/search?" + re.search(r"\?(query-\d+)", text).group(1)
    assert "\\\\host-1\\Memory" in report.servers[0].causes[0].evidence[0].sources[-1]
    kb_links = [r.url for c in report.causes for r in c.references if r.url]
    assert kb_links == [r.url for c in with_client_details().causes for r in c.references if r.url]  # KB text untouched


def test_redaction_is_deterministic():
    assert redact(with_client_details()) == redact(with_client_details())


def test_version_numbers_and_times_are_not_addresses():
    r = Redactor()
    kept = "OS 5.2.3790 at 2007-11-13 20:01:44, durable-rules 2.0.28, 10.0.0.1.5, std::vector"
    assert r.text(kept) == kept
    assert r.text("fe80::1%4 and ::1 and 10.0.0.1") == "addr-1 and addr-2 and addr-3"


def test_wizard_replay_redacts_too(tmp_path):
    session = tmp_path / "session.yaml"
    session.write_text(f"format: httperr-doctor-session\nversion: 1\nevidence:\n- {ROOT / HOSTILE}\nanswers: []\n", encoding="utf-8")
    code, out = run_cli("wizard", "--answers", str(session), "--redact", "-f", "markdown")
    assert code == 0, out
    assert "EVIL-WEB03" not in out and "host-1" in out
