"""Which rule engine runs: durable-rules when it imports, else the reference evaluator, and
the report says which. A process where `import durable` fails stands in for Windows and
Python 3.13+ (where durable-rules is not installed)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import EXAMPLES, assert_valid_report, run_cli
from httperr_doctor.engine.rule_engines import DURABLE, ENGINE_ENV, REFERENCE, durable_importable, engine_name

WITHOUT_DURABLE = """
import sys
sys.modules["durable"] = sys.modules["durable.engine"] = None  # `import durable` fails as if never installed
from httperr_doctor.wizard.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_without_durable(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != ENGINE_ENV}
    return subprocess.run([sys.executable, "-c", WITHOUT_DURABLE, *argv], capture_output=True, text=True,
                          timeout=120, env={**environ, **(env or {})})


def without_engine(report: dict) -> dict:
    report["tool"].pop("engine")
    return report


def test_without_durable_the_reference_engine_gives_the_same_json_report():
    done = run_without_durable("diagnose", "--format", "json", str(EXAMPLES / "connections-refused"))
    assert done.returncode == 0, done.stderr
    alone = assert_valid_report(done.stdout)
    assert alone["tool"]["engine"] == REFERENCE
    assert alone["causes"][0]["id"] == "nonpaged-pool-exhausted"
    code, text = run_cli("diagnose", "--format", "json", str(EXAMPLES / "connections-refused"))
    here = json.loads(text)
    assert here["tool"]["engine"] == engine_name()  # CI's second pass forces the reference engine here too
    assert without_engine(alone) == without_engine(here)


def test_forcing_durable_where_it_is_missing_says_so_and_how_to_go_on():
    done = run_without_durable("diagnose", "--engine", "durable", str(EXAMPLES / "connection-dropped"))
    assert done.returncode == 3 and done.stdout == ""
    assert "durable-rules cannot be imported" in done.stderr and "--engine reference" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_text_report_names_its_engine(monkeypatch):
    monkeypatch.setenv(ENGINE_ENV, "reference")
    code, text = run_cli("diagnose", str(EXAMPLES / "connection-dropped"))
    assert code == 0 and "rule engine: reference" in text.splitlines()[0]
    code, text = run_cli("diagnose", "--engine", "auto", "--format", "markdown", str(EXAMPLES / "connection-dropped"))
    assert f"rule engine: {DURABLE if durable_importable() else REFERENCE}" in text


def test_a_bad_engine_name_in_the_environment_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv(ENGINE_ENV, "clips")
    code, _ = run_cli("diagnose", str(EXAMPLES / "connection-dropped"))
    assert code == 3


@pytest.mark.skipif(not durable_importable(), reason="durable-rules is not installed here")
def test_kb_lint_runs_the_twin_cases_on_either_engine():
    assert run_cli("kb", "lint", "--engine", "reference")[0] == 0
    assert run_cli("kb", "lint", "--engine", "durable")[0] == 0
