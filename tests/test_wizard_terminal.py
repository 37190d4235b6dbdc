"""The wizard on a real prompt stack: questionary through prompt_toolkit's pipe input, and
the installed program in a tmux terminal of 80x24 without colour."""
from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest
import yaml

from conftest import EXAMPLES
from httperr_doctor.wizard.interactive import Console, Wizard
from httperr_doctor.wizard.prompts import questionary_ask
from httperr_doctor.wizard.session import Session

DROPPED_LOG = EXAMPLES / "connection-dropped" / "HTTPERR"
DOWN, ENTER = "\x1b[B", "\r"


def test_questionary_prompts_through_a_pipe(tmp_path):
    """Real questionary prompts read keys from a pipe; the keys for each prompt are worked out
    from the prompt itself (arrow-downs to the wanted label), so new questions in the KB do not
    shift the script, and an unexpected prompt fails instead of waiting for keys forever."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    wanted = ["Yes", "Stop asking", "Stop the checklist", False]   # question 1, question 2, checklist, save?
    out = io.StringIO()
    with create_pipe_input() as pipe:
        real = questionary_ask(input=pipe, output=DummyOutput())

        def ask_typing(prompt):
            assert wanted, f"unexpected prompt {prompt.message!r}"
            want = wanted.pop(0)
            if prompt.kind == "select":
                labels = [label for label, _ in prompt.choices]
                index = next(i for i, label in enumerate(labels) if label.startswith(want))
                pipe.send_text(DOWN * index + ENTER)
            elif prompt.kind == "confirm":
                pipe.send_text("y" if want else "n")
            else:
                raise AssertionError(f"unexpected {prompt.kind} prompt {prompt.message!r}")
            return real(prompt)

        wiz = Wizard(Console(ask_typing, out, 80), Session(evidence=[str(DROPPED_LOG)]),
                     session_path=tmp_path / "s.yaml", report_path=tmp_path / "report.txt")
        assert wiz.run(gather=False) == 0
    assert not wanted
    assert [(a.question, a.value, a.unknown) for a in wiz.session.answers] == [("heavy_load", True, False)]
    assert wiz.report.causes[0].id == "logging-timeout-under-load"
    assert (tmp_path / "report.txt").exists() and not (tmp_path / "s.yaml").exists()


class Tmux:
    """One terminal on a tmux server of its own (-L), so other tmux users on the machine cannot disturb it."""

    def __init__(self, folder, command: str, env: dict[str, str], width: int = 80, height: int = 24):
        self.name = f"httperr-doctor-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        script = f"cd {shlex.quote(str(folder))} && env {exports} {command}; echo EXIT=$?; sleep 60"
        self.tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), script, check=True)

    def tmux(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.name, "-f", os.devnull, *args], capture_output=True, text=True, check=check)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name).stdout

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys, check=True)

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_real_program_in_tmux_80x24_no_color_ctrl_c_then_resume(tmp_path):
    session, report = tmp_path / "session.yaml", tmp_path / "report.txt"
    command = (f"{shlex.quote(sys.executable)} -m httperr_doctor.wizard wizard "
               f"{shlex.quote(str(DROPPED_LOG))} --session session.yaml --report report.txt")
    env = {"NO_COLOR": "1", "TERM": "xterm", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    term = Tmux(tmp_path, command, env)
    try:
        screen = term.wait_for("I don't know / can't check")  # the menu is drawn after the question
        assert "Question 1:" in screen and "Leading causes now:" in screen
        assert "\x1b" not in screen and max(len(line) for line in screen.splitlines()) <= 80
        term.keys("Enter")                                   # Yes
        term.wait_for("Question 2:")
        term.wait_for("Why are you asking?")
        term.keys("C-c")
        screen = term.wait_for("EXIT=")
        assert "EXIT=130" in screen and "Session saved" in screen
    finally:
        term.close()
    saved = yaml.safe_load(session.read_text())
    assert [a["question"] for a in saved["answers"]] == ["heavy_load"]

    term = Tmux(tmp_path, command.replace("--session session.yaml", "--resume session.yaml"), env)
    try:
        screen = term.wait_for("Why are you asking?")      # resumes where it stopped
        assert "Question 2:" in screen and "Question 1:" not in screen
        # Yes, No, don't know, attach, why, back, stop: the seventh choice stops the questions.
        term.keys(*["Down"] * 6, "Enter")
        term.wait_for("Ticked off?")
        term.keys("Enter")                                   # step 1 done
        term.wait_for("Step 2 of")
        term.keys("Down", "Down", "Enter")                   # stop the checklist
        term.wait_for("Save this session")
        term.keys("n")
        screen = term.wait_for("EXIT=")
        assert "EXIT=0" in screen
    finally:
        term.close()
    written = report.read_text()
    assert "logging-timeout-under-load" in written and "[x] logging-timeout-under-load 1:" in written


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("width", [80, 160])
def test_the_final_report_in_a_colour_terminal_is_drawn_whole(tmp_path, width):
    from screen_checks import screen_problems

    command = (f"{shlex.quote(sys.executable)} -m httperr_doctor.wizard wizard "
               f"{shlex.quote(str(DROPPED_LOG))} --session session.yaml --report report.txt")
    env = {"TERM": "xterm-256color", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    term = Tmux(tmp_path, command, env, width=width, height=50)
    try:
        term.wait_for("Stop asking and show the report")
        term.keys("Up", "Enter")                             # the menu wraps round to its last choice: stop
        term.wait_for("Ticked off?")
        term.keys("Up", "Enter")                             # stop the checklist
        term.wait_for("Save this session")
        term.keys("n")
        term.wait_for("EXIT=0")
        screen = term.tmux("capture-pane", "-p", "-S", "-", "-t", term.name).stdout
    finally:
        term.close()
    report = screen[screen.index("root-cause report"):screen.index("Fix it, one step at a time")]
    assert "Evidence read" in report and "╭" in report and "logging-timeout-under-load" in report
    assert screen_problems(report, width) == []
