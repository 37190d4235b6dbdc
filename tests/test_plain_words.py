"""Every report form of every example and library case counts in plain words: each
number agrees with its noun, nothing is hedged as "line(s)", and the text, terminal,
Markdown and HTML forms carry no engine jargon (rule ids, signed certainty factors,
MYCIN's combination), which stays in the JSON: each reason says in words how much it
counts, and evidence against a cause says so."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.plurals import counted, disagreements
from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.json_report import render_json
from httperr_doctor.engine.render.markdown import render_markdown
from httperr_doctor.engine.render.terminal import render_terminal
from httperr_doctor.engine.render.text import render_text

TESTS = Path(__file__).resolve().parent
# A signed certainty factor as the engine writes it: +0.85, -0.50 (also HTML's minus sign).
SIGNED_WEIGHT = re.compile(r"(?<![\w.])(?:[+-]|&minus;|\u2212)[01]\.\d\d(?!\d)")
WEIGHT_WORDS = re.compile(r"^(Strong|Moderate|Weak) reason( against)?$")
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
    for form in ("text", "markdown", "html"):
        shown = forms[form]
        assert "MYCIN" not in shown and "Combined:" not in shown and not SIGNED_WEIGHT.search(shown), form
        assert not any(rule in shown for rule in rule_ids), form


def test_the_check_itself_finds_hedges_and_disagreements():
    assert disagreements("WAS logged 1 events; 364 HTTPERR line(s); 3 slow request") == ["1 events", "3 slow request", "line(s)"]
    assert counted(1, "slow request") == "1 slow request" and counted(2, "worker-process crash") == "2 worker-process crashes"


def _reasoning_lines(markdown: str) -> list[str]:
    """The Markdown's reasoning bullets, every cause's."""
    found, inside = [], False
    for line in markdown.splitlines():
        if line.startswith(("**", "#")):
            inside = line == "**Reasoning**"
        elif inside and line.startswith("- "):
            found.append(line)
    return found


def test_evidence_against_a_cause_reads_as_such_and_weak_evidence_as_weak_in_every_form():
    """refused-leak-x64-perfmon: 2.4 GB of free non-paged pool argues against plain exhaustion
    (-0.6); real-fieldlength-ms: one FieldLength line in a long log is a 0.6 rule weighed
    down to 0.11 by how little of it there is."""
    leak = diagnose([str(TESTS / "cases" / "refused-leak-x64-perfmon")])
    against = next(s for c in leak.servers[0].causes for s in c.reasoning if s.rule == "NPP_AMPLE_HEADROOM")
    assert against.certainty < 0 and against.direction == "against"
    start = against.text[:40]
    assert f"- Moderate reason against: {start}" in render_text(leak)
    assert f"- **Moderate reason against:** {start}" in render_markdown(leak)
    assert f'<td class="cf-against">Moderate reason against</td><td>{start}' in render_html(leak)
    assert "Moderate reason against" in render_terminal(leak, width=120)

    lone = diagnose([str(TESTS / "cases" / "real-fieldlength-ms")])
    step = next(s for c in lone.servers[0].causes for s in c.reasoning if s.rule == "HEADER_LIMITS_EXCEEDED")
    assert step.certainty >= 0.6 and step.strength < 0.2
    assert f"- Weak reason: {step.text[:40]}" in render_text(lone)


@pytest.mark.parametrize("bundle", [TESTS.parent / "examples" / "connections-refused",
                                    TESTS / "cases" / "refused-leak-x64-perfmon"], ids=["refused", "leak-x64"])
def test_every_reason_leads_with_how_much_it_counts_and_the_forms_agree(bundle):
    report = diagnose([str(bundle)])
    steps = [s for server in report.servers for c in server.causes for s in c.reasoning]
    md_lines = _reasoning_lines(render_markdown(report))
    assert len(md_lines) == len(steps)
    words = [re.match(r"- \*\*(.+?):\*\* ", line).group(1) for line in md_lines]
    assert all(WEIGHT_WORDS.match(w) for w in words)
    assert [w.endswith("against") for w in words] == [s.direction == "against" for s in steps]
    text = render_text(report)
    html = render_html(report)
    for word, step in zip(words, steps):
        assert f"- {word}: {step.text}" in text
        assert f'<td class="cf-{step.direction}">{word}</td>' in html
    terminal = render_terminal(report, width=120)
    assert not SIGNED_WEIGHT.search(terminal) and not any(s.rule in terminal for s in steps)


def test_markdown_pasted_raw_or_rendered_reads_as_the_text_report_does():
    """A ticket may show the Markdown as it is or rendered: neither shows escapes where no
    markup could form (`\\>`, doubled backslashes in paths), and commands are code."""
    report = diagnose([str(TESTS.parent / "examples" / "connections-refused")])
    raw = render_markdown(report)
    assert "\\>" not in raw and "\\\\Memory" not in raw and "\\`" not in raw
    assert "Event Viewer > Windows Logs > System" in raw and "\\Memory\\Pool Nonpaged Bytes" in raw
    shown = MarkdownIt("commonmark").enable("table").render(raw)
    assert "Event Viewer &gt; Windows Logs &gt; System" in shown and "\\Memory\\Pool Nonpaged Bytes" in shown
    assert "<code>net stop http /y</code>" in shown
