"""The HTML report: self-contained, inert whatever the evidence says, timeline drawn,
checklist printable.

The static checks parse the page; the browser checks open the hostile bundle's
report (tests/fixtures/hostile: `<script>`, `javascript:` and `<img onerror>` URLs,
escape sequences, plus a perfmon log whose non-paged pool crosses the refusal line
the minute refusals start) in headless Chromium. Without Chromium those skip with
the reason, except where HTTPERR_DOCTOR_REQUIRE_CHROMIUM=1 (set by .ci/run).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from golden_files import check_golden
from test_render_safety import poisoned_report
from httperr_doctor.engine.render.html import render_html

HOSTILE = "tests/fixtures/hostile"
BUNDLES = {
    "connections-refused": ["examples/connections-refused"],
    "connection-dropped": ["examples/connection-dropped"],
    "fleet": ["examples/connections-refused", "examples/connection-dropped"],
    "hostile": [HOSTILE],
}


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def html_for(*paths: str) -> str:
    code, out = run_cli("diagnose", "--format", "html", *paths)
    assert code == 0
    return out


class Elements(HTMLParser):
    """Every start tag with its attributes, for checking what the page could do."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(page)
    return parser.tags


@pytest.mark.parametrize("bundle", BUNDLES)
def test_html_matches_golden(bundle):
    check_golden(f"{bundle}.html", html_for(*BUNDLES[bundle]))


@pytest.mark.parametrize("page", ["hostile", "poisoned"])
def test_page_can_neither_run_script_nor_fetch_anything(page):
    text = html_for(HOSTILE) if page == "hostile" else render_html(poisoned_report())
    tags = elements(text)
    names = {tag for tag, _ in tags}
    assert not names & {"script", "iframe", "object", "embed", "img", "link", "base", "form", "meta-refresh"}
    for tag, attrs in tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert "src" not in attrs and "srcset" not in attrs
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "https://", "http://")), href
    assert not re.search(r"url\(|@import|javascript:[^<]*\"", text.split("<body>")[0])  # no fetches from CSS
    csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "&lt;script&gt;document.body.setAttribute" in text  # shown, as text
    if page == "hostile":
        assert "javascript:document.body.setAttribute(&#x27;data-pwned&#x27;,&#x27;js-url&#x27;)" in text
    assert "\x1b" not in text and "\x07" not in text


def test_fleet_page_has_a_summary_across_servers():
    page = html_for(*BUNDLES["fleet"])
    summary = page[page.index('<section class="fleet">'):page.index('<section class="server"')]
    assert "Across 2 servers" in summary
    header = re.search(r"<thead>(.*?)</thead>", summary).group(1)
    assert "WEB01" in header and "WEB02" in header
    row = re.search(r"<tr><td>Kernel non-paged pool is too low.*?</tr>", summary).group(0)
    assert re.findall(r'<td class="(hit|miss)"', row) == ["hit", "miss"]


def test_hostile_timeline_lines_up_refusals_with_the_pool_crossing():
    page = html_for(HOSTILE)
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert "Connections_Refused starts 09:20" in svg
    assert "Non-paged pool in use crosses the refusal line 09:20" in svg
    assert "http.sys refuses above 108 MB in use" in svg


# ---- headless Chromium ------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                  "--host-resolver-rules=MAP * ~NOTFOUND"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if found is None:
        if os.environ.get("HTTPERR_DOCTOR_REQUIRE_CHROMIUM") == "1":
            pytest.fail("chromium is required here (HTTPERR_DOCTOR_REQUIRE_CHROMIUM=1) but not installed")
        pytest.skip("chromium is not installed (Debian package `chromium`; .ci/run installs it)")
    return found


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("html") / "hostile.html"
    os.chdir(ROOT)
    code, _ = run_cli("diagnose", "--format", "html", "--output", str(target), HOSTILE)
    assert code == 0
    return target


def test_in_chromium_no_script_ran_and_the_timeline_is_drawn(tmp_path, hostile_page):
    done = run_chromium(tmp_path, "--dump-dom", hostile_page.as_uri())
    dom = done.stdout
    assert done.returncode == 0 and "</html>" in dom, done.stderr[-2000:]
    assert "data-pwned" not in re.sub(r"&lt;.*?&gt;|'data-pwned'", "", dom)  # the payload text may show; never as an attribute
    assert not re.search(r"<body[^>]*data-pwned", dom)
    assert "<script" not in dom and "<img" not in dom
    assert re.search(r"<title>httperr-doctor report: EVIL-WEB03</title>", dom)  # no script renamed the page
    svg = dom[dom.index('<svg class="timeline"'):dom.index("</svg>")]
    assert len(re.findall(r"<rect ", svg)) >= 20 and len(re.findall(r"<polyline ", svg)) >= 3
    assert "crosses the refusal line" in svg


def test_in_chromium_the_checklist_prints(tmp_path, hostile_page):
    pdf = tmp_path / "report.pdf"
    done = run_chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", hostile_page.as_uri())
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF"), done.stderr[-2000:]
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages >= 3
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: PDF made, its text not checked")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    checklist = text[text.index("Remediation checklist for EVIL-WEB03"):]
    assert "Confirm how much non-paged pool is in use right now" in checklist
    assert "poolmon -b -p" in checklist and "Check the fix worked" in checklist
    before = text[:text.index("Remediation checklist")]
    assert "\f" in before[-2000:] or before.rstrip().endswith("\f") or text.count("\f") >= 3  # starts on its own page
