"""Which server each file is put with, as engineers hand evidence over: one server's files spread
over folders, a folder per server, a zip of a farm, files that name no server at all; and the
reason the report gives for every guess."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PureWindowsPath

from conftest import EXAMPLES, diagnose_json, run_cli

from httperr_doctor.engine.evidence import ReadFile
from httperr_doctor.engine.evidence.base import ParseResult
from httperr_doctor.engine.hosts import UNNAMED_HOST, place_files

REFUSED = EXAMPLES / "connections-refused"  # names WEB01 in systeminfo.txt and npp-typeperf.csv
DROPPED = EXAMPLES / "connection-dropped"  # names WEB02 in systeminfo.txt


def lay_out(root: Path, files: dict[str, Path]) -> Path:
    """Copy example files to `root` under the given relative names."""
    for name, source in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, root / name)
    return root


def by_file(report: dict) -> dict[str, tuple[str, str | None]]:
    """Each input's name relative to the bundle (the part after the last `case/`, `farm/` or `!`) -> (host, reason)."""
    out = {}
    for item in report["inputs"]:
        name = item["path"].replace("\\", "/").split("!")[-1]
        for marker in ("/case/", "/farm/"):
            name = name.split(marker)[-1]
        out[name] = (item["host"], item["host_reason"])
    return out


def causes(report: dict, host: str | None = None) -> dict[str, float]:
    server = report["servers"][0] if host is None else next(s for s in report["servers"] if s["host"] == host)
    return {c["id"]: c["confidence"] for c in server["causes"]}


NO_NAME_SERVER = {"HTTPERR/httperr3.log": REFUSED / "HTTPERR" / "httperr3.log",
                  "tools/poolmon-b.txt": REFUSED / "poolmon-b.txt", "tools/boot.ini": REFUSED / "boot.ini"}


def test_one_server_split_across_folders_without_a_name_is_diagnosed_as_one(tmp_path):
    split = diagnose_json(lay_out(tmp_path / "case", NO_NAME_SERVER))
    flat = diagnose_json(lay_out(tmp_path / "flat", {Path(k).name: v for k, v in NO_NAME_SERVER.items()}))
    assert [s["host"] for s in split["servers"]] == [UNNAMED_HOST] and split["host"] is None
    facts = split["servers"][0]["facts"]
    # HTTPERR's refusals and PoolMon's leaking tag meet in one diagnosis, as in one folder.
    assert facts["httperr.reason.Connections_Refused.count"] == 1268 and facts["poolmon.top_npp_tag"] == "AvSc"
    assert causes(split) == causes(flat)
    assert {"pool-leak-driver", "nonpaged-pool-exhausted"} <= set(causes(split))
    reasons = {reason for _, reason in by_file(split).values()}
    assert reasons == {"no file names its server, so every file is taken as one server's evidence"}


def test_one_server_split_across_folders_joins_the_server_its_systeminfo_names(tmp_path):
    case = lay_out(tmp_path / "case", {**NO_NAME_SERVER, "tools/systeminfo.txt": REFUSED / "systeminfo.txt"})
    report = diagnose_json(case)
    assert report["host"] == "WEB01" and len(report["servers"]) == 1
    placed = by_file(report)
    assert placed["tools/systeminfo.txt"] == ("WEB01", None)  # it names its server itself
    host, why = placed["HTTPERR/httperr3.log"]
    assert host == "WEB01" and why.startswith("WEB01 is the only server the evidence names (")
    assert why.endswith("tools/systeminfo.txt)")
    assert placed["tools/poolmon-b.txt"][1].startswith("the folder tools holds ")
    assert causes(report)["nonpaged-pool-exhausted"] > 0.9  # free pool needs systeminfo's OS and boot.ini together


def test_two_servers_each_in_its_own_folder_without_names_stay_two(tmp_path):
    farm = lay_out(tmp_path / "farm", {
        "web01/HTTPERR/httperr3.log": REFUSED / "HTTPERR" / "httperr3.log", "web01/poolmon-b.txt": REFUSED / "poolmon-b.txt",
        "web02/HTTPERR/httperr1.log": DROPPED / "HTTPERR" / "httperr1.log", "web02/boot.ini": DROPPED / "boot.ini"})
    report = diagnose_json(farm)
    assert [s["host"] for s in report["servers"]] == ["WEB01", "WEB02"]
    placed = by_file(report)
    assert placed["web01/poolmon-b.txt"][0] == "WEB01" and placed["web02/boot.ini"][0] == "WEB02"
    assert "the folders web01 and web02 each hold HTTPERR logs of their own" in placed["web02/boot.ini"][1]
    assert "pool-leak-driver" in causes(report, "WEB01") and "pool-leak-driver" not in causes(report, "WEB02")
    assert "Connections_Refused" not in str(report["servers"][1]["facts"].get("httperr.top_reason"))


def test_a_zip_of_a_farm_puts_each_file_with_its_server_and_says_why(tmp_path):
    archive = tmp_path / "farm.zip"
    members = {
        **{f"web01/{p.relative_to(REFUSED).as_posix()}": p for p in REFUSED.rglob("*") if p.is_file() and p.suffix != ".md"},
        **{f"web02/{p.relative_to(DROPPED).as_posix()}": p for p in DROPPED.rglob("*") if p.is_file() and p.suffix != ".md"},
        "web03/HTTPERR/httperr3.log": REFUSED / "HTTPERR" / "httperr3.log",  # a server that names itself nowhere
        "poolmon-web02-1400.txt": REFUSED / "poolmon-b.txt",  # loose at the top, named after its server
        "HTTPERR/httperr9.log": DROPPED / "HTTPERR" / "httperr1.log",  # loose, and nothing says whose
    }
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, source in members.items():
            bundle.write(source, name)
    report = diagnose_json(archive)
    assert [s["host"] for s in report["servers"]] == [UNNAMED_HOST, "WEB01", "WEB02", "WEB03"]
    placed = by_file(report)
    assert placed["web01/systeminfo.txt"] == ("WEB01", None) and placed["web01/npp-typeperf.csv"] == ("WEB01", None)
    assert placed["web01/HTTPERR/httperr3.log"][0] == "WEB01"
    assert placed["web02/W3SVC1/ex070101.log"][0] == "WEB02"
    host, why = placed["poolmon-web02-1400.txt"]
    assert host == "WEB02" and why.startswith("WEB02 is in the file name, and ") and why.endswith("names that server")
    host, why = placed["web03/HTTPERR/httperr3.log"]
    assert host == "WEB03" and why.startswith("nothing in the folder web03 names a server, and ")
    host, why = placed["HTTPERR/httperr9.log"]
    assert host == UNNAMED_HOST and "the folder HTTPERR is named after the evidence it holds" in why
    assert "poolmon.top_npp_tag" in report["servers"][2]["facts"]  # the loose PoolMon went to WEB02


def test_files_that_name_no_server_in_one_folder_are_one_unnamed_server_and_the_report_says_so(tmp_path):
    case = lay_out(tmp_path / "case", {"httperr3.log": REFUSED / "HTTPERR" / "httperr3.log",
                                       "poolmon-b.txt": REFUSED / "poolmon-b.txt"})
    code, text = run_cli("diagnose", str(case))
    assert code == 0
    assert "=== Server" not in text
    assert ("- Put with an unnamed server (2 files: " in text
            and "because no file names its server, so every file is taken as one server's evidence." in text)
    code, markdown = run_cli("diagnose", "--format", "markdown", str(case))
    assert "## Files that do not name their server" in markdown
    code, html = run_cli("diagnose", "--format", "html", str(case))
    assert html.count("Server: (unnamed server), because no file names its server") == 2


def test_files_that_name_their_server_give_no_reason(tmp_path):
    report = diagnose_json(REFUSED)
    assert all(i["host_reason"] is None for i in report["inputs"] if i["kind"] in {"systeminfo", "perfmon"})
    code, text = run_cli("diagnose", str(REFUSED))
    # The unnamed files in the same bundle are explained; the ones that name WEB01 are not listed.
    guessed = text.split("Files that do not name their server:")[1].split("Evidence read:")[0]
    assert "Put with WEB01 (4 files: " in guessed and "because WEB01 is the only server the evidence names" in guessed
    assert "systeminfo.txt," not in guessed and "npp-typeperf.csv," not in guessed


IIS_WITH_COMPUTER = """#Software: Microsoft Internet Information Services 10.0
#Version: 1.0
#Date: 2026-11-30 08:00:00
#Fields: date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken
2026-11-30 08:00:01 W3SVC1 WEB07 10.0.0.7 GET /default.aspx - 443 - 10.0.0.50 Mozilla/5.0 200 0 0 31
2026-11-30 08:00:02 W3SVC1 WEB07 10.0.0.7 GET /api/orders - 443 - 10.0.0.51 Mozilla/5.0 200 0 0 120
"""


def test_an_iis_log_with_s_computername_names_the_server_of_the_files_beside_it(tmp_path):
    case = lay_out(tmp_path / "case", NO_NAME_SERVER)
    (case / "W3SVC1").mkdir()
    (case / "W3SVC1" / "u_ex261130.log").write_text(IIS_WITH_COMPUTER, encoding="utf-8")
    report = diagnose_json(case)
    assert report["host"] == "WEB07"
    placed = by_file(report)
    assert placed["W3SVC1/u_ex261130.log"] == ("WEB07", None)
    assert placed["tools/poolmon-b.txt"][1].startswith("WEB07 is the only server the evidence names (")


# -- Windows paths (the rules themselves, on names as an engineer's share spells them) ----------------
def read(path: str, host: str | None = None, kind: str = "httperr") -> ReadFile:
    return ReadFile(path=path, kind=kind, result=ParseResult(kind=kind, host=host))


def placed(*files: ReadFile) -> dict[str, tuple[str, str | None]]:
    placement = place_files(list(files), PureWindowsPath)
    return {f.path.rsplit("\\", 1)[-1]: (host, placement.reasons.get(f.path))
            for host, members in placement.groups.items() for f in members}


def test_evidence_folders_on_a_share_are_one_server_and_named_folders_are_servers():
    one = placed(read(r"\\fs01\case\HTTPERR\httperr1.log"), read(r"\\fs01\case\perf\perf.csv", kind="perfmon"),
                 read(r"\\fs01\case\logs\system.csv", kind="eventlog"), read(r"\\fs01\case\events\app.csv", kind="eventlog"))
    assert {host for host, _ in one.values()} == {UNNAMED_HOST}
    two = placed(read(r"\\fs01\case\day 1\httperr1.log"), read(r"\\fs01\case\day 2\httperr2.log"),
                 read(r"\\fs01\case\day 2\poolmon.txt", kind="poolmon"))
    assert two["httperr1.log"][0] == "DAY 1" and two["poolmon.txt"][0] == "DAY 2"
    assert two["poolmon.txt"][1].endswith("the server is called after the folder")


def test_several_servers_named_and_a_file_whose_path_names_none_is_kept_apart():
    files = placed(read(r"C:\cases\1234\systeminfo-a.txt", "WEB01", "systeminfo"),
                   read(r"C:\cases\1234\systeminfo-b.txt", "WEB02", "systeminfo"),
                   read(r"C:\cases\1234\httperr1.log"), read(r"C:\cases\1234\WEB02_httperr2.log"))
    assert files["httperr1.log"] == (UNNAMED_HOST, "no name on its path tells which of WEB01 and WEB02 it belongs to")
    assert files["WEB02_httperr2.log"][0] == "WEB02"


def test_a_host_name_inside_a_longer_word_is_not_read_as_that_host():
    files = placed(read(r"C:\cases\WEB01\systeminfo.txt", "WEB01", "systeminfo"),
                   read(r"C:\cases\WEB02\systeminfo.txt", "WEB02", "systeminfo"),
                   read(r"C:\cases\WEB010-old.log"), read(r"C:\cases\WEB02\HTTPERR\httperr.log"))
    assert files["WEB010-old.log"][0] == UNNAMED_HOST
    assert files["httperr.log"] == ("WEB02", r"the folder WEB02 holds C:\cases\WEB02\systeminfo.txt, which names WEB02")
