"""Text output folds prose to a terminal's width, never splits a path or a number, and does not
fold at all into a pipe or a file."""
from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT, run_cli
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.render.text import render_text
from httperr_doctor.engine.render.wrapping import fold

CASE = "case 12 - connections-refused"  # a folder name with spaces and hyphens, as help desks name them


@pytest.fixture
def case_report(tmp_path, monkeypatch):
    shutil.copytree(EXAMPLES / "connections-refused", tmp_path / CASE)
    monkeypatch.chdir(tmp_path)
    return diagnose([CASE])


def sources(report) -> set[str]:
    return {s for cause in report.causes for item in cause.evidence for s in item.sources[:3]}


@pytest.mark.parametrize("width", [70, 80, 100])
def test_folding_only_moves_line_breaks_and_keeps_every_path_whole(case_report, width):
    flat, folded = render_text(case_report, width=None), render_text(case_report, width=width)
    assert folded.split() == flat.split()  # the same words in the same order: nothing was cut
    lines = folded.splitlines()
    paths = sources(case_report)
    assert paths and all(any(path in line for line in lines) for path in paths)
    # Lines wider than the width hold what may not be cut: a path, a command to copy, a key number.
    wide = [line for line in lines if len(line) > width]
    assert all(CASE in line or line.lstrip().startswith(">") for line in wide), wide
    assert len(lines) > len(flat.splitlines())


def test_unfolded_text_has_each_evidence_item_on_one_line(case_report):
    text = render_text(case_report, width=None)
    for cause in case_report.causes:
        for item in cause.evidence:
            line = next(line for line in text.splitlines() if line.lstrip().startswith(f"- {item.text}"))
            assert all(source in line for source in item.sources[:3])
    assert max(len(line) for line in text.splitlines()) > 200


def test_fold_never_cuts_a_hyphenated_path_or_a_long_number():
    text = "see examples/connections-refused/systeminfo.txt:3 and 72,351,744 bytes at C:\\Program Files\\x.log"
    assert fold(text, 20, keep=["C:\\Program Files\\x.log"]) == [
        "see", "  examples/connections-refused/systeminfo.txt:3", "  and 72,351,744", "  bytes at", "  C:\\Program Files\\x.log"]
    assert fold(text, 20)[-2:] == ["  C:\\Program", "  Files\\x.log"]  # what `keep` is for


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_without_colour_the_text_fits_its_width(monkeypatch, case_report):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "72")
    screen = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", screen)
    from httperr_doctor.wizard.cli import main

    assert main(["diagnose", CASE]) == 0
    text = screen.getvalue()
    assert "\x1b" not in text and text.split() == render_text(case_report, width=None).split()
    wide = [line for line in text.splitlines() if len(line) > 71]
    assert all(CASE in line or line.lstrip().startswith(">") for line in wide), wide


def test_into_a_pipe_or_a_file_nothing_is_folded(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    env = {**os.environ, "COLUMNS": "60", "NO_COLOR": "1"}
    piped = subprocess.run([sys.executable, "-m", "httperr_doctor.wizard", "diagnose", "examples/connections-refused"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert piped.returncode == 0
    flat = render_text(diagnose(["examples/connections-refused"]), width=None)
    assert piped.stdout == flat
    code, _ = run_cli("diagnose", "--output", str(tmp_path / "r.txt"), str(EXAMPLES / "connections-refused"))
    written = (tmp_path / "r.txt").read_text(encoding="utf-8")
    assert code == 0 and written == render_text(diagnose([str(EXAMPLES / "connections-refused")]), width=None)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_in_an_80_column_terminal_no_line_is_wrapped_by_the_terminal(tmp_path):
    from test_wizard_terminal import Tmux

    command = f"{shlex.quote(sys.executable)} -m httperr_doctor.wizard diagnose --steps 3 examples/connections-refused"
    term = Tmux(ROOT, command, {"NO_COLOR": "1", "TERM": "xterm", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                width=80, height=50)
    try:
        term.wait_for("EXIT=0")
        # -J joins the rows the terminal itself wrapped: every joined line still fits, so none was.
        joined = term.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", term.name).stdout
    finally:
        term.close()
    lines = joined[:joined.index("EXIT=0")].splitlines()
    assert any("nonpaged-pool-exhausted" in line for line in lines) and len(lines) > 100
    assert [line for line in lines if len(line.rstrip()) > 80 and not line.lstrip().startswith(">")] == []
