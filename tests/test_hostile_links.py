"""Links inside an evidence folder that lead out of it are not followed, and say so;
a broken link never shows where it pointed."""
from __future__ import annotations

import os
import shutil

import pytest

from conftest import EXAMPLES, diagnose_json, run_cli

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symbolic links")

OUTSIDE_SYSTEMINFO = (EXAMPLES / "connections-refused" / "systeminfo.txt").read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def evidence(tmp_path):
    """The refused bundle with links: out of the folder (absolute and relative), and within it."""
    folder = tmp_path / "case" / "evidence"
    shutil.copytree(EXAMPLES / "connections-refused", folder)
    secret = tmp_path / "case" / "outside-systeminfo.txt"
    secret.write_text(OUTSIDE_SYSTEMINFO.replace("WEB01", "INTRUDER9"), encoding="utf-8")
    (folder / "absolute-out.txt").symlink_to(secret)
    (folder / "relative-out.txt").symlink_to(os.path.join("..", "outside-systeminfo.txt"))
    (folder / "shadow").symlink_to("/etc/shadow")
    (folder / "HTTPERR" / "same-file.log").symlink_to(folder / "HTTPERR" / "httperr3.log")
    return folder, secret


def by_name(report):
    return {item["path"].replace("\\", "/").rsplit("/", 1)[-1]: item for item in report["inputs"]}


def test_links_out_of_the_folder_are_skipped_with_the_reason(evidence):
    folder, _ = evidence
    report = diagnose_json(folder)
    found = by_name(report)
    for name in ("absolute-out.txt", "relative-out.txt", "shadow"):
        assert found[name]["kind"] == "skipped", name
        assert "outside the folder given" in " ".join(p["message"] for p in found[name]["problems"]), name
    assert found["same-file.log"]["kind"] == "httperr"
    assert [server["host"] for server in report["servers"]] == ["WEB01"]
    assert "INTRUDER9" not in str(report)


def test_the_text_report_lists_them(evidence):
    folder, _ = evidence
    code, text = run_cli("diagnose", str(folder))
    assert code == 0
    assert text.count("outside the folder given") >= 3 and "INTRUDER9" not in text


def test_a_file_named_itself_is_read_even_through_a_link(evidence):
    folder, secret = evidence
    report = diagnose_json(folder / "absolute-out.txt")
    assert report["servers"][0]["host"] == "INTRUDER9"


@pytest.mark.parametrize("form", ["text", "markdown", "html", "json"])
def test_a_broken_links_target_is_never_shown(tmp_path, form):
    folder = tmp_path / "evidence"
    shutil.copytree(EXAMPLES / "connections-refused", folder)
    (folder / "gone.log").symlink_to("/srv/FILESRV7.corp.example/share/httperr9.log")
    for redact in ([], ["--redact"]):
        code, text = run_cli("diagnose", "--format", form, *redact, str(folder))
        assert code == 0 and "broken symbolic link" in text
        assert "FILESRV7" not in text and "httperr9" not in text
