"""The HTML report: self-contained, inert whatever the evidence says, timeline drawn,
checklist printable.

The static checks parse the page; the browser checks open the hostile bundle's
report (tests/fixtures/hostile: `<script>`, `javascript:` and `<img onerror>` URLs,
escape sequences, plus a perfmon log whose non-paged pool crosses the refusal line
the minute refusals start) in headless Chromium. Without Chromium those skip with
the reason, except where HTTPERR_DOCTOR_REQUIRE_CHROMIUM=1 (set by .ci/run).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import unescape
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
    "long-span": ["examples/connections-refused", "tests/fixtures/long-span"],  # 2007 and 2011: zoomed incident
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
    assert "findstr /m /l" in checklist and "Check the fix worked" in checklist
    before = text[:text.index("Remediation checklist")]
    assert "\f" in before[-2000:] or before.rstrip().endswith("\f") or text.count("\f") >= 3  # starts on its own page


def test_in_chromium_the_long_span_shows_the_incident_to_the_minute(tmp_path):
    page = tmp_path / "long-span.html"
    code, _ = run_cli("diagnose", "--format", "html", "--output", str(page), *BUNDLES["long-span"])
    assert code == 0
    done = run_chromium(tmp_path, "--dump-dom", page.as_uri())
    dom = done.stdout
    assert done.returncode == 0 and "</html>" in dom, done.stderr[-2000:]
    headings = re.findall(r'<h4 class="incident"[^>]*>(.*?)</h4>', dom)
    assert len(headings) == 1
    starts = re.findall(r'<time class="start">([^<]+)</time>', headings[0])
    ends = re.findall(r'<time class="end">([^<]+)</time>', headings[0])
    assert (starts, ends) == (["2007-11-13 20:01"], ["20:31"])
    overview, zoom = re.findall(r'<svg class="timeline".*?</svg>', dom, re.S)
    assert "Incident 1: Connections_Refused from 2007-11-13 20:01" in overview
    assert "HTTPERR entries per minute" in zoom and "Connections_Refused starts 20:01" in zoom
    assert "crosses the refusal line 19:53" in zoom
    axis = re.findall(r'<text class="tick(?: day)?"[^>]*text-anchor="middle">([^<]+)</text>', overview)
    assert 4 <= len(axis) <= 24 and any(label.startswith("2011") for label in axis)


LAYOUT_PROBE = """<script>
const found = [];
document.querySelectorAll("svg.timeline").forEach((svg, n) => {
  const width = svg.viewBox.baseVal.width;
  const rows = {};
  svg.querySelectorAll("text.tick[text-anchor=middle], text.legend, text.panel-title, g.marker text").forEach(t => {
    const box = t.getBBox(), ctm = t.getCTM(), y = Math.round(box.y + ctm.f);
    if (box.x < 0 || box.x + box.width > width) found.push(`svg ${n}: "${t.textContent}" outside the chart`);
    (rows[y] = rows[y] || []).push([box.x, box.x + box.width, t.textContent]);
  });
  Object.values(rows).forEach(row => {
    row.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < row.length; i++)
      if (row[i][0] < row[i - 1][1]) found.push(`svg ${n}: "${row[i - 1][2]}" overlaps "${row[i][2]}"`);
  });
});
const out = document.createElement("pre");
out.id = "layout";
out.textContent = JSON.stringify({svgs: document.querySelectorAll("svg.timeline").length, problems: found});
document.body.appendChild(out);
</script>"""


def test_in_chromium_axis_labels_and_legends_neither_overlap_nor_leave_the_chart(tmp_path):
    """Measured with the browser's own fonts: our width estimates must be on the safe side."""
    stats_page = tmp_path / "long-span.html"
    code, _ = run_cli("diagnose", "--format", "html", "--output", str(stats_page), *BUNDLES["long-span"],
                      "tests/cases/scanner-probes")
    assert code == 0
    page = stats_page.read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"  # the report forbids scripts; this copy of it runs ours
    probe.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
                     .replace("</body>", LAYOUT_PROBE + "</body>"), encoding="utf-8")
    done = run_chromium(tmp_path, "--window-size=800,2000", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="layout">(.*?)</pre>', done.stdout)
    assert found, done.stderr[-2000:]
    result = json.loads(unescape(found.group(1)))
    assert result["svgs"] >= 3 and result["problems"] == []
