"""Exit codes, and what a help-desk person sees when something goes wrong inside the tool."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from conftest import EXAMPLES, run_cli
from httperr_doctor.engine import diagnosis
from httperr_doctor.wizard import cli


def crash(*_args, **_kwargs):
    raise ValueError("bad \x1b[31mstate\nwith a second line " + "x" * 500)


def test_internal_error_prints_one_line_and_writes_the_traceback(monkeypatch, capsys):
    monkeypatch.setattr(diagnosis, "diagnose_files", crash)
    code, out = run_cli("diagnose", str(EXAMPLES / "connections-refused"))
    err = capsys.readouterr().err
    assert code == cli.EXIT_INTERNAL == 3 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    match = re.fullmatch(r"httperr-doctor: internal error \(ValueError: bad .*\.\.\.\); details written to (\S+)\n", err)
    assert match, err
    log = Path(match.group(1))
    try:
        details = log.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in details and "in crash" in details and "ValueError" in details
    finally:
        log.unlink()


def test_internal_error_when_the_log_cannot_be_written_still_prints_one_line(monkeypatch, capsys):
    monkeypatch.setattr(diagnosis, "diagnose_files", crash)

    def no_temp(*_a, **_k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", no_temp)
    code, _ = run_cli("diagnose", str(EXAMPLES / "connections-refused"))
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1
    assert "the details could not be written to a temp file" in err and "Traceback" not in err


def test_unwritable_output_is_a_usage_error(tmp_path, capsys):
    code, _ = run_cli("diagnose", "-o", str(tmp_path / "no-such-dir" / "report.txt"), str(EXAMPLES / "connections-refused"))
    assert code == cli.EXIT_USAGE == 2
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["diagnose"], ["diagnose", "--format", "xml", "x"], ["no-such-command"]])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_help_and_readme_document_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    shown = capsys.readouterr().out
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    for code, meaning in ((0, "report"), (2, "usage error"), (3, "internal error"), (4, "knowledge base")):
        assert re.search(rf"^\s+{code}\s+.*{meaning}", shown, re.M), (code, shown)
    for line in cli.EXIT_CODES_HELP.splitlines()[1:]:
        assert line.strip() in shown and line.strip() in readme, line
