"""The user's mistakes and the platform's streams: exit 2 with one plain line, never an
internal error; a stream that cannot take every character still gets the report."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import EXAMPLES, run_cli

REFUSED = EXAMPLES / "connections-refused"
CLI = [sys.executable, "-m", "httperr_doctor.wizard"]


def one_line_usage_error(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("httperr-doctor: "), err
    assert "Traceback" not in err and "timedelta" not in err and "internal error" not in err
    return lines[0]


@pytest.mark.parametrize("argv, says", [
    (["--tz", "+99:99"], "not a UTC offset"),
    (["--tz=-13:00"], "not a UTC offset"),
    (["--tz", "+14:60"], "not a UTC offset"),
    (["--jobs", "300"], "--jobs must be between 1 and"),
    (["--jobs", "0"], "--jobs must be between 1 and"),
    (["--jobs", "-3"], "--jobs must be between 1 and"),
    (["--steps", "-5"], "--steps must be between 0 and"),
    (["--steps", "100000"], "--steps must be between 0 and"),
])
def test_counts_and_offsets_out_of_range_are_usage_errors(argv, says, capsys):
    code, out = run_cli("diagnose", *argv, str(REFUSED))
    assert says in one_line_usage_error(code, capsys.readouterr().err) and not out


def test_jobs_are_bounded_by_the_machine(capsys):
    most = 4 * (os.cpu_count() or 1)
    code, _ = run_cli("diagnose", "--format", "json", "--jobs", str(most), str(REFUSED))
    assert code == 0
    code, _ = run_cli("diagnose", "--jobs", str(most + 1), str(REFUSED))
    assert f"between 1 and {most}" in one_line_usage_error(code, capsys.readouterr().err)


@pytest.mark.parametrize("offset", ["+14:00", "-12:00", "+05:45", "UTC"])
def test_real_offsets_are_still_accepted(offset):
    code, _ = run_cli("diagnose", "--format", "json", f"--tz={offset}", str(REFUSED))
    assert code == 0


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_standard_output_is_a_usage_error():
    with open("/dev/full", "w") as full:
        done = subprocess.run(CLI + ["diagnose", str(REFUSED)], stdout=full, stderr=subprocess.PIPE, text=True)
    assert "No space left" in one_line_usage_error(done.returncode, done.stderr)


@pytest.mark.skipif(os.name == "nt", reason="POSIX file descriptors")
def test_a_closed_standard_output_is_a_usage_error_unless_output_names_a_file(tmp_path):
    close_stdout = {"preexec_fn": lambda: os.close(1)}
    done = subprocess.run(CLI + ["diagnose", str(REFUSED)], stderr=subprocess.PIPE, text=True, **close_stdout)
    assert "standard output is closed" in one_line_usage_error(done.returncode, done.stderr)
    report = tmp_path / "report.json"
    done = subprocess.run(CLI + ["diagnose", "-f", "json", "-o", str(report), str(REFUSED)],
                          stderr=subprocess.PIPE, text=True, **close_stdout)
    assert done.returncode == 0 and json.loads(report.read_text(encoding="utf-8"))["causes"]


@pytest.fixture
def non_ascii_evidence(tmp_path):
    folder = tmp_path / "évidence☃-😀"
    shutil.copytree(REFUSED, folder)
    return folder


@pytest.mark.parametrize("encoding", ["ascii", "cp1252", "cp437"])
@pytest.mark.parametrize("form", ["text", "markdown", "json", "html"])
def test_a_narrow_output_encoding_still_gets_the_report(non_ascii_evidence, encoding, form):
    env = dict(os.environ, PYTHONIOENCODING=encoding, PYTHONUTF8="0")
    done = subprocess.run(CLI + ["diagnose", "--format", form, str(non_ascii_evidence)],
                          capture_output=True, env=env)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    text = done.stdout.decode(encoding)
    if form == "json":
        report = json.loads(text)
        assert any(item["path"].startswith(str(non_ascii_evidence)) for item in report["inputs"])
    elif form == "html":
        assert "&#9731;" in text and "&#128512;" in text
    else:
        assert "\\u2603" in text and "\\U0001f600" in text
