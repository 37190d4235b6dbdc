"""Every report form of every example and library case counts in plain words: each
number agrees with its noun, nothing is hedged as "line(s)", and the text and HTML
forms carry no engine jargon (rule ids, MYCIN), which stays in the JSON."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.plurals import counted, disagreements
from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.json_report import render_json
from httperr_doctor.engine.render.markdown import render_markdown
from httperr_doctor.engine.render.text import render_text

TESTS = Path(__file__).resolve().parent
BUNDLES = sorted([p for p in (TESTS.parent / "examples").iterdir() if p.is_dir()]
                 + [p for p in (TESTS / "cases").iterdir() if p.is_dir()])


def _json_words(value) -> list[str]:
    """The human text of a JSON report: every string under a key a person reads."""
    if isinstance(value, dict):
        return [w for key, item in value.items() if key != "facts" for w in _json_words(item)]
    if isinstance(value, list):
        return [w for item in value for w in _json_words(item)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("bundle", BUNDLES, ids=[p.name for p in BUNDLES])
def test_every_form_counts_in_plain_words(bundle):
    report = diagnose([str(bundle)])
    text, html = render_text(report), render_html(report)
    forms = {"text": text, "markdown": render_markdown(report), "html": html,
             "json": "\n".join(_json_words(json.loads(render_json(report))))}
    for form, shown in forms.items():
        assert disagreements(shown) == [], form
    rule_ids = {step.rule for server in report.servers for cause in server.causes for step in cause.reasoning}
    for shown in (text, html):
        assert "MYCIN" not in shown and not any(rule in shown for rule in rule_ids)


def test_the_check_itself_finds_hedges_and_disagreements():
    assert disagreements("WAS logged 1 events; 364 HTTPERR line(s); 3 slow request") == ["1 events", "3 slow request", "line(s)"]
    assert counted(1, "slow request") == "1 slow request" and counted(2, "worker-process crash") == "2 worker-process crashes"
