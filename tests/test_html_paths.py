"""Evidence paths in the HTML report wrap only after a folder separator: measured in
headless Chromium at a phone's width and a desktop's, with hyphen-heavy folder names."""
from __future__ import annotations

import json
import re
import shutil
from html import unescape
from html.parser import HTMLParser

import pytest
from conftest import EXAMPLES, run_cli
from test_html_report import run_chromium

from httperr_doctor.engine.render.html import path_code

# A copy of the report runs this (the report itself forbids scripts): every piece of a
# path that would fit on a line must sit on one line, and nothing may widen the page.
PATH_PROBE = """<script>
const found = [];
let pieces = 0;
document.querySelectorAll("code.path > span").forEach(span => {
  pieces += 1;
  const lines = Math.round(span.getBoundingClientRect().height / parseFloat(getComputedStyle(span).lineHeight));
  const alone = span.cloneNode(true);
  alone.style.cssText = "position:absolute;white-space:nowrap;visibility:hidden";
  span.parentElement.appendChild(alone);
  const natural = alone.getBoundingClientRect().width;
  alone.remove();
  const box = span.parentElement.parentElement, style = getComputedStyle(box);
  const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  if (lines > 1 && natural <= room) found.push(`"${span.textContent}" wraps inside though it fits (${natural} <= ${room})`);
});
if (document.documentElement.scrollWidth > window.innerWidth + 1)
  found.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${window.innerWidth}px window`);
const out = document.createElement("pre");
out.id = "paths";
out.textContent = JSON.stringify({pieces: pieces, problems: found});
document.body.appendChild(out);
</script>"""


class _CodeText(HTMLParser):
    """The text of every code.path element, as a reader would copy it."""

    def __init__(self):
        super().__init__()
        self.paths: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "code" and ("class", "path") in attrs:
            self.paths.append("")
            self._depth = 1
        elif self._depth:
            self._depth += 1

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.paths[-1] += data


def test_a_path_is_split_after_each_separator_and_reads_the_same():
    html = path_code(r"C:\cases\web-farm-01\bundle.zip!HTTPERR/httperr-2024-03.log:141")
    assert re.findall(r"<span>(.*?)</span>", html) == ["C:\\", "cases\\", "web-farm-01\\", "bundle.zip!", "HTTPERR/",
                                                       "httperr-2024-03.log:141"]
    parser = _CodeText()
    parser.feed(path_code("a/<b>-c/d"))
    assert parser.paths == ["a/<b>-c/d"]


@pytest.fixture(scope="module")
def long_path_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("html") / "customer-web-farm-north-europe-2024" / "WEB01-evidence-collected-by-the-help-desk"
    shutil.copytree(EXAMPLES / "connections-refused", folder)
    page = folder.parent / "report.html"
    code, _ = run_cli("diagnose", "--format", "html", "--output", str(page), str(folder))
    assert code == 0
    return page


def test_every_path_in_the_report_reads_as_given(long_path_report):
    parser = _CodeText()
    parser.feed(long_path_report.read_text(encoding="utf-8"))
    assert parser.paths and all("WEB01-evidence-collected-by-the-help-desk/" in p for p in parser.paths)


@pytest.mark.parametrize("width", [360, 1280])
def test_in_chromium_paths_wrap_only_after_a_separator(tmp_path, long_path_report, width):
    page = long_path_report.read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
                     .replace("</body>", PATH_PROBE + "</body>"), encoding="utf-8")
    done = run_chromium(tmp_path, f"--window-size={width},3000", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="paths">(.*?)</pre>', done.stdout)
    assert found, done.stderr[-2000:]
    result = json.loads(unescape(found.group(1)))
    assert result["pieces"] > 20 and result["problems"] == []
