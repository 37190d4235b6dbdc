"""An answer the evidence contradicts: both sides shown the moment the evidence arrives,
the evidence used unless the person chooses their answer on purpose, the choice saved
with the session and named in the report."""
from __future__ import annotations

import json

import pytest
import yaml

from conftest import EXAMPLES, run_cli
from test_wizard import OPTIONAL_STOP, Script, wizard
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.facts import OverrideEvidence
from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.text import render_text
from httperr_doctor.wizard.session import Answer, Session, SessionError, load_session, save_session

DROPPED = EXAMPLES / "connection-dropped"
# The drops and the server's name, but not yet the IIS logs that show the load.
WITHOUT_IIS = [str(DROPPED / "HTTPERR"), str(DROPPED / "systeminfo.txt")]
IIS = str(DROPPED / "W3SVC1")
HEAVY_LOAD_NO = Answer("heavy_load", "answer.heavy_load_at_drops", False)


def no_then_attach_iis(tmp_path, side: str):
    """Answer "no" to heavy load, attach the IIS logs at the next question, choose `side`."""
    script = Script("No", "Attach an evidence file", IIS, side, OPTIONAL_STOP, "Stop the checklist",
                    True, str(tmp_path / "ticket.yaml"))
    wiz, out = wizard(tmp_path, script, Session(evidence=list(WITHOUT_IIS)))
    assert wiz.run(gather=False) == 0
    return wiz, " ".join(out.getvalue().split()), script


def test_evidence_attached_after_an_answer_shows_both_sides_at_once(tmp_path):
    wiz, text, script = no_then_attach_iis(tmp_path, "Keep the evidence")
    shown = text[text.index("Your answer and the evidence disagree."):]
    assert shown.index("disagree") < shown.index("Leading causes now")  # before the next question, not in the report only
    assert 'You answered: no, to "Was the site under unusually heavy load when the connections were dropped?"' in shown
    assert "The evidence says: Request rate when the drops happened against the usual rate: 5.62" in shown
    assert f"{DROPPED / 'HTTPERR' / 'httperr1.log'}:" in shown  # the drop lines the rate was taken at
    choice = next(p for p in script.prompts if p.message == "Which should the diagnosis use?")
    assert choice.default == "evidence" and [v for _, v in choice.choices] == ["evidence", "answer"]


def test_keeping_the_evidence_is_saved_and_the_report_says_why(tmp_path):
    wiz, _, _ = no_then_attach_iis(tmp_path, "Keep the evidence")
    [conflict] = wiz.report.servers[0].conflicts
    assert conflict.kept == "evidence" and "answer.heavy_load_at_drops" not in wiz.report.servers[0].facts
    assert "the evidence was used" in conflict.text and "overrides it on purpose" in conflict.text
    saved = yaml.safe_load((tmp_path / "ticket.yaml").read_text())
    assert saved["answers"] == [{"question": "heavy_load", "fact": "answer.heavy_load_at_drops", "value": False,
                                 "kept": "evidence"}]


def test_choosing_the_answer_overrides_the_evidence_for_it(tmp_path):
    wiz, text, _ = no_then_attach_iis(tmp_path, "Use my answer")
    server = wiz.report.servers[0]
    [conflict] = server.conflicts
    assert conflict.kept == "answer" and server.facts["answer.heavy_load_at_drops"] is False
    # The measured rate is not replaced, only outvoted where the answer's rules speak: the report says so.
    assert conflict.evidence_fact != conflict.fact and server.facts["load.ratio_at_drops"] == 5.625
    assert "your answer was used, as you chose; the figure from the files still counts" in conflict.text
    code, replayed = run_cli("wizard", "--answers", str(tmp_path / "ticket.yaml"), "--format", "json")
    assert code == 0
    assert json.loads(replayed)["servers"][0]["conflicts"][0]["kept"] == "answer"


def test_a_resumed_session_asks_about_a_conflict_once(tmp_path):
    session = Session(evidence=[*WITHOUT_IIS, IIS], answers=[Answer(**vars(HEAVY_LOAD_NO))])
    wiz, out = wizard(tmp_path, Script("Use my answer", OPTIONAL_STOP, "Stop the checklist", False), session)
    assert wiz.run(gather=False) == 0
    assert out.getvalue().count("Your answer and the evidence disagree.") == 1
    assert session.answers[0].kept == "answer"
    wiz, out = wizard(tmp_path, Script(OPTIONAL_STOP, "Stop the checklist", False), session)
    assert wiz.run(gather=False) == 0
    assert "disagree." not in out.getvalue() and wiz.report.servers[0].conflicts[0].kept == "answer"


def test_an_override_is_one_answers_not_every_answers():
    report = diagnose([str(DROPPED)], {"answer.heavy_load_at_drops": OverrideEvidence(False), "iis.requests": 12})
    kept = {c.fact: c.kept for c in report.servers[0].conflicts}
    assert kept == {"answer.heavy_load_at_drops": "answer", "iis.requests": "evidence"}
    assert report.servers[0].facts["iis.requests"] == 7429


@pytest.mark.parametrize("kept, said", [("evidence", "the evidence was used: a value worked out from the files wins"),
                                        ("answer", "your answer was used, as you chose; the figure from the files still counts")])
@pytest.mark.parametrize("render", [render_text, render_html], ids=["text", "html"])
def test_text_and_html_say_which_side_was_used_and_why(kept, said, render):
    answer = OverrideEvidence(False) if kept == "answer" else False
    shown = " ".join(render(diagnose([str(DROPPED)], {"answer.heavy_load_at_drops": answer})).split())
    assert said in shown and "5.62" in shown


def test_a_session_with_an_unknown_side_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("format: httperr-doctor-session\nversion: 1\nanswers:\n"
                    "- {question: heavy_load, fact: answer.heavy_load_at_drops, value: false, kept: both}\n")
    with pytest.raises(SessionError, match="kept must be evidence or answer"):
        load_session(path)


def test_the_side_survives_saving_and_loading(tmp_path):
    session = Session(answers=[Answer("heavy_load", "answer.heavy_load_at_drops", False, kept="answer")])
    loaded = load_session(save_session(session, tmp_path / "s.json"))
    assert loaded.answers[0].kept == "answer" and loaded.known() == {"answer.heavy_load_at_drops": OverrideEvidence(False)}


def test_enter_at_the_real_prompt_keeps_the_evidence(tmp_path):
    """The conflict prompt through questionary and prompt_toolkit's pipe input: the
    evidence is the choice under the cursor, so Enter alone keeps it."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from httperr_doctor.wizard.prompts import questionary_ask

    script = Script(OPTIONAL_STOP, "Stop the checklist", False)
    session = Session(evidence=[*WITHOUT_IIS, IIS], answers=[Answer(**vars(HEAVY_LOAD_NO))])
    with create_pipe_input() as pipe:
        real = questionary_ask(input=pipe, output=DummyOutput())

        def ask(prompt):
            if prompt.message != "Which should the diagnosis use?":
                return script(prompt)
            pipe.send_text("\r")
            return real(prompt)

        wiz, _ = wizard(tmp_path, ask, session)
        assert wiz.run(gather=False) == 0
    assert session.answers[0].kept == "evidence" and wiz.report.servers[0].conflicts[0].kept == "evidence"
