"""The wizard asks only for what the evidence does not say: a fact the evidence computed,
or one the evidence settles (kb/facts.yaml `settled_by`), is never a question."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from httperr_doctor.engine.facts import with_answers
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.needs import settled_by_evidence
from httperr_doctor.wizard.interactive import Console, Wizard
from httperr_doctor.wizard.session import Session

CASES = Path(__file__).resolve().parent / "cases"
KB = default_kb()


def dont_know(prompt):
    """Every question answered "I don't know", so the wizard goes through all it would ask."""
    labels = [label for label, _ in prompt.choices]
    if prompt.message == "Your answer:":
        return next(value for label, value in prompt.choices if label.startswith("I don't know"))
    if prompt.message == "Answer:":
        return ""  # a number question: Enter on an empty line opens the menu with "I don't know"
    if prompt.message == "Ticked off?":
        return next(value for label, value in prompt.choices if label.startswith("Stop"))
    assert prompt.kind == "confirm", f"unexpected prompt {prompt.message!r} {labels}"
    return False


def asked_in(tmp_path, case: str) -> tuple[list[str], dict]:
    wiz = Wizard(Console(dont_know, io.StringIO()), Session(evidence=[str(CASES / case)]),
                 session_path=tmp_path / "s.yaml", report_path=tmp_path / "report.txt")
    assert wiz.run(gather=False) == 0
    return [a.fact for a in wiz.session.answers], with_answers(wiz.evidence, {}, KB)


@pytest.mark.parametrize("case", ["dropped-under-load", "dropped-report-page"])
def test_no_question_asks_for_a_fact_the_evidence_computed_or_settles(tmp_path, case):
    asked, computed = asked_in(tmp_path, case)
    for fact in asked:
        assert fact not in computed, f"asked for {fact}, computed as {computed[fact].value}"
        assert not settled_by_evidence(KB, fact, computed), f"asked for {fact}, which the evidence settles"


def test_heavy_load_is_not_asked_when_the_logs_show_the_load(tmp_path):
    """The lunchtime sale: HTTPERR and IIS logs put the drops at several times the usual rate."""
    asked, computed = asked_in(tmp_path, "dropped-under-load")
    assert computed["load.ratio_at_drops"].value >= 2
    assert "answer.heavy_load_at_drops" not in asked


def test_questions_the_evidence_leaves_open_are_still_asked(tmp_path):
    asked, computed = asked_in(tmp_path, "dropped-report-page")
    assert "answer.app_errors_at_drops" in asked and "load.ratio_at_drops" in computed
    assert "answer.heavy_load_at_drops" not in asked
