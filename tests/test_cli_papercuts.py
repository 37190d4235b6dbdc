"""CLI papercuts: --version, a command's own usage for a bad flag, a warning for a missing path."""
from __future__ import annotations

import pytest

from conftest import EXAMPLES, run_cli
from httperr_doctor.engine.assemble import tool_version

REFUSED = EXAMPLES / "connections-refused"


def test_version(capsys):
    from httperr_doctor.wizard.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out == f"httperr-doctor {tool_version()}\n"


@pytest.mark.parametrize("argv, usage, unknown", [
    (["diagnose", "--bogus", str(REFUSED)], "usage: httperr-doctor diagnose", "--bogus"),
    (["wizard", "--answers", "x.yaml", "--nope"], "usage: httperr-doctor wizard", "--nope"),
    (["kb", "lint", "--fast"], "usage: httperr-doctor kb lint", "--fast")])
def test_a_flag_the_command_does_not_know_shows_that_commands_usage(capsys, argv, usage, unknown):
    with pytest.raises(SystemExit) as stop:
        run_cli(*argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.startswith(usage) and f"unrecognized arguments: {unknown}" in err


def test_a_missing_path_beside_good_ones_is_named_on_stderr_and_listed(capsys, tmp_path):
    gone = str(tmp_path / "no-such-folder")
    code, out = run_cli("diagnose", "--format", "json", str(REFUSED), gone)
    err = capsys.readouterr().err
    assert code == 0 and f"warning: no such file or folder: {gone}" in err
    assert gone in out and "nonpaged-pool-exhausted" in out


def test_a_tab_completed_folder_is_answered_with_one_enter(monkeypatch):
    import threading
    import time

    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from conftest import ROOT
    from httperr_doctor.wizard.prompts import path_question

    monkeypatch.chdir(ROOT)
    with create_pipe_input() as pipe:
        question = path_question("Evidence file or folder:", input=pipe, output=DummyOutput())
        answers: list[str] = []
        worker = threading.Thread(target=lambda: answers.append(question.unsafe_ask()), daemon=True)
        worker.start()
        line = question.application.current_buffer

        def wait_for(text: str) -> None:  # keys are handled in the prompt's own loop
            deadline = time.monotonic() + 60
            while line.text != text and time.monotonic() < deadline:
                time.sleep(0.02)
            assert line.text == text

        pipe.send_text("examples/connections-ref")
        wait_for("examples/connections-ref")
        time.sleep(0.3)  # a person's pause before Tab, so the Tab is its own key press
        pipe.send_text("\t")
        wait_for("examples/connections-refused/")
        pipe.send_text("\r")
        worker.join(60)
        assert answers == ["examples/connections-refused/"]


def test_a_folder_with_no_evidence_says_so_once_and_lists_why_each_file_was_left_out(capsys, tmp_path):
    folder = tmp_path / "wrong-folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("call the vendor on Monday\n")
    (folder / "empty.log").write_bytes(b"")
    (folder / "sub" / "memory.dmp").write_bytes(b"PAGEDU64\x00\x00\x00\x01" * 64)
    code, out = run_cli("diagnose", str(folder))
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and out == ""
    assert err[0].startswith("httperr-doctor: no evidence to diagnose: 3 files found, none in a format it reads")
    assert f"  {folder / 'empty.log'}: empty (the file is empty)" in err
    assert any(line.startswith(f"  {folder / 'sub' / 'memory.dmp'}: unknown") and "binary" in line for line in err)
    assert "Not evaluated" not in "\n".join(err)
    # One real evidence file among them is enough for a report.
    (folder / "httperr1.log").write_bytes((EXAMPLES / "connections-refused" / "HTTPERR" / "httperr3.log").read_bytes())
    code, out = run_cli("diagnose", str(folder))
    assert code == 0 and "Connections_Refused" in out
