"""A bundle with nothing that can show a symptom (systeminfo, boot.ini, bcdedit or PoolMon alone:
no HTTPERR log, IIS log, event log or perfmon capture) has not shown a healthy server: the
report says what is missing and what to collect first, and the JSON tells it apart from a
server whose logs show only background noise while `no_problem_found` keeps its meaning."""
from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, FIXTURES, ROOT
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.json_report import render_json
from httperr_doctor.engine.render.markdown import render_markdown
from httperr_doctor.engine.render.terminal import render_terminal
from httperr_doctor.engine.render.text import render_text

FORMS = {"text": render_text, "markdown": render_markdown, "html": render_html,
         "terminal": lambda r: render_terminal(r, width=200)}
REFUSED = EXAMPLES / "connections-refused"
NO_SYMPTOM = {"systeminfo": REFUSED / "systeminfo.txt", "boot.ini": REFUSED / "boot.ini",
              "bcdedit": FIXTURES / "bcdedit" / "bcdedit_win10_packt_real.txt",
              "poolmon": FIXTURES / "poolmon" / "poolmon_x64_mapped_driver.txt"}


def words(rendered: str) -> str:
    return " ".join(rendered.replace("*", "").split())


@pytest.mark.parametrize("given", NO_SYMPTOM.values(), ids=NO_SYMPTOM.keys())
def test_a_bundle_that_cannot_show_a_symptom_says_so_and_what_to_collect_first(given):
    report = diagnose([str(given)])
    server = report.servers[0]
    assert not server.symptom_evidence and not report.symptom_evidence
    first_two = " ".join(step.how for step in server.next_steps[:2])
    assert "HTTPERR" in first_two and "wevtutil qe System" in first_two
    for form, render in FORMS.items():
        shown = words(render(report))
        assert "No problem found" not in shown, form
        assert "No symptom evidence: none of the files given can show whether requests fail" in shown, form
        assert "Collect the HTTPERR log and the System event log first" in shown, form


def test_systeminfo_alone_keeps_no_problem_found_for_scripts_and_adds_why():
    data = json.loads(render_json(diagnose([str(NO_SYMPTOM["systeminfo"])])))
    assert data["schema_version"] == "1.4"
    assert data["no_problem_found"] is True and data["servers"][0]["no_problem_found"] is True
    assert data["symptom_evidence"] is False and data["servers"][0]["symptom_evidence"] is False


def test_logs_with_only_background_noise_still_say_no_problem_found():
    report = diagnose([str(ROOT / "tests" / "cases" / "idle-noise-only")])
    assert report.no_problem_found and report.symptom_evidence and report.servers[0].symptom_evidence
    for form, render in FORMS.items():
        shown = words(render(report))
        assert "No problem found" in shown and "No symptom evidence" not in shown, form


def test_a_fleet_is_symptom_evidence_only_when_every_server_has_some(tmp_path):
    web01, web02 = tmp_path / "web01", tmp_path / "web02"
    web01.mkdir(), web02.mkdir()
    (web01 / "systeminfo.txt").write_bytes(NO_SYMPTOM["systeminfo"].read_bytes())
    (web02 / "systeminfo.txt").write_bytes(NO_SYMPTOM["systeminfo"].read_bytes().replace(b"WEB01", b"WEB02"))
    for folder in (ROOT / "tests" / "cases" / "idle-noise-only").iterdir():
        if folder.is_dir():
            target = web02 / folder.name
            target.mkdir()
            for f in folder.iterdir():
                (target / f.name).write_bytes(f.read_bytes())
    report = diagnose([str(web01), str(web02)])
    by_host = {s.host: s.symptom_evidence for s in report.servers}
    assert by_host == {"WEB01": False, "WEB02": True} and report.symptom_evidence is False
