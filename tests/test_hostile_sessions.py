"""Saved wizard sessions from someone else: bombs, deep nesting, binary and oversized
files are refused before anything is built from them, with exit 2 and one plain line."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from conftest import EXAMPLES, run_cli
from httperr_doctor.wizard.session import MAX_SESSION_BYTES, SessionError, load_session

HEAD = "format: httperr-doctor-session\nversion: 1\n"
ANSWER = "- {question: npp_used, fact: memory.npp_used_mb, value: 109}\n"


def billion_laughs(levels: int = 9) -> str:
    lines = [HEAD.rstrip("\n"), 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ",".join([f"*l{level - 1}"] * 9) + "]")
    lines.append(f"answers: *l{levels - 1}")
    return "\n".join(lines) + "\n"


ATTACKS = {
    "laughs.yaml": (billion_laughs(), "anchors"),
    "alias.yaml": (HEAD + "evidence: &e [a.log]\nchecklist: *e\nanswers: []\n", "anchors"),
    "tag.yaml": (HEAD + "answers: !!python/object/apply:os.system [echo owned]\n", "tags"),
    "nested.yaml": (HEAD + "answers: " + "[" * 25 + "]" * 25 + "\n", "nested more than 20"),
    "very-deep.yaml": (HEAD + "answers: " + "[" * 100_000 + "\n", "session"),
    "block-deep.yaml": (HEAD + "answers:\n" + "".join("  " * depth + "- \n" for depth in range(30)), "nested more than 20"),
    "very-deep.json": ('{"format": "httperr-doctor-session", "version": 1, "answers": '
                       + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    "nan.json": ('{"format": "httperr-doctor-session", "version": 1, "answers": '
                 '[{"question": "npp_used", "fact": "memory.npp_used_mb", "value": NaN}]}', "NaN"),
    "structured.yaml": (HEAD + "answers:\n- {question: npp_used, fact: memory.npp_used_mb, value: {a: [1, 2]}}\n",
                        "one value"),
    "binary.yaml": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd" * 40, "not UTF-8"),
    "nul.yaml": (HEAD + "answers: []\n\x00\x00\x00\n", "NUL"),
    "huge-answer.yaml": (HEAD + "answers:\n- {question: notes, fact: notes, value: '" + "x" * 20_000_000 + "'}\n",
                         f"over {MAX_SESSION_BYTES:,} bytes"),
}


@pytest.fixture(params=sorted(ATTACKS))
def attack(request, tmp_path):
    name = request.param
    content, expected = ATTACKS[name]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path, expected


def test_a_hostile_session_is_refused_with_a_reason(attack):
    path, expected = attack
    with pytest.raises(SessionError, match=expected):
        load_session(path)


@pytest.mark.parametrize("form", ["text", "json"])
def test_the_cli_says_so_in_one_line_and_exits_2(attack, form, capsys):
    path, expected = attack
    code, out = run_cli("wizard", "--answers", str(path), "--format", form)
    err = capsys.readouterr().err
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("httperr-doctor: ") and path.name in err and expected in err
    assert len(err) < 400


def test_resume_refuses_the_same_way(attack, capsys):
    path, expected = attack
    code, _ = run_cli("wizard", "--resume", str(path))
    assert code == 2 and expected in capsys.readouterr().err


def test_a_plain_session_still_replays(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(HEAD + f"evidence: [{json.dumps(str(EXAMPLES / 'connections-refused'))}]\nanswers:\n" + ANSWER)
    session = load_session(path)
    assert session.known() == {"memory.npp_used_mb": 109}
    code, text = run_cli("wizard", "--answers", str(path), "--format", "json")
    assert code == 0 and json.loads(text)["causes"][0]["id"] == "nonpaged-pool-exhausted"


ESCAPES = "\x1b]0;owned\x07\x1b[2J\x9b31m"


def test_escape_sequences_from_a_session_never_reach_the_terminal(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    gone = str(tmp_path / f"gone{ESCAPES}.log")
    path.write_text(HEAD + f"evidence: [{json.dumps(gone)}, {json.dumps(str(EXAMPLES / 'connections-refused'))}]\n"
                    "answers:\n" + ANSWER, encoding="utf-8")
    code, _ = run_cli("wizard", "--answers", str(path))
    err = capsys.readouterr().err
    assert code == 0 and "evidence named in the session is missing" in err
    assert not set("\x1b\x07\x9b") & set(err)


def test_took_back_shows_a_session_question_id_without_its_escapes(tmp_path):
    from test_wizard import OPTIONAL_STOP, Script, wizard

    from httperr_doctor.wizard.session import Answer, Session

    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "connections-refused", bundle)
    (bundle / "poolmon-b.txt").unlink()
    (bundle / "npp-typeperf.csv").unlink()
    session = Session(evidence=[str(bundle)], answers=[Answer(f"boot_3gb{ESCAPES}", "boot.switch_3gb", True)])
    wiz, out = wizard(tmp_path, Script("", "Back", OPTIONAL_STOP, "Stop the checklist", False), session=session)
    wiz.run(gather=False)
    text = out.getvalue()
    assert "Took back: boot_3gb" in text
    assert not set("\x1b\x07\x9b") & set(text)


HOSTILE_TITLES = [
    "![tracker](https://evil.example/pixel.png?u=victim)",
    '<img src=x onerror="alert(1)"> <script>alert(2)</script>',
    "[click me](javascript:alert(3))",
    f"line one\n# a heading\n- [x] forged tick {ESCAPES}",
]


@pytest.mark.parametrize("suffix", [".md", ".txt"])
def test_checklist_titles_from_a_session_are_inert_in_the_report_file(tmp_path, suffix):
    from test_wizard import Script, wizard

    from httperr_doctor.wizard.session import Session, Tick

    session = Session(evidence=[str(EXAMPLES / "connections-refused")],
                      checklist=[Tick("nonpaged-pool-exhausted", str(i), title, "done") for i, title in enumerate(HOSTILE_TITLES)])
    wiz, _ = wizard(tmp_path, Script(), session=session)
    wiz.build_report()
    text = wiz.write_report(tmp_path / f"report{suffix}").read_text(encoding="utf-8")
    checklist = text[text.index("Checklist (from the wizard session):"):].splitlines()[1:]
    assert len(checklist) == len(HOSTILE_TITLES), checklist
    assert not set("\x1b\x07\x9b") & set(text)
    if suffix == ".md":
        body = "\n".join(checklist)
        # Markup characters escaped: no image, link or tag can start.
        assert not re.search(r"(?<!\\)<|(?<!\\)\[|(?<!\\)\]\(", body.replace("- [x] ", "")), body
        assert "\\<img" in body and "\\[tracker\\]" in body
        assert all(line.startswith("- [x] ") for line in checklist)
