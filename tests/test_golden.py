"""Every report form on the example bundles, against reviewed golden files.

Runs from the repository root with relative paths so no absolute path of the
machine ends up in a report; the output has no clock time, so it is byte-stable.
"""
from __future__ import annotations

import pytest

from conftest import ROOT, run_cli
from golden_files import as_if_on_durable, check_golden, without_kb_size
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.render.terminal import render_terminal

BUNDLES = {
    "connections-refused": ["examples/connections-refused"],
    "connection-dropped": ["examples/connection-dropped"],
    "fleet": ["examples/connections-refused", "examples/connection-dropped"],
}
FORMATS = {"text": "txt", "markdown": "md", "json": "json"}


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.mark.parametrize("form", FORMATS)
@pytest.mark.parametrize("bundle", BUNDLES)
def test_cli_form_matches_golden(bundle, form):
    code, out = run_cli("diagnose", "--format", form, *BUNDLES[bundle])
    assert code == 0
    check_golden(f"{bundle}.{FORMATS[form]}", out)


@pytest.mark.parametrize("bundle", BUNDLES)
def test_terminal_form_matches_golden(bundle):
    check_golden(f"{bundle}.ansi", render_terminal(diagnose(BUNDLES[bundle]), width=100))


def test_output_option_writes_the_same_report(tmp_path):
    target = tmp_path / "report.md"
    code, out = run_cli("diagnose", "--format", "markdown", "--output", str(target), *BUNDLES["connection-dropped"])
    assert code == 0 and out == ""
    assert as_if_on_durable(without_kb_size(target.read_text(encoding="utf-8"))) == (ROOT / "tests/golden/connection-dropped.md").read_text(encoding="utf-8")


def test_a_report_counts_the_rules_and_causes_of_the_kb_it_used():
    """Golden files hold these counts as placeholders (a new rule would change them all): here they are checked."""
    from httperr_doctor.engine.knowledge import default_kb
    from httperr_doctor.engine.render.markdown import render_markdown

    kb = default_kb()
    report = diagnose(BUNDLES["connection-dropped"])
    assert (report.tool.kb_rules, report.tool.kb_causes) == (len(kb.rules), len(kb.causes))
    assert f"{len(kb.rules)} rules on {len(kb.causes)} causes" in render_markdown(report)
