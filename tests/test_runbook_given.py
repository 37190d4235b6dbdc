"""A runbook never asks for evidence the bundle already holds: a step whose command or
check collects what was given says what the given files showed (no command to run again),
or is left out; the same bundle without that file gets the step as written."""
from __future__ import annotations

import re
import shutil

import pytest

from conftest import EXAMPLES, ROOT
from httperr_doctor.engine.assessment import runbook
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.markdown import render_markdown
from httperr_doctor.engine.render.text import render_text

KB = default_kb()
CASES = ROOT / "tests" / "cases"
BUNDLES = sorted(p.parent for p in CASES.glob("*/expected.yaml")) + [EXAMPLES / "connections-refused",
                                                                      EXAMPLES / "connection-dropped"]
# Commands that collect what a parser reads, and that parser's evidence source.
COLLECTING = {r"netsh http show urlacl": "urlacl", r"netsh http show iplisten": "iplisten", r"^poolmon\b": "poolmon",
              r"^netstat\b": "netstat", r"^wevtutil qe System": "eventlog", r"^typeperf\b": "perfmon",
              r"^netsh http show servicestate": "netsh", r"^reg query .*HTTP\\Parameters": "regquery"}
# Steps whose command collects something no parser turns into a fact, so no file can answer them.
NOTHING_READ = {
    ("no-site-binding", "Compare the URL with the bindings"): "the users' URL against HTTP.sys's registered URLs",
    ("url-reservation-conflict", "See who registered the URL"): "registered URLs and process ids of each queue",
}


def _step(server, cause_id: str, title: str):
    cause = next(c for c in server.causes if c.id == cause_id)
    return next(s for s in cause.remediation if s.title == title)


def test_the_url_reservation_runbook_says_what_the_given_urlacl_showed_and_asks_for_it_without_the_file(tmp_path):
    server = diagnose([str(CASES / "urlacl-agent-api")]).servers[0]
    listed = _step(server, "url-reservation-conflict", "List the URL reservations")
    assert listed.number == 1 and listed.command is None
    assert "http://+:80/api/ is reserved for CONTOSO\\svc-monitor" in listed.do
    shown = render_text(diagnose([str(CASES / "urlacl-agent-api")]))
    assert "> netsh http show urlacl" not in shown and "1. List the URL reservations. The netsh http show urlacl output" in shown

    bundle = tmp_path / "urlacl-agent-api"
    shutil.copytree(CASES / "urlacl-agent-api", bundle)
    (bundle / "netsh-http-urlacl.txt").unlink()
    without = diagnose([str(bundle)]).servers[0]
    asked = _step(without, "url-reservation-conflict", "List the URL reservations")
    assert asked.command == "netsh http show urlacl" and asked.do.startswith("Show the reservations")


def test_poolmon_given_the_exhaustion_runbook_names_the_tag_instead_of_asking_for_poolmon():
    report = diagnose([str(EXAMPLES / "connections-refused")])
    server = report.servers[0]
    tag = _step(server, "nonpaged-pool-exhausted", "Find the pool tag that holds the memory")
    assert tag.command is None and "tag AvSc holds 69 MB" in tag.do
    used = _step(server, "nonpaged-pool-exhausted", "Confirm how much non-paged pool is in use right now")
    assert "109 MB is in use of a 128 MB ceiling, 19 MB free" in used.do
    for shown in (render_text(report), render_markdown(report), render_html(report)):
        assert "poolmon -b -p" not in shown
        assert "The PoolMon output you gave already names it: tag AvSc holds 69 MB" in shown


def test_a_step_with_nothing_to_say_about_the_given_evidence_is_left_out_and_the_rest_renumbered():
    cause = KB.causes["nonpaged-pool-exhausted"]
    told = runbook(KB, cause, {"event.srv_2019.count": 3, "memory.npp_used_mb": 100.0})
    system_log = next(s for s in told if s.title == "Confirm in the System log")
    assert system_log.do.startswith("The System log you gave has 3 Srv 2019 events") and system_log.command is None
    quiet = runbook(KB, cause, {"event.srv_2019.count": 0.5})  # a value no sentence speaks of
    assert "Confirm in the System log" not in [s.title for s in quiet]
    assert [s.number for s in quiet] == list(range(1, len(quiet) + 1)) and len(quiet) == len(cause.remediation) - 1
    assert [s.title for s in runbook(KB, cause, {})] == [s.title for s in cause.remediation]


def test_every_runbook_step_that_collects_parsed_evidence_says_which_facts():
    """So the flaw cannot come back with a new runbook: a step whose command a parser reads
    declares what it collects (and what to say when it was given), or is listed above."""
    from httperr_doctor.engine.facts.catalogue import sources_setting
    setting = sources_setting(KB)
    missing = []
    for cause in KB.causes.values():
        for step in cause.remediation:
            source = next((src for pattern, src in COLLECTING.items() if step.command and re.search(pattern, step.command)), None)
            if source is None or (cause.id, step.title) in NOTHING_READ:
                continue
            if not step.collects or not step.given:
                missing.append((cause.id, step.title))
            elif not any(setting.get(fact) in (source, None) for fact in step.collects):  # None: worked out
                missing.append((cause.id, step.title, step.collects))
    assert missing == []


def test_no_case_in_the_library_is_told_to_collect_what_it_gave():
    for bundle in BUNDLES:
        for server in diagnose([str(bundle)]).servers:
            for cause in server.causes:
                kb_steps = {s.title: s for s in KB.causes[cause.id].remediation}
                for step in cause.remediation:
                    collects = kb_steps[step.title].collects
                    if collects and all(fact in server.facts for fact in collects):
                        assert step.command is None and step.expect is None, (bundle.name, cause.id, step.title)
                        assert not re.search(r"\{\{|\bNone\b", step.do), step.do
