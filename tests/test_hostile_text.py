"""Invisible and layout-breaking text from evidence: dropped, escaped or wrapped in every form."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import run_cli
from httperr_doctor.engine.render.common import clean

HIDDEN = ["\u2028", "\u2029", "\u061c", "\ufeff", "\u2060", "\u00ad", "\U000e0041", "\U000e007f", "\u202e", "\x9b", "\x1b"]
HEAD = ("#Software: Microsoft HTTP API 2.0\n#Version: 1.0\n#Date: 2007-01-01 22:00:00\n"
        "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename\n")


@pytest.mark.parametrize("char", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_clean_drops_characters_that_hide_or_reorder_text(char):
    assert clean(f"admin{char}.asp") == "admin.asp"


def dropped_for(folder, uri: str, lines: int = 60):
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f"2007-01-01 23:{i % 60:02d}:02 192.168.2.13 51648 10.0.0.10 80 HTTP/1.1 GET {uri} - 1 "
                   "Connection_Dropped DefaultAppPool\n" for i in range(lines))
    (folder / "httperr1.log").write_text(HEAD + body, encoding="utf-8")
    return folder


def test_json_writes_c1_controls_and_separators_as_escapes(tmp_path):
    folder = dropped_for(tmp_path / "ev", "/shop/\x9b31m\x85x\u2028y")
    code, text = run_cli("diagnose", "--format", "json", str(folder))
    assert code == 0
    assert not re.search("[\x7f-\x9f\u2028\u2029]", text)
    assert "\\u009b" in text or "31m" in text
    json.loads(text)


def test_a_newline_in_a_folder_name_cannot_split_report_lines(tmp_path):
    folder = dropped_for(tmp_path / "two\nlines" / "ev", "/shop/cart")
    code, text = run_cli("diagnose", str(folder))
    assert code == 0
    assert "two\\x0alines" in text
    assert not any(line.startswith("lines") for line in text.splitlines())


def test_a_60000_character_url_wraps_instead_of_widening_the_page(tmp_path):
    url = "/shop/" + "a" * 60_000
    folder = dropped_for(tmp_path / "ev", url, lines=100)
    code, page = run_cli("diagnose", "--format", "html", str(folder))
    assert code == 0 and url in page
    body_rule = re.search(r"\bbody\{[^}]*\}", page).group(0)
    assert "overflow-wrap:anywhere" in body_rule


def test_markdown_never_lets_gfm_autolink_a_url_from_a_log(tmp_path):
    folder = dropped_for(tmp_path / "ev", "http://intranet.corp.example/app/cart", lines=100)
    code, text = run_cli("diagnose", "--format", "markdown", str(folder))
    assert code == 0
    assert "http\\://intranet.corp.example/app/cart" in text and "http://intranet" not in text
    if shutil.which("cmark-gfm"):
        html = subprocess.run(["cmark-gfm", "-e", "autolink", "-e", "table"], input=text, capture_output=True,
                              text=True, check=True).stdout
        assert "intranet.corp.example/app/cart" in html and 'href="http://intranet' not in html

