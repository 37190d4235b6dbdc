"""Untrusted text (URLs, host names, file names from evidence) stays inert in every form.

The hostile bundle's HTTPERR log (tests/fixtures/hostile) carries `<script>`,
`javascript:` and `<img onerror>` URLs, Markdown markup and terminal escape
sequences (an OSC title change, a screen clear); a synthetic report puts the same
payloads into every kind of field a renderer shows.
"""
from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from conftest import FIXTURES, ROOT, run_cli
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.render.markdown import render_markdown
from httperr_doctor.engine.render.terminal import render_terminal
from httperr_doctor.engine.render.text import render_text
from httperr_doctor.engine.report import Report

HOSTILE = FIXTURES / "hostile"
PAYLOAD = "<script>document.body.setAttribute('data-pwned','x')</script>[a](javascript:alert(1))*b*\x1b]0;T\x07\x1b[2J\x9b31m|c`"
ESCAPES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def poisoned_report() -> Report:
    """A real report with the payload written into every free-text field a reader sees."""
    data = diagnose([str(HOSTILE)]).model_dump(mode="json")

    def poison(node, key=""):
        if isinstance(node, dict):
            return {k: poison(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [poison(v, key) for v in node]
        if isinstance(node, str) and key in {"host", "path", "text", "summary", "title", "message", "do", "command",
                                             "expect", "ask", "how", "escalation", "label", "sources", "notes", "verify"}:
            return node + PAYLOAD
        return node

    return Report.model_validate(poison(data))


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_the_hostile_bundle_really_carries_the_payloads():
    raw = (HOSTILE / "HTTPERR/httperr1.log").read_bytes()
    assert b"<script>" in raw and b"javascript:" in raw and b"\x1b]0;" in raw
    code, out = run_cli("diagnose", "-f", "json", "tests/fixtures/hostile")
    assert code == 0 and "javascript:document.body" in out


@pytest.mark.parametrize("form", ["text", "markdown"])
def test_cli_forms_carry_no_control_characters(form):
    code, out = run_cli("diagnose", "-f", form, "tests/fixtures/hostile")
    assert code == 0
    assert "javascript:document.body" in out  # shown, as text
    assert not ESCAPES.search(out.replace("\n", ""))


def test_terminal_form_strips_escapes_but_keeps_its_own_colours():
    out = render_terminal(poisoned_report(), width=100)
    assert "\x1b]0;" not in out and "\x1b[2J" not in out and "\x07" not in out and "\x9b" not in out
    own = re.sub(r"\x1b\[[0-9;]*m", "", out)  # rich's SGR colour codes are the only escapes left
    assert not ESCAPES.search(own.replace("\n", ""))
    assert "<script>document.body" in own  # rich printed it literally, never as markup
    assert "[a](javascript:alert(1))" in own


def test_plain_text_form_strips_escapes_from_every_field():
    out = render_text(poisoned_report())
    assert not ESCAPES.search(out.replace("\n", ""))


def test_markdown_form_leaves_no_live_markup():
    out = render_markdown(poisoned_report())
    assert not ESCAPES.search(out.replace("\n", ""))
    outside_code = re.sub(r"(?<!\\)(`+)(?:(?!\1).)+?\1", "", out)
    assert not re.search(r"(?<!\\)<", outside_code), "an unescaped < could open raw HTML"
    assert not re.search(r"(?<!\\)\]\(", outside_code), "an unescaped ]( could close a link"
    assert "\\<script>" in out and "\\[a\\](javascript:alert(1))\\*b\\*" in out
    shown = MarkdownIt("commonmark").enable("table").render(out)  # what a ticket system shows
    assert "<script" not in shown and "<a " not in shown and "<em>" not in shown
    assert "&lt;script&gt;document.body" in shown and "[a](javascript:alert(1))*b*" in shown
    for line in out.splitlines():  # a pipe in a value never opens a new table cell
        if line.startswith("| ") and "Key number" not in line:
            assert line.count(" | ") + 2 == len(re.findall(r"(?<!\\)\|", line))
