"""Bad, hostile and huge files: each is refused politely, by name, and the rest is still diagnosed."""
from __future__ import annotations

import io
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import EXAMPLES, diagnose_json, run_cli
from httperr_doctor.engine.evidence import ReadFile, iter_files, read
from httperr_doctor.engine.evidence.reader import EvidenceFile, NotRegularFile, open_regular

REFUSED = EXAMPLES / "connections-refused"
HTTPERR_HEAD = (
    "#Software: Microsoft HTTP API 2.0\r\n#Version: 1.0\r\n#Date: 2007-11-13 20:01:44\r\n"
    "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename\r\n"
)
REFUSAL = "2007-11-13 20:01:{:02d} - - - - - - - - - 3_Connections_Refused -\r\n"


def inputs_by_name(report: dict) -> dict[str, dict]:
    return {item["path"].replace("\\", "/").rsplit("/", 1)[-1]: item for item in report["inputs"]}


def messages(item: dict) -> str:
    return " | ".join(p["message"] for p in item["problems"])


@pytest.fixture
def bundle(tmp_path) -> Path:
    """A copy of the connections-refused evidence to add bad files to."""
    target = tmp_path / "bundle"
    shutil.copytree(REFUSED, target)
    return target


def assert_still_diagnosed(report: dict) -> None:
    assert report["causes"][0]["id"] == "nonpaged-pool-exhausted"
    assert report["servers"][0]["facts"]["httperr.reason.Connections_Refused.lines"] == 364


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging forever if something blocks (a FIFO opened for reading)."""
    def expired(*_):
        raise TimeoutError(f"blocked for {seconds} s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- files that are not evidence ---------------------------------------------------------

def test_memory_dump_is_refused_as_binary_and_the_rest_is_used(bundle):
    blob = b"PAGEDU64" + b"\x00" * 4088 + os.urandom(64 * 1024) + b"System pool information\n" + os.urandom(4096)
    (bundle / "MEMORY.DMP").write_bytes(blob)
    report = diagnose_json(bundle)
    dump = inputs_by_name(report)["MEMORY.DMP"]
    assert dump["kind"] == "unknown" and dump["records"] == 0
    assert "binary data" in messages(dump) and "not a text file" in messages(dump)
    assert_still_diagnosed(report)


def test_empty_file_and_empty_folder_are_listed(bundle):
    (bundle / "httperr9.log").write_bytes(b"")
    (bundle / "nothing-here").mkdir()
    report = diagnose_json(bundle)
    found = inputs_by_name(report)
    assert found["httperr9.log"]["kind"] == "empty" and "the file is empty" in messages(found["httperr9.log"])
    assert found["nothing-here"]["kind"] == "empty" and "folder holds no files" in messages(found["nothing-here"])
    assert_still_diagnosed(report)


def test_folder_without_evidence_lists_every_file_and_says_nothing_was_read(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("called the customer, server slow\n")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4)
    for form in ("text", "json"):
        code, text = run_cli("diagnose", "--format", form, str(tmp_path))
        err = capsys.readouterr().err
        assert code == 2 and text == ""  # a usage error (issue 12), not a report of 40 causes not evaluated
        assert "no evidence to diagnose: 2 files found" in err
        assert "notes.txt: unknown" in err and "photo.jpg: unknown" in err and "binary data" in err


def test_unreadable_file_is_reported_and_the_rest_is_used(tmp_path):
    """Permission denied, for real: as root the run takes the `nobody` user's identity for the read."""
    shared = Path(tempfile.mkdtemp(prefix="httperr-perm-"))  # tmp_path is private to root
    try:
        shared.chmod(0o755)
        bundle = shared / "bundle"
        shutil.copytree(REFUSED, bundle)
        secret = bundle / "httperr2.log"
        secret.write_text(HTTPERR_HEAD + REFUSAL.format(1))
        secret.chmod(0)
        with _as_nobody_when_root(bundle):
            report = diagnose_json(bundle)
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    item = inputs_by_name(report)["httperr2.log"]
    assert item["kind"] == "unreadable"
    assert "Permission denied" in messages(item)
    assert_still_diagnosed(report)


@contextmanager
def _as_nobody_when_root(bundle: Path):
    if os.geteuid() != 0:
        yield
        return
    import pwd

    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no 'nobody' user to take the identity of, and root can read any file")
    diagnose_json(bundle)  # import everything first: the interpreter may live where nobody cannot read
    try:
        os.seteuid(nobody)
    except PermissionError:
        pytest.skip("cannot take the 'nobody' identity here, and root can read any file")
    try:
        yield
    finally:
        os.seteuid(0)


def test_fifo_never_blocks_the_run(bundle):
    os.mkfifo(bundle / "pipe.log")
    with deadline(60):
        report = diagnose_json(bundle, bundle / "pipe.log")
        with pytest.raises(NotRegularFile):
            open_regular(bundle / "pipe.log")
    pipes = [i for i in report["inputs"] if i["path"].endswith("pipe.log")]
    assert len(pipes) == 2 and {i["kind"] for i in pipes} == {"special"}
    assert all("named pipe (FIFO)" in messages(i) for i in pipes)
    assert_still_diagnosed(report)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null on this system")
def test_devices_are_not_read(bundle):
    (bundle / "null.log").symlink_to("/dev/null")
    report = diagnose_json(bundle, "/dev/null")
    (device,) = [i for i in report["inputs"] if i["path"].endswith("null")]
    assert device["kind"] == "special" and "character device" in messages(device)
    (link,) = [i for i in report["inputs"] if i["path"].endswith("null.log")]
    assert link["kind"] == "skipped" and "outside the folder given" in messages(link)
    assert_still_diagnosed(report)


def test_symlink_loops_broken_links_and_folder_links(bundle):
    (bundle / "a.log").symlink_to(bundle / "b.log")
    (bundle / "b.log").symlink_to(bundle / "a.log")
    (bundle / "self.log").symlink_to("self.log")
    (bundle / "gone.log").symlink_to(bundle / "deleted.log")
    (bundle / "parent").symlink_to(bundle, target_is_directory=True)
    with deadline(60):
        report = diagnose_json(bundle, bundle / "a.log")
    found = inputs_by_name(report)
    for name in ("a.log", "b.log", "self.log"):
        assert "a loop of symbolic links" in messages(found[name]), name
    assert sum(i["path"].endswith("a.log") for i in report["inputs"]) == 2
    assert "broken symbolic link" in messages(found["gone.log"])
    assert found["parent"]["kind"] == "skipped" and "not followed" in messages(found["parent"])
    assert_still_diagnosed(report)


def test_file_name_that_is_not_utf8_is_shown_escaped_and_json_can_be_written(bundle, tmp_path):
    name = os.fsdecode(b"httperr\xff\x1b[31m.log")
    (bundle / name).write_text(HTTPERR_HEAD + REFUSAL.format(1))
    out = tmp_path / "report.json"
    code, _ = run_cli("diagnose", "-f", "json", "-o", str(out), str(bundle))
    assert code == 0
    import json
    report = json.loads(out.read_text(encoding="utf-8"))
    assert any(i["path"].endswith("httperr\\xff\\x1b[31m.log") and i["records"] == 1 for i in report["inputs"])
    code, text = run_cli("diagnose", str(bundle))
    assert code == 0 and "httperr\\xff\\x1b[31m.log:" in text and "\x1b" not in text  # escape shown, not obeyed


# --- huge lines ------------------------------------------------------------------------

def test_two_gigabyte_line_is_skipped_with_flat_memory(tmp_path):
    """A sparse file: 2 GiB of NULs on one line between real lines, without 2 GiB on disk."""
    path = tmp_path / "httperr_huge.log"
    with open(path, "wb") as stream:
        stream.write((HTTPERR_HEAD + "".join(REFUSAL.format(s) for s in range(3))).encode())
        stream.seek(2 * 1024**3, io.SEEK_CUR)
        stream.write(b"\r\n" + "".join(REFUSAL.format(s) for s in range(3, 6)).encode())
    tracemalloc.start()
    try:
        result = read(EvidenceFile.from_path(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.kind == "httperr"
    assert result.result.stats.records == 6 and result.result.stats.reasons["Connections_Refused"] == 18
    assert [(s.line, s.reason) for s in result.skips] == [
        (8, "line is 2,147,483,650 bytes long, over the 65,536-byte limit")]
    assert peak < 16 * 1024**2, f"peak memory {peak:,} bytes"


def test_overlong_utf16_line_is_skipped_and_counted(monkeypatch, tmp_path):
    from httperr_doctor.engine.evidence import reader

    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 256)
    text = HTTPERR_HEAD + REFUSAL.format(1) + "2007-11-13 20:01:02 " + "x" * 5000 + "\r\n" + REFUSAL.format(3)
    path = tmp_path / "httperr_utf16.log"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    result = read(EvidenceFile.from_path(path))
    assert result.kind == "httperr" and result.result.stats.records == 2
    assert [s.line for s in result.skips] == [6] and "5,021 characters long" in result.skips[0].reason


def test_read_error_half_way_keeps_what_was_read(tmp_path):
    data = (HTTPERR_HEAD + "".join(REFUSAL.format(s % 60) for s in range(600))).encode()

    class Failing(io.RawIOBase):
        def __init__(self):
            self.left = io.BytesIO(data[: len(data) // 2])  # more than the sniffed head

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self.left.read(min(len(buffer), 512))
            if not chunk:
                raise OSError(5, "Input/output error")
            buffer[: len(chunk)] = chunk
            return len(chunk)

    result = read(EvidenceFile("share/httperr1.log", lambda: io.BufferedReader(Failing(), 1024), len(data)))
    assert result.kind == "httperr" and 250 < result.result.stats.records < 600
    stop = result.skips[-1]
    assert stop.reason == "reading stopped here: Input/output error"
    assert stop.line == result.result.stats.records + 5  # 4 header lines, then the line that failed


def test_missing_path_next_to_a_good_one_is_listed(tmp_path):
    report = diagnose_json(REFUSED, tmp_path / "not-there")
    missing = [i for i in report["inputs"] if i["kind"] == "missing"]
    assert len(missing) == 1 and "no such file or folder" in messages(missing[0])
    assert_still_diagnosed(report)


def test_iter_files_yields_every_refusal_as_a_readfile(bundle):
    os.mkfifo(bundle / "pipe")
    items = list(iter_files([str(bundle)]))
    assert any(isinstance(i, ReadFile) and i.kind == "special" for i in items)
    assert sum(isinstance(i, EvidenceFile) for i in items) == len(list(REFUSED.rglob("*.*")))
    assert not stat.S_ISREG(os.stat(bundle / "pipe").st_mode)


def test_folder_tree_deeper_than_the_recursion_limit_is_walked(tmp_path):
    levels = sys.getrecursionlimit() + 200
    deepest = tmp_path
    for _ in range(levels):
        deepest = deepest / "d"
        deepest.mkdir()
    (deepest / "httperr1.log").write_text(HTTPERR_HEAD + REFUSAL.format(1))
    try:
        report = diagnose_json(tmp_path)
    finally:
        (deepest / "httperr1.log").unlink()
        while deepest != tmp_path:  # shutil.rmtree on Python 3.11 recurses and would fail here
            deepest.rmdir()
            deepest = deepest.parent
    [item] = report["inputs"]
    assert item["kind"] == "httperr" and item["records"] == 1 and item["path"].count("/d") == levels
