"""How many next steps a report shows: the few that would tell most, in full, then how
many more there are and where they are (the JSON lists every one). A report that finds
nothing leads its steps with what they are for: finding a problem the evidence missed."""
from __future__ import annotations

import json
import re

import pytest

from conftest import EXAMPLES, ROOT
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.render.common import ASKS_SHOWN, STEPS_SHOWN
from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.json_report import render_json
from httperr_doctor.engine.render.markdown import render_markdown
from httperr_doctor.engine.render.terminal import render_terminal
from httperr_doctor.engine.render.text import render_text
from httperr_doctor.engine.steps_words import mid_sentence

CASES = ROOT / "tests" / "cases"
FORMS = {"text": render_text, "markdown": render_markdown, "html": render_html,
         "terminal": lambda r: render_terminal(r, width=200)}


def _shown_numbers(form: str, rendered: str) -> list[int]:
    """The numbers of the next steps a form shows (each opens with "N. Find out:")."""
    if form == "html":
        section = rendered.split("Next steps", 1)[-1] if "Next steps" in rendered else rendered.split("If users still", 1)[1]
        return list(range(1, section.split("</ol>", 1)[0].count("<li>Find out:") + 1))
    return [int(n) for n in re.findall(r"^\s*(?:│\s*)?(\d+)\. Find out:", rendered, flags=re.M)]


@pytest.mark.parametrize("bundle", [CASES / "real-logjoint-workstation", EXAMPLES / "connections-refused" / "systeminfo.txt"],
                         ids=["healthy-workstation", "no-cause-systeminfo"])
def test_a_report_that_finds_nothing_shows_the_few_most_telling_steps_and_says_where_the_rest_are(bundle):
    report = diagnose([str(bundle)])
    server = report.servers[0]
    assert server.no_problem_found
    listed = json.loads(render_json(report))["servers"][0]["next_steps"]
    assert len(listed) == len(server.next_steps) > STEPS_SHOWN + 5, "the JSON keeps every step"
    rest = len(listed) - STEPS_SHOWN
    for form, render in FORMS.items():
        shown = render(report)
        assert _shown_numbers(form, shown) == [1, 2, 3], form
        assert f"{rest} more steps would tell less; the JSON report lists every step" in " ".join(shown.split()), form
        title = ("If users still see errors: the steps that would tell most" if server.symptom_evidence
                 else "Next steps: the evidence that can show a symptom first")
        assert title in shown, form
        assert "best tells the leading causes apart" not in shown, form


def test_a_report_with_few_steps_shows_them_all_and_no_more_line():
    report = diagnose([str(EXAMPLES / "connections-refused")])
    assert len(report.servers[0].next_steps) <= STEPS_SHOWN
    for form, render in FORMS.items():
        shown = render(report)
        assert "more step" not in shown and "Next steps (the one that best tells the leading causes apart first)" in shown


def test_a_step_names_the_first_few_things_it_finds_out_those_its_reason_speaks_of_first():
    """An HTTPERR log finds out some thirty facts: the step names the three its reason is about."""
    report = diagnose([str(EXAMPLES / "connections-refused" / "systeminfo.txt")])
    server = report.servers[0]
    httperr = next(s for s in server.next_steps if "HTTPERR" in s.how and len(s.asks) > ASKS_SHOWN + 10)
    line = next(line for line in render_text(report).splitlines() if line.strip().startswith(f"{httperr.number}. Find out:"))
    assert line.endswith(f"; and {len(httperr.asks) - ASKS_SHOWN} more")
    assert line.count(";") == ASKS_SHOWN
    kb = default_kb()
    first_rules = next(n.rules for n in server.needs if n.step == httperr.number and n.fact == httperr.facts[0])
    assert any(mid_sentence(kb.rules[r].title) in httperr.why for r in first_rules), (httperr.facts[0], httperr.why)
