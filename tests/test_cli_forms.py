"""How the CLI picks a form: colour only for a terminal, plain text for pipes and NO_COLOR,
and the engine's progress callback that drives the reading bar."""
from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest

from conftest import EXAMPLES
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.wizard.cli import main
from httperr_doctor.wizard.progress import reading_progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_on_tty(*argv: str) -> str:
    buffer = Tty()
    with redirect_stdout(buffer):
        assert main(list(argv)) == 0
    return buffer.getvalue()


def test_a_terminal_gets_colour(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    out = run_on_tty("diagnose", str(EXAMPLES / "connections-refused"))
    assert "\x1b[" in out and "\u2588" in out and "Key numbers" in out


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_color_and_dumb_terminals_get_plain_text(monkeypatch, env):
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = run_on_tty("diagnose", str(EXAMPLES / "connections-refused"))
    assert "\x1b" not in out
    assert out.startswith("httperr-doctor ") and "[#########.] 92%" in out


def test_progress_callback_counts_files_and_bytes():
    events = []
    diagnose([str(EXAMPLES / "connections-refused")], progress=events.append)
    files = sorted(p for p in (EXAMPLES / "connections-refused").rglob("*") if p.is_file())
    # One event before the first file and one after each; a file read here may add some while it is read.
    done = [e for before, e in zip([None, *events], events) if before is None or e.files_done != before.files_done]
    assert len(done) == len(files) + 1
    assert events[0].files_done == 0 and events[0].bytes_done == 0
    assert [e.files_done for e in done] == list(range(len(files) + 1))
    assert events[-1].bytes_done == events[-1].bytes_total == sum(p.stat().st_size for p in files)
    assert all(a.bytes_done <= b.bytes_done for a, b in zip(events, events[1:]))


def test_no_progress_bar_unless_stderr_is_a_terminal():
    with reading_progress(io.StringIO()) as callback:
        assert callback is None
    stream = Tty()
    with reading_progress(stream) as callback:
        callback(type("P", (), {"files_done": 1, "files_total": 2, "bytes_done": 5, "bytes_total": 10})())
    assert "reading evidence" in stream.getvalue()
