"""Windows readiness that can be checked on Linux: the cache under %LOCALAPPDATA%, and Windows
paths (drive letters, \\\\server\\share) and CRLF in evidence and saved answers."""
from __future__ import annotations

from pathlib import PureWindowsPath

from httperr_doctor.engine.kbcache import NO_CACHE_ENV, cache_location


def test_the_cache_lives_under_localappdata_on_windows():
    local = r"C:\Users\amy\AppData\Local"
    assert cache_location({"LOCALAPPDATA": local}, True, r"C:\Users\amy") == PureWindowsPath(local, "httperr-doctor")
    # A roaming profile on a file share, and no LOCALAPPDATA at all (a service account's shell).
    share = r"\\fs01\profiles\amy\AppData\Local"
    assert str(cache_location({"LOCALAPPDATA": share}, True, "~")) == share + r"\httperr-doctor"
    assert cache_location({}, True, r"D:\Users\svc") == PureWindowsPath(r"D:\Users\svc\AppData\Local\httperr-doctor")
    assert cache_location({NO_CACHE_ENV: "1", "LOCALAPPDATA": local}, True, "C:\\") is None
    assert cache_location({}, True, "~") is None


def test_localappdata_is_not_used_off_windows():
    assert str(cache_location({"LOCALAPPDATA": "C:\\x"}, False, "/home/amy")) == "/home/amy/.cache/httperr-doctor"
    assert str(cache_location({"XDG_CACHE_HOME": "/var/cache/u"}, False, "/home/amy")) == "/var/cache/u/httperr-doctor"


# -- servers told apart on Windows paths ----------------------------------------------------
from httperr_doctor.engine.hosts import group_by_host  # noqa: E402
from httperr_doctor.engine.evidence import ReadFile  # noqa: E402
from httperr_doctor.engine.evidence.base import ParseResult  # noqa: E402


def read(path: str, host: str | None = None) -> ReadFile:
    return ReadFile(path=path, kind="httperr", result=ParseResult(kind="httperr", host=host))


def grouped(*files: ReadFile) -> dict[str, list[str]]:
    return {host: [f.path for f in members] for host, members in group_by_host(list(files), PureWindowsPath).items()}


def test_servers_on_two_drives_are_grouped_without_a_common_folder():
    files = [read(r"C:\cases\WEB01\httperr1.log"), read(r"C:\cases\WEB01\systeminfo.txt", "web01.contoso.local"),
             read(r"D:\WEB02\httperr7.log"), read(r"D:\WEB02\systeminfo.txt", "WEB02")]
    assert grouped(*files) == {"WEB01": [files[0].path, files[1].path], "WEB02": [files[2].path, files[3].path]}


def test_unc_shares_and_a_folder_named_after_its_server():
    files = [read(r"\\fs01\evidence\WEB03\httperr1.log"), read(r"\\fs01\evidence\WEB03\systeminfo.txt", "WEB03"),
             read(r"\\fs02\tickets\WEB04\httperr2.log")]
    assert grouped(*files) == {"WEB03": [files[0].path, files[1].path], "WEB04": [files[2].path]}


def test_windows_folders_match_whatever_their_case():
    files = [read(r"C:\Cases\WEB01\httperr1.log"), read(r"c:\cases\web01\systeminfo.txt", "WEB01"),
             read(r"C:\CASES\Web05\httperr9.log")]
    assert grouped(*files) == {"WEB01": [files[0].path, files[1].path], "WEB05": [files[2].path]}


def test_relative_and_absolute_evidence_paths_in_one_run(tmp_path, monkeypatch, cli):
    """Mixing them once crashed (os.path.commonpath refuses); on Windows so did two drives."""
    import json
    import shutil

    from conftest import EXAMPLES

    shutil.copytree(EXAMPLES / "connections-refused", tmp_path / "WEB01")
    monkeypatch.chdir(tmp_path)
    code, text = cli("diagnose", "--format", "json", "WEB01", str(EXAMPLES / "connection-dropped"))
    assert code == 0, text
    assert {s["host"] for s in json.loads(text)["servers"]} == {"WEB01", "WEB02"}


# -- a session saved on Windows, replayed here ------------------------------------------------
def test_a_session_saved_on_windows_with_crlf_and_backslashes_replays(tmp_path, cli):
    import json
    import shutil

    from conftest import EXAMPLES

    shutil.copytree(EXAMPLES / "connections-refused", tmp_path / "ticket 1234" / "evidence")
    session = tmp_path / "ticket 1234" / "case.yaml"
    session.write_bytes(b"format: httperr-doctor-session\r\nversion: 1\r\nevidence:\r\n- evidence\\HTTPERR\r\n"
                        b"- evidence\\systeminfo.txt\r\n- evidence\\boot.ini\r\nanswers:\r\n"
                        b"- {question: npp_used, fact: memory.npp_used_mb, value: 109}\r\n")
    code, text = cli("wizard", "--answers", str(session), "--format", "json")
    assert code == 0, text
    report = json.loads(text)
    assert report["causes"][0]["id"] == "nonpaged-pool-exhausted"
    assert report["servers"][0]["facts"]["memory.npp_free_mb"] == 19
    assert {i["kind"] for i in report["inputs"]} >= {"httperr", "systeminfo", "bootini"}
