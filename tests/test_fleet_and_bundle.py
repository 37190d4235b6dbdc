"""A bundle with every evidence format, read as a folder, as loose files and as a zip; several servers in one run."""
from __future__ import annotations

import shutil
import zipfile

from conftest import EXAMPLES, FIXTURES, diagnose_json

BUNDLE = FIXTURES / "bundle-web03"
EVERY_KIND = {"httperr", "iislog", "poolmon", "bcdedit", "systeminfo", "perfmon", "eventlog", "netsh", "netstat",
              "appconfig", "regquery"}


def summary(report: dict) -> dict:
    return {
        server["host"]: {
            "causes": [(c["id"], c["confidence"]) for c in server["causes"]],
            "facts": server["facts"],
            "time_zone": server["time_zone"],
        }
        for server in report["servers"]
    }


def test_bundle_folder_reads_every_format_for_one_server():
    report = diagnose_json(BUNDLE)
    assert report["host"] == "WEB03"
    kinds = {i["path"].rsplit("/", 1)[1]: i["kind"] for i in report["inputs"]}
    assert kinds.pop("SOURCES.md") == "unknown"  # listed, not silently dropped
    assert set(kinds.values()) == EVERY_KIND
    assert all(i["host"] == "WEB03" and not i["skipped"] for i in report["inputs"] if i["kind"] != "unknown")
    ids = [c["id"] for c in report["causes"]]
    assert {"pool-leak-driver", "app-pool-rapid-fail", "boot-3gb-switch"} <= set(ids[:5])
    facts = report["servers"][0]["facts"]
    assert facts["perf.npp_steady_rise"] is True and facts["event.was_rapid_fail.count"] == 1
    assert facts["config.queue_length_min"] == facts["netsh.queue_max_requests_min"] == facts["perf.queue_peak"] == 200
    assert "America/New_York" in report["time_note"] and "bias 240" in report["time_note"]


def test_bundle_folder_loose_files_and_zip_diagnose_the_same(tmp_path):
    files = sorted(p for p in BUNDLE.rglob("*") if p.is_file() and p.name != "SOURCES.md")
    archive = tmp_path / "web03-evidence.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in files:
            bundle.write(path, path.relative_to(BUNDLE).as_posix())
    folder, loose, zipped = diagnose_json(BUNDLE), diagnose_json(*files), diagnose_json(archive)
    assert summary(loose) == summary(folder)
    zipped_summary = summary(zipped)
    # Facts carry no paths, so the zip's differ from the folder's in nothing.
    assert zipped_summary == summary(folder)
    assert len(zipped["inputs"]) == len(files)
    assert all("web03-evidence.zip!" in i["path"] for i in zipped["inputs"])


def test_several_servers_are_grouped_by_host_and_shared_causes_named(tmp_path):
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLES / "connections-refused", fleet / "web01")
    shutil.copytree(EXAMPLES / "connection-dropped", fleet / "web02")
    shutil.copytree(BUNDLE, fleet / "web03")
    # A fourth server whose files name no host: it is known by its folder's name.
    shutil.copytree(EXAMPLES / "connections-refused", fleet / "web04")
    (fleet / "web04" / "systeminfo.txt").unlink()
    (fleet / "web04" / "npp-typeperf.csv").unlink()  # its counter paths name \\WEB01\
    report = diagnose_json(fleet)
    hosts = [s["host"] for s in report["servers"]]
    assert hosts == ["WEB01", "WEB02", "WEB03", "WEB04"]
    for server in report["servers"]:
        folder = server["host"].lower()
        assert server["inputs"] and all(f"/fleet/{folder}/" in path for path in server["inputs"]), server["host"]
    by_path = {i["path"].split("/fleet/")[1]: i["host"] for i in report["inputs"] if i["kind"] != "unknown"}
    assert by_path["web02/HTTPERR/httperr1.log"] == "WEB02"
    assert by_path["web04/HTTPERR/httperr3.log"] == "WEB04"
    assert by_path["web03/W3SVC1/u_ex090812.log"] == "WEB03"
    assert set(report["shared_causes"]["pool-leak-driver"]) >= {"WEB01", "WEB03", "WEB04"}
    assert "WEB02" not in report["shared_causes"].get("pool-leak-driver", [])
    one = {s["host"]: s for s in report["servers"]}
    assert one["WEB02"]["causes"][0]["id"] == "logging-timeout-under-load"
    assert one["WEB03"]["time_zone"] and "PDH bias 360" in one["WEB01"]["time_zone"]
    assert one["WEB02"]["time_zone"] is None


def test_tz_option_sets_the_offset_the_report_names(tmp_path, cli, capsys):
    only_events = tmp_path / "events"
    only_events.mkdir()
    shutil.copy(BUNDLE / "system-events.txt", only_events)
    report = diagnose_json("--tz", "+02:00", only_events)
    assert report["servers"][0]["time_zone"] == "event-log local times converted with UTC+02:00 (from --tz)"
    assert "UTC+02:00 (from --tz)" in report["time_note"]
    assert report["servers"][0]["facts"]["event.was_rapid_fail.count"] == 1
    code, _ = cli("diagnose", "--tz", "Mars/Olympus_Mons", str(only_events))
    assert code == 2
    assert "unknown time zone" in capsys.readouterr().err
