"""The wizard's conversation with scripted answers through the injected `ask`."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import EXAMPLES, run_cli
from httperr_doctor.wizard.interactive import Console, Wizard
from httperr_doctor.wizard.session import Session, SessionError, load_session, save_session

REFUSED = EXAMPLES / "connections-refused"


OPTIONAL_STOP = "<stop asking if asked>"


class Script:
    """Answers prompts in order. For a menu, a reply picks the choice whose label starts with it."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.prompts = []

    def __call__(self, prompt):
        self.prompts.append(prompt)
        assert self.replies, f"unexpected prompt: {prompt.message} {[c[0] for c in prompt.choices]}"
        reply = self.replies.pop(0)
        labels = [label for label, _ in prompt.choices]
        if reply == OPTIONAL_STOP:
            # "Stop asking" if a question is still asked here; if not, this reply is not needed.
            if prompt.kind == "path" and prompt.message == "Answer:":
                # A number question: Enter on an empty line opens its menu, which has "Stop asking".
                self.replies.insert(0, OPTIONAL_STOP)
                return ""
            if not any(label.startswith("Stop asking") for label in labels):
                return self(prompt) if self.replies else None
            reply = "Stop asking"
        if isinstance(reply, BaseException):
            raise reply
        if prompt.kind == "select":
            hits = [value for label, value in prompt.choices if label.lower().startswith(str(reply).lower())]
            assert hits, f"no choice {reply!r} in {[c[0] for c in prompt.choices]}"
            return hits[0]
        if prompt.kind == "confirm":
            assert isinstance(reply, bool), f"confirm {prompt.message!r} needs True/False, got {reply!r}"
            return reply
        assert isinstance(reply, str), f"{prompt.kind} prompt {prompt.message!r} needs text, got {reply!r}"
        if prompt.message == "Save as:":
            assert os.path.isabs(reply), f"save under tmp_path, not as {reply!r} in the current folder"
        if prompt.validate is not None:
            assert prompt.validate(reply) is True, f"{reply!r} rejected: {prompt.validate(reply)}"
        return reply


def wizard(tmp_path, script, session=None, width=80):
    out = io.StringIO()
    wiz = Wizard(Console(script, out, width), session, session_path=tmp_path / "session.yaml",
                 report_path=tmp_path / "report.txt")
    return wiz, out


@pytest.fixture
def refused_without_pool(tmp_path):
    """The refused case as a help desk might get it: no pool measurement (PoolMon or perfmon)."""
    bundle = tmp_path / "bundle"
    shutil.copytree(REFUSED, bundle)
    (bundle / "poolmon-b.txt").unlink()
    (bundle / "npp-typeperf.csv").unlink()
    return bundle


def test_a_whole_session_from_evidence_to_checklist(tmp_path, refused_without_pool):
    script = Script(str(refused_without_pool), "", "109", OPTIONAL_STOP, "Done", "Skip", "Stop the checklist",
                    True, str(tmp_path / "ticket.yaml"))
    wiz, out = wizard(tmp_path, script)
    assert wiz.run() == 0
    text = out.getvalue()
    assert "read " in text and "(httperr)" in text
    assert "Question 1: How many megabytes of non-paged pool" in text
    assert "Task Manager" in text  # the question says how to take the measurement
    assert "Leading causes now:" in text
    # Later questions stay on the refused case (floor setting, connection load), never on drops under load.
    assert "heavy load" not in text and "application log errors" not in text.lower()
    assert wiz.report.causes[0].id == "nonpaged-pool-exhausted"
    assert "Step 1 of" in text and "Ticked off?" in [p.message for p in script.prompts]
    report = (tmp_path / "report.txt").read_text()
    assert "nonpaged-pool-exhausted" in report and "[x] nonpaged-pool-exhausted 1:" in report
    assert "(skipped)" in report
    saved = yaml.safe_load((tmp_path / "ticket.yaml").read_text())
    assert saved["answers"] == [{"question": "npp_used", "fact": "memory.npp_used_mb", "value": 109}]
    assert saved["evidence"] == ["bundle"]  # relative to the session file, so the pair can move
    assert [t["status"] for t in saved["checklist"]] == ["done", "skipped"]
    # Everything fits 80 columns except a line with a path to copy, which is never broken (a temp path is long).
    long = [line for line in text.splitlines() if len(line) > 80]
    assert all(str(tmp_path) in line for line in long), long
    assert f"  httperr-doctor wizard --answers {tmp_path / 'ticket.yaml'}" in text.splitlines()


def test_the_session_heap_is_settled_once_evidence_is_read_and_before_the_first_question(tmp_path, refused_without_pool):
    """The CLI freezes what lives for the session out of the collector's walks at these moments
    (a full collection inside an answer-to-question step took it to about 50 ms)."""
    script = Script(str(refused_without_pool), "", "109", OPTIONAL_STOP, "Done", "Skip", "Stop the checklist",
                    False)
    wiz, _ = wizard(tmp_path, script)
    questions_seen = []
    wiz.settled = lambda: questions_seen.append(sum(p.message.startswith("Your answer") or p.message == "Answer:"
                                                    for p in script.prompts))
    assert wiz.run() == 0
    assert wiz.evidence.values().get("httperr.reason.Connections_Refused.count", 0) > 0
    assert questions_seen[:2] == [0, 0]  # after the evidence was read, again as the interview begins


def test_saved_session_replays_without_a_terminal(tmp_path, refused_without_pool):
    session = Session(evidence=[str(refused_without_pool)])
    session.answers.append(__import__("httperr_doctor.wizard.session", fromlist=["Answer"]).Answer(
        "npp_used", "memory.npp_used_mb", 109))
    path = save_session(session, tmp_path / "case.json")
    code, text = run_cli("wizard", "--answers", str(path), "--format", "json")
    assert code == 0
    report = json.loads(text)
    assert report["causes"][0]["id"] == "nonpaged-pool-exhausted"
    assert report["servers"][0]["facts"]["memory.npp_free_mb"] == 19


def test_why_names_the_causes_the_answer_separates_with_their_confidence(tmp_path):
    script = Script("Why", "Stop", "Stop the checklist", False)
    wiz, out = wizard(tmp_path, script, Session(evidence=[str(EXAMPLES / "connection-dropped" / "HTTPERR")]))
    assert wiz.run(gather=False) == 0
    text = out.getvalue()
    why = text[text.index("The answer bears on this cause"):]  # one cause moves: not "tells these causes apart"
    assert "Under heavy load" in why and "(now 30%)" in why
    assert "If yes: responses reaching http.sys too late under load 30% -> 72%" in why  # words, not cause ids


def test_dont_know_leaves_the_fact_missing_and_is_not_asked_again(tmp_path):
    script = Script("I don't know", "I don't know", OPTIONAL_STOP, "Stop the checklist", False)
    wiz, out = wizard(tmp_path, script, Session(evidence=[str(EXAMPLES / "connection-dropped" / "HTTPERR")]))
    wiz.run(gather=False)
    asked = [line for line in out.getvalue().splitlines() if line.startswith("Question ")]
    assert len(asked) >= 2 and len(set(a.split(":", 1)[1] for a in asked)) == len(asked)
    assert all(a.unknown for a in wiz.session.answers)
    facts = wiz.report.servers[0].facts
    assert "answer.heavy_load_at_drops" not in facts and "answer.app_errors_at_drops" not in facts
    assert wiz.report.causes  # the evidence still ranks causes: unknown is not "no"
    assert "logging-timeout-under-load" not in [r.id for r in wiz.report.ruled_out]


def test_back_undoes_the_last_answer(tmp_path):
    script = Script("No", "Back", "Yes", "Stop", "Stop the checklist", False)
    wiz, out = wizard(tmp_path, script, Session(evidence=[str(EXAMPLES / "connection-dropped" / "HTTPERR")]))
    wiz.run(gather=False)
    assert "Took back: Was the site under unusually heavy load" in out.getvalue() and "(no)." in out.getvalue()
    assert [(a.question, a.value) for a in wiz.session.answers] == [("heavy_load", True)]
    assert wiz.report.causes[0].id == "logging-timeout-under-load"


def test_a_file_path_typed_at_a_number_question_is_attached_as_evidence(tmp_path, refused_without_pool):
    pool = str(REFUSED / "poolmon-b.txt")
    script = Script(pool, OPTIONAL_STOP, "Stop the checklist", False)
    wiz, out = wizard(tmp_path, script, Session(evidence=[str(refused_without_pool)]))
    wiz.run(gather=False)
    assert f"read {pool} (poolmon)" in out.getvalue()
    assert pool in wiz.session.evidence and not wiz.session.answers
    assert wiz.report.causes[0].id in ("nonpaged-pool-exhausted", "pool-leak-driver")
    assert "AvSc" in json.dumps(wiz.report.servers[0].facts)


def test_ctrl_c_saves_the_session_and_resume_continues_it(tmp_path, refused_without_pool):
    script = Script(str(refused_without_pool), "", KeyboardInterrupt())
    wiz, out = wizard(tmp_path, script)
    assert wiz.run() == 130
    assert "--resume" in out.getvalue()
    saved = load_session(tmp_path / "session.yaml")
    assert saved.evidence == [str(refused_without_pool)] and not saved.answers

    script = Script("110", OPTIONAL_STOP, "Stop the checklist", False)
    wiz, out = wizard(tmp_path, script, saved)
    assert wiz.run(gather=False) == 0
    assert "Question 1: How many megabytes of non-paged pool" in out.getvalue()
    assert wiz.report.causes[0].id == "nonpaged-pool-exhausted"


def test_an_interrupted_save_never_corrupts_the_session_file(tmp_path, monkeypatch):
    path = save_session(Session(evidence=["a"]), tmp_path / "s.yaml")
    before = path.read_text()

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        save_session(Session(evidence=["b"]), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.yaml"]  # no temporary file left behind


def test_a_file_that_is_not_a_session_is_refused_clearly(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("answers: []\n")
    with pytest.raises(SessionError, match="not an httperr-doctor session"):
        load_session(bad)
    code, _ = run_cli("wizard", "--answers", str(bad))
    assert code == 2


def test_a_session_answer_of_the_wrong_type_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("format: httperr-doctor-session\nversion: 1\nanswers:\n"
                    "- {question: boot_3gb, fact: boot.switch_3gb, value: 'maybe'}\n")
    code, _ = run_cli("wizard", "--answers", str(path))
    assert code == 2
    assert "boot.switch_3gb must be a bool" in capsys.readouterr().err


def test_without_a_terminal_the_wizard_points_to_diagnose_and_answers():
    done = subprocess.run([sys.executable, "-m", "httperr_doctor.wizard", "wizard", str(REFUSED)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 2
    assert "httperr-doctor diagnose" in done.stderr and "--answers FILE" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("name, marker", [("report.md", "- [x] logging-timeout-under-load 1:"),
                                          ("report.html", "<html"), ("report.json", '"schema_version"')])
def test_the_report_file_takes_the_form_its_name_asks_for(tmp_path, name, marker):
    script = Script("Yes", OPTIONAL_STOP, "Done", "Stop the checklist", False)
    out = io.StringIO()
    wiz = Wizard(Console(script, out, 80), Session(evidence=[str(EXAMPLES / "connection-dropped" / "HTTPERR")]),
                 session_path=tmp_path / "s.yaml", report_path=tmp_path / name)
    assert wiz.run(gather=False) == 0
    assert marker in (tmp_path / name).read_text(encoding="utf-8")


def test_a_reason_not_in_the_short_list_can_be_typed(tmp_path):
    script = Script("Something else", "timer_headerwait", OPTIONAL_STOP, "Stop the checklist", False)
    wiz, out = wizard(tmp_path, script)
    assert wiz.run(gather=False) == 0
    typed = next(p for p in script.prompts if p.kind == "text")
    assert ("Timer_HeaderWait", "Timer_HeaderWait") in typed.choices and typed.validate("NoSuchReason") is not True
    assert wiz.session.answers[0].value == "Timer_HeaderWait"  # spelled as the KB knows it
    assert wiz.report.causes[0].id == "slow-header-attack"


def test_a_session_and_its_evidence_can_move_together(tmp_path, refused_without_pool, monkeypatch):
    from httperr_doctor.wizard.session import Answer

    session = Session(evidence=[str(refused_without_pool)], answers=[Answer("npp_used", "memory.npp_used_mb", 109)])
    save_session(session, tmp_path / "case.yaml")
    moved = tmp_path / "ticket-1234"
    moved.mkdir()
    (tmp_path / "case.yaml").rename(moved / "case.yaml")
    refused_without_pool.rename(moved / refused_without_pool.name)
    monkeypatch.chdir("/")
    code, text = run_cli("wizard", "--answers", str(moved / "case.yaml"), "--format", "json")
    assert code == 0
    report = json.loads(text)
    assert report["causes"][0]["id"] == "nonpaged-pool-exhausted"
    assert report["servers"][0]["facts"]["memory.npp_free_mb"] == 19


def test_two_servers_evidence_stays_apart_and_is_read_once(tmp_path, monkeypatch):
    """The questions use one server's facts (not both servers' merged), and the final
    report is the diagnosis of what was read, not a second reading of every file."""
    import httperr_doctor.wizard.interactive as interactive
    from httperr_doctor.engine.diagnosis import diagnose
    from httperr_doctor.engine.render.json_report import render_json

    dropped = EXAMPLES / "connection-dropped"
    reads = []
    real = interactive.read_inputs
    monkeypatch.setattr(interactive, "read_inputs", lambda paths, *a, **k: reads.append(list(paths)) or real(paths, *a, **k))
    wiz, out = wizard(tmp_path, Script())
    assert wiz.load([str(REFUSED), str(dropped)]) > 0
    assert "covers 2 servers (WEB01, WEB02); the questions are about WEB01" in " ".join(out.getvalue().split())
    assert wiz.evidence.value("host.name") == "WEB01"
    assert "httperr.reason.Connection_Dropped.count" not in wiz.evidence  # WEB02's drops stay WEB02's
    report = wiz.build_report()
    assert reads == [[str(REFUSED)], [str(dropped)]]
    assert render_json(report) == render_json(diagnose([str(REFUSED), str(dropped)]))


@pytest.mark.parametrize("width", [80, 100, 160])
@pytest.mark.parametrize("colour", [True, False])
def test_the_final_report_on_screen_keeps_its_boxes_and_escapes_whole(tmp_path, width, colour):
    from screen_checks import screen_problems, visible

    out = io.StringIO()
    wiz = Wizard(Console(Script("Stop the checklist", False), out, width, colour),
                 Session(evidence=[str(REFUSED), str(EXAMPLES / "connection-dropped")]), session_path=tmp_path / "s.yaml")
    wiz.finish()
    text = out.getvalue()
    assert ("\x1b[" in text) == colour
    assert screen_problems(text, width, whole=(str(EXAMPLES),)) == []
    shown = visible(text)
    assert shown.count("╭") == sum(len(s.causes) for s in wiz.report.servers) and "Evidence read" in shown
    assert "nonpaged-pool-exhausted" in shown and "logging-timeout-under-load" in shown


def test_the_screen_check_sees_a_report_folded_a_second_time():
    from screen_checks import screen_problems
    from httperr_doctor.engine.diagnosis import diagnose
    from httperr_doctor.engine.render.terminal import render_terminal

    import textwrap

    text = render_terminal(diagnose([str(REFUSED)]), width=79)
    assert screen_problems(text, 80, whole=(str(EXAMPLES),)) == []
    folded = "\n".join(textwrap.fill(line, 79) for line in text.splitlines())  # what the wizard used to do
    problems = screen_problems(folded, 80)
    assert any("escape sequence" in p for p in problems) and any("does not end with" in p for p in problems)


def test_a_report_from_answers_alone_says_no_file_was_read_instead_of_an_empty_table():
    from httperr_doctor.engine.diagnosis import diagnose_files
    from httperr_doctor.engine.render.html import render_html
    from httperr_doctor.engine.render.markdown import render_markdown
    from httperr_doctor.engine.render.terminal import render_terminal
    from httperr_doctor.engine.render.text import render_text

    report = diagnose_files([], {"os.arch": "x86", "os.family": "2003", "boot.switch_3gb": True})
    assert report.causes[0].id == "boot-3gb-switch" and report.inputs == []
    assert "Evidence read: none." in render_text(report)
    assert "Evidence read: none." in render_terminal(report, color_system=None)
    markdown, html = render_markdown(report), render_html(report)
    assert "No evidence files were read." in markdown and "| File | Kind |" not in markdown
    assert "<p>No evidence files were read.</p>" in html and "<th>File</th>" not in html


def test_a_cpu_peak_or_queue_length_answered_in_the_wizard_is_not_said_to_come_from_perfmon():
    """The dropped example has no perfmon file: a person typed the CPU peak (Task Manager) and
    the queue length; the reasons that read them must not speak of a perfmon capture."""
    from httperr_doctor.engine.diagnosis import diagnose_files, read_inputs

    report = diagnose_files(read_inputs([str(EXAMPLES / "connection-dropped")]),
                            {"perf.cpu_peak_pct": 95, "perf.queue_peak": 80})
    cause = report.causes[0]
    texts = [r.text for r in cause.reasoning]
    assert cause.id == "logging-timeout-under-load"
    assert any(t.startswith("Processor time peaked at 95%") for t in texts)
    assert any(t.startswith("The request queue reached 80 waiting requests") for t in texts)
    assert not [t for t in texts if "perfmon" in t or "capture" in t]


def test_why_shows_number_bands_that_change_nothing_as_one_range(tmp_path):
    """64-bit, 8 GB: only pool use within 20 MB of the ceiling moves anything; the quiet bands
    between the thresholds read as one range, not three."""
    script = Script("Why", "Stop", "Stop the checklist", False)
    wiz, out = wizard(tmp_path, script, Session(answers=[]), width=100)
    wiz.evidence = __import__("httperr_doctor.engine.facts", fromlist=["Facts"]).Facts()
    from httperr_doctor.wizard.standing_view import explain_why

    candidate = next(c for c in wiz.questioner.candidates(wiz.evidence, {"os.arch": "x64", "os.family": "2016+",
                                                                       "os.ram_mb": 8191, "httperr.top_reason": "N/A"})
                     if c.question.id == "npp_used")
    explain_why(wiz.console, wiz.kb, candidate, candidate.now)
    quiet = [line for line in out.getvalue().splitlines() if line.endswith(": no change")]
    assert len(quiet) == 1 and quiet[0].count(" to ") == 1 and ", " not in quiet[0], quiet
