"""Next steps ask only for evidence not given, and an answer against the evidence is a conflict."""
from __future__ import annotations

import pytest

from conftest import EXAMPLES, ROOT, diagnose_json
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.facts.combine import SOURCES
from httperr_doctor.engine.facts.catalogue import sources_setting
from httperr_doctor.engine.knowledge import default_kb

KB = default_kb()
DROPPED = EXAMPLES / "connection-dropped"


@pytest.mark.parametrize("example", ["connection-dropped", "connections-refused"])
def test_the_examples_ask_for_nothing_that_was_supplied(example):
    report = diagnose_json(EXAMPLES / example)
    given = {i["kind"] for i in report["inputs"]}
    kinds = {source.name: set(source.kinds) for source in SOURCES}
    setting = sources_setting(KB)
    server = report["servers"][0]
    asked = [n for n in server["needs"]] + [n for ne in server["not_evaluated_detail"] for n in ne["settle"]]
    assert asked, "nothing left to find out: the test would prove nothing"
    for need in asked:
        assert not kinds.get(setting.get(need["fact"]), set()) & given, f"{need['fact']} comes from a file given"
        assert "Copy the HTTPERR folder" not in need["how"]
    facts = server["facts"]
    if "load.ratio_at_drops" in facts:
        assert "answer.heavy_load_at_drops" not in {n["fact"] for n in asked}


def _server(report):
    return report.servers[0]


def test_an_answer_against_the_computed_load_is_a_conflict_and_the_evidence_wins():
    server = _server(diagnose([str(DROPPED)], {"answer.heavy_load_at_drops": False}))
    assert server.facts["load.ratio_at_drops"] >= 2
    [conflict] = server.conflicts
    assert (conflict.fact, conflict.answered, conflict.evidence_fact, conflict.kept) == (
        "answer.heavy_load_at_drops", False, "load.ratio_at_drops", "evidence")
    assert "5.62" in conflict.text and "no" in conflict.text
    assert "answer.heavy_load_at_drops" not in server.facts
    for cause in server.causes:
        both = {e.fact for e in cause.evidence} & {e.fact for e in cause.evidence_against}
        assert not both, f"{cause.id}: {both} counted for and against"
        assert "ANSWER_NO_HEAVY_LOAD" not in {step.rule for step in cause.reasoning}


def test_overriding_the_evidence_on_purpose_keeps_the_answer():
    server = _server(diagnose([str(DROPPED)], {"answer.heavy_load_at_drops": False, "answer.override_evidence": True}))
    [conflict] = server.conflicts
    assert conflict.kept == "answer" and server.facts["answer.heavy_load_at_drops"] is False


def test_an_answer_that_agrees_with_the_evidence_is_no_conflict():
    assert _server(diagnose([str(DROPPED)], {"answer.heavy_load_at_drops": True})).conflicts == []


def test_an_answer_for_a_fact_the_evidence_computed_is_a_conflict():
    server = _server(diagnose([str(DROPPED)], {"iis.requests": 12}))
    [conflict] = server.conflicts
    assert conflict.evidence_value == 7429 and server.facts["iis.requests"] == 7429


@pytest.mark.parametrize("form", ["text", "markdown", "html"])
def test_every_form_shows_both_sides_of_a_conflict(form):
    from httperr_doctor.engine.render import html, markdown, text
    renderer = {"text": text.render_text, "markdown": markdown.render_markdown, "html": html.render_html}[form]
    shown = renderer(diagnose([str(DROPPED)], {"answer.heavy_load_at_drops": False}))
    assert "disagree with the evidence" in shown and "5.62" in shown


def test_an_answer_chosen_over_the_same_fact_replaces_it_and_says_so():
    bundle = ROOT / "tests" / "cases" / "refused-av-leak-3gb"
    server = _server(diagnose([str(bundle)], {"boot.switch_3gb": False, "answer.override_evidence": True}))
    [conflict] = server.conflicts
    assert (conflict.fact, conflict.evidence_fact, conflict.kept) == ("boot.switch_3gb", "boot.switch_3gb", "answer")
    assert server.facts["boot.switch_3gb"] is False
    assert "your answer was used in place of the value worked out from the files" in conflict.text
    assert "still counts" not in conflict.text
