"""Report sentences say only what the evidence says: names come from the lines that carry the reason."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import diagnose_json

CASES = Path(__file__).resolve().parent / "cases"


def _cause(report: dict, cause_id: str) -> dict:
    return next(c for c in report["causes"] if c["id"] == cause_id)


def test_app_offline_sentence_names_the_pool_on_the_app_offline_lines(tmp_path):
    """The busiest pool overall (MyAppPool, abandoned connections) never logged AppOffline."""
    bundle = tmp_path / "bundle"
    shutil.copytree(CASES / "rapid-fail-crashes", bundle)
    log = bundle / "HTTPERR" / "httperr1.log"
    text = log.read_text(encoding="utf-8").replace("AppOffline OrdersPool", "AppOffline DefaultAppPool")
    abandoned = "".join(
        f"2015-03-10 07:{m:02d}:{s:02d} 10.9.8.7 5{m:02d}{s:02d} 10.1.2.20 80 HTTP/1.1 GET /orders 503 1 "
        "Connection_Abandoned_By_AppPool MyAppPool\n" for m in range(10, 40) for s in range(0, 60, 5))
    lines = text.splitlines(keepends=True)
    header = [line for line in lines if line.startswith("#")]
    log.write_text("".join(header) + abandoned + "".join(line for line in lines if not line.startswith("#")), encoding="utf-8")

    report = diagnose_json(bundle)
    facts = report["servers"][0]["facts"]
    assert facts["httperr.top_queue"] == "MyAppPool"
    assert facts["httperr.reason.AppOffline.top_queue"] == "DefaultAppPool"
    summary = _cause(report, "app-pool-rapid-fail")["summary"]
    assert "DefaultAppPool" in summary and "MyAppPool" not in summary


def test_rapid_fail_sentence_names_the_pools_from_the_events_and_the_lines(tmp_path):
    report = diagnose_json(CASES / "rapid-fail-crashes")
    facts = report["servers"][0]["facts"]
    assert facts["event.was_rapid_fail.pool"] == facts["httperr.reason.AppOffline.top_queue"] == "OrdersPool"
    summary = _cause(report, "app-pool-rapid-fail")["summary"]
    assert "WAS disabled application pool OrdersPool (1 rapid-fail event)" in summary
    assert "503 AppOffline for application pool OrdersPool." in summary


DEFAULTS_ONLY = ("\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters\\SslBindingInfo\r\n"
                 "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters\\UrlAclInfo\r\n")
WITH_VALUES_AT_DEFAULT = ("\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters\r\n"
                          "    EnableErrorLogging    REG_DWORD    0x1\r\n"
                          "    ErrorLoggingDir    REG_EXPAND_SZ    %SystemRoot%\\System32\\LogFiles\r\n\r\n"
                          "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters\\UrlAclInfo\r\n")


def _header_bundle(tmp_path: Path, registry: str | None) -> Path:
    bundle = tmp_path / "bundle"
    shutil.copytree(CASES / "header-kerberos-bloat", bundle)
    (bundle / "expected.yaml").unlink()
    reg = bundle / "reg-http-parameters.txt"
    if registry is None:
        reg.unlink()
    else:
        reg.write_text(registry, encoding="utf-8")
    return bundle


def test_header_limits_are_not_called_lowered_without_registry_evidence(tmp_path):
    report = diagnose_json(_header_bundle(tmp_path, None))
    summary = _cause(report, "header-too-large")["summary"]
    assert "below" not in summary and "above" not in summary
    assert "httpsys.max_field_length" not in report["servers"][0]["facts"]


@pytest.mark.parametrize("registry", [DEFAULTS_ONLY, WITH_VALUES_AT_DEFAULT], ids=["subkeys-only", "other-values-only"])
def test_a_registry_at_its_defaults_is_evidence_the_limits_were_not_lowered(tmp_path, registry):
    report = diagnose_json(_header_bundle(tmp_path, registry))
    facts = report["servers"][0]["facts"]
    assert facts["httpsys.max_field_length"] == facts["httpsys.max_request_bytes"] == 16384
    assert facts["httpsys.header_limits_lowered"] is False
    summary = _cause(report, "header-too-large")["summary"]
    assert "below" not in summary and "at or above the 16,384-byte default" in summary
    assert report["inputs"][0]["kind"] != "unknown"


def test_a_lowered_registry_value_is_named_as_lowered():
    """MaxFieldLength is 8,192 there and MaxRequestBytes at its default: only the first is named."""
    report = diagnose_json(CASES / "header-kerberos-bloat")
    assert _cause(report, "header-too-large")["summary"] == (
        "HTTP.sys rejected 64 requests over its size limits while HTTP\\Parameters sets MaxFieldLength (8,192 bytes) "
        "below the 16,384-byte default.")
    assert report["servers"][0]["facts"]["httpsys.max_request_bytes"] == 16384


def test_text_and_html_use_plain_words():
    from httperr_doctor.engine.diagnosis import diagnose
    from httperr_doctor.engine.render.html import render_html
    from httperr_doctor.engine.render.text import render_text

    report = diagnose([str(CASES.parent.parent / "examples" / "connection-dropped")])
    rule_ids = {step.rule for cause in report.causes for step in cause.reasoning}
    assert rule_ids
    text, html = render_text(report), render_html(report)
    for shown in (text, html):
        assert "MYCIN" not in shown and not any(rule in shown for rule in rule_ids)
        assert " 1 reasons" not in shown and "(1 reasons)" not in shown
    assert "Reasoning (1 reason)" in html


def test_files_read_reach_the_key_numbers_with_3gb_and_netsh(tmp_path):
    from httperr_doctor.engine.render.common import key_numbers

    bundle = tmp_path / "bundle"
    shutil.copytree(CASES / "refused-av-leak-3gb", bundle)
    shutil.copy(Path(__file__).resolve().parent / "fixtures" / "collector" / "variants" / "server2008-by-hand"
                / "netsh-http-servicestate.txt", bundle / "netsh-http-servicestate.txt")
    from httperr_doctor.engine.diagnosis import diagnose
    labels = {k.label: k.value for k in key_numbers(diagnose([str(bundle)]).servers[0])}
    assert labels["/3GB boot switch"] == "yes"
    assert "Request queue length (netsh)" in labels and "Idle connection timeout (netsh)" in labels


def test_httpevent_bind_failures_are_read_and_named_without_claiming_503_na():
    report = diagnose_json(Path(__file__).resolve().parent / "fixtures" / "eventlog" / "httpevent-system.txt")
    assert report["servers"][0]["facts"]["event.http_bind_failed.count"] == 1  # the 15007 reservation added is not a failure
    assert report["servers"][0]["facts"]["event.http_reservation_added.count"] == 1
    cause = _cause(report, "url-reservation-conflict")
    assert "HTTP_BIND_FAILED_LOGGED" in {step["rule"] for step in cause["reasoning"]}
    assert "1 HttpEvent error for 10.1.4.27:443:" in cause["summary"] and "N/A" not in cause["summary"]
    assert report["servers"][0]["facts"]["event.http_bind_failed.addresses"] == "10.1.4.27:443"
    assert any("event for 10.1.4.27:443:" in step["text"] for step in cause["reasoning"])


W3SVC_1009 = ("Event Type:\tWarning\nEvent Source:\tW3SVC\nEvent Category:\tNone\nEvent ID:\t1009\nDate:\t\t3/10/2015\n"
              "Time:\t\t9:38:30 AM\nUser:\t\tN/A\nComputer:\tORDERS01\nDescription:\nA process serving application pool "
              "'ReportsPool' terminated unexpectedly. The process id was '5120'. The process exit code was '0xff'.\n\n")


def test_event_sentences_name_each_pool_with_its_count(tmp_path):
    """Five WAS 5009 crashes name OrdersPool, one W3SVC 1009 crash names ReportsPool: no sentence
    about the six crashes may name OrdersPool alone, and none counts them without the pools."""
    bundle = tmp_path / "bundle"
    shutil.copytree(CASES / "rapid-fail-crashes", bundle)
    (bundle / "iis6-events.txt").write_text(W3SVC_1009, encoding="utf-8")
    report = diagnose_json(bundle)
    facts = report["servers"][0]["facts"]
    assert facts["event.was_crash.count"] == 6
    assert facts["event.was_crash.pools"] == "application pools OrdersPool (5), ReportsPool (1)"
    assert facts["event.was_rapid_fail.pools"] == "application pool OrdersPool"
    worker = _cause(report, "worker-process-failure")
    assert "of application pools OrdersPool (5), ReportsPool (1) that crashed" in worker["summary"]
    assert any("application pools OrdersPool (5), ReportsPool (1)" in step["text"] for step in worker["reasoning"])
    rapid = _cause(report, "app-pool-rapid-fail")
    assert "6 worker-process crashes in application pools OrdersPool (5), ReportsPool (1)" in rapid["summary"]
    assert any(step["text"].startswith("The System log has 1 rapid-fail event (WAS 5002 / W3SVC 1002) for application pool "
                                       "OrdersPool:") for step in rapid["reasoning"])
    crashes = next(e for e in rapid["evidence"] if e["fact"] == "event.was_crash.count")
    assert "6 events, ID 1009, 5009" in crashes["text"] and "application pools OrdersPool (5), ReportsPool (1)" in crashes["text"]


def test_events_that_name_no_pool_are_counted_without_one(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(CASES / "rapid-fail-crashes", bundle)
    events = bundle / "system-events.txt"
    events.write_text(events.read_text(encoding="utf-8").replace("serving application pool 'OrdersPool'", "serving the site"),
                      encoding="utf-8")
    report = diagnose_json(bundle)
    facts = report["servers"][0]["facts"]
    assert "event.was_crash.pools" not in facts and "event.worker_failures.pools" not in facts
    worker = _cause(report, "worker-process-failure")
    assert worker["summary"].startswith("The System log has 5 events for worker processes that crashed")


def test_without_poolmon_the_leak_sentence_speaks_of_what_perfmon_showed(tmp_path):
    """No PoolMon capture: nothing says which driver holds the pool, only that it kept rising."""
    bundle = tmp_path / "bundle"
    shutil.copytree(Path(__file__).resolve().parent.parent / "examples" / "connections-refused", bundle)
    for capture in bundle.glob("poolmon*"):
        capture.unlink()
    report = diagnose_json(bundle)
    assert not any(k.startswith("poolmon.") for k in report["servers"][0]["facts"])
    summary = _cause(report, "pool-leak-driver")["summary"]
    assert "climbed by 31.3 MB a little at a time across the perfmon capture and never fell back" in summary
    assert "holds far more" not in summary and "Pool tag" not in summary


def _second_pool(bundle: Path, log: str, reason: str, first: str, second: str, every: int) -> None:
    """Every `every`-th line of `reason` names `second` instead of `first`."""
    path = bundle / "HTTPERR" / log
    lines, seen = [], 0
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if f" {reason} {first}" in line:
            seen += 1
            if seen % every == 0:
                line = line.replace(f" {reason} {first}", f" {reason} {second}")
        lines.append(line)
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("case, log, reason, first, cause, told", [
    ("rapid-fail-crashes", "httperr1.log", "AppOffline", "OrdersPool", "app-pool-rapid-fail",
     "260 requests with 503 AppOffline for application pools OrdersPool (195), ShopPool (65)"),
    ("pool-stopped-script", "httperr1.log", "Disabled", "HrPool", "app-pool-stopped",
     "180 requests with 503 Disabled for application pools HrPool (135), ShopPool (45)"),
])
def test_a_count_beside_a_pool_is_that_pools_count(tmp_path, case, log, reason, first, cause, told):
    """A quarter of the lines name another pool: the sentence gives each pool its own figure,
    never the total beside the busiest pool's name."""
    bundle = tmp_path / "bundle"
    shutil.copytree(CASES / case, bundle)
    _second_pool(bundle, log, reason, first, "ShopPool", 4)
    report = diagnose_json(bundle)
    summary = _cause(report["servers"][0], cause)["summary"]
    assert told in summary
    assert f"for pool {first}" not in summary


def test_queue_timeouts_are_counted_per_pool(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(CASES / "queue-hung-worker", bundle)
    log = next((bundle / "HTTPERR").iterdir()).name
    _second_pool(bundle, log, "Timer_ReqQueue", "SearchPool", "ShopPool", 3)
    report = diagnose_json(bundle)
    facts = report["servers"][0]["facts"]
    searched, shop = (int(n.replace(",", "")) for n in re.findall(
        r"SearchPool \(([\d,]+)\), ShopPool \(([\d,]+)\)", facts["httperr.queue_timer.queues"])[0])
    assert searched + shop == facts["httperr.queue_timer.lines"] and searched > shop > 0
    summary = _cause(report["servers"][0], "queue-not-draining")["summary"]
    assert facts["httperr.queue_timer.queues"] in summary and "for pool SearchPool" not in summary


def test_identity_events_for_two_pools_name_each_with_its_count(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(CASES / "story-pool-identity-password", bundle)
    events = bundle / "system-events.txt"
    text = events.read_text(encoding="utf-8")
    events.write_text(text.replace("Application pool 'FlexNet Manager Platform' has been disabled",
                                   "Application pool 'FlexNet Inventory' has been disabled"), encoding="utf-8")
    report = diagnose_json(bundle)
    facts = report["servers"][0]["facts"]
    summary = _cause(report["servers"][0], "app-pool-cannot-start")["summary"]
    assert facts["event.was_identity_invalid.pools"] in summary
    assert "(1)" in facts["event.was_identity_invalid.pools"]
    assert f"application pool {facts['event.was_identity_invalid.pool']} with" not in summary


def test_parse_errors_name_the_reason_seen_most_among_them_not_a_majority_it_lacks():
    """URL is 65 of the 240 parse-error lines: the most often, not "mostly"."""
    server = diagnose_json(CASES / "scanner-probes")["servers"][0]
    assert server["facts"]["httperr.scanner_parse.top_reason"] == "URL"
    summary = _cause(server, "malformed-requests")["summary"]
    assert "(most often URL)" in summary and "mostly" not in summary


def _said(server: dict, cause_id: str) -> str:
    """Everything the report says about a cause: its summary, or why it was ruled out, and its reasons."""
    for cause in server["causes"]:
        if cause["id"] == cause_id:
            return " ".join([cause["summary"]] + [step["text"] for step in cause["reasoning"]])
    cause = next(c for c in server["ruled_out"] if c["id"] == cause_id)
    return " ".join(step["text"] for step in cause["reasons"])


@pytest.mark.parametrize("case, cause, unsaid, said", [
    # 2,459.7 MB of the pool was free when PoolMon looked: nothing may call that "only".
    ("refused-leak-x64-perfmon", "nonpaged-pool-exhausted", "Only 2,459.7 MB", "3 Srv 2019 events"),
    ("refused-leak-x64-perfmon", "pool-leak-driver", "starving http.sys", "more than a healthy driver needs"),
    # 5,986 of 6,003 lines are idle expiries: not all of them.
    ("healthy-idle-url-scans", "idle-connections-benign", "100% of the HTTPERR lines",
     "Timer_ConnectionIdle makes up more than 99% of the HTTPERR lines"),
    # 130 NotFound lines (background noise, and here the leading cause) are there: named, not "and the like".
    ("notfound-old-binding", "idle-connections-benign", "Besides idle keep-alive expiries HTTPERR has 0 entries",
     "Apart from entries that are usually background noise (here 148 Timer_ConnectionIdle and 130 NotFound entries), "
     "HTTPERR has no entries at all"),
    # One abandoned line in 83 days is not "0.00 an hour", and 3 NotFound + 6 idle lines outnumber it.
    ("real-logjoint-workstation", "idle-connections-benign", "0.00 entries", "0.001 entries an hour"),
    ("real-logjoint-workstation", "worker-process-failure", "The most common HTTPERR reason is",
     "most common HTTPERR reason apart from background noise"),
    # Load was 1.02 times usual and every drop was on one page.
    ("dropped-report-page", "logging-timeout-under-load", "with no thread free", "took 60 s or more"),
    ("dropped-report-page", "logging-timeout-under-load", "not one page", "took 60 s or more"),
    # No Client_Reset line: the harmless drops are five Connection_Dropped with clients gone.
    ("healthy-dropped-midload", "client-disconnects-benign", "Client_Reset", "Only 5 Connection_Dropped entries"),
    # minBytesPerSecond is 2,048 B/s on this server, not 150.
    ("slow-mobile-downloads", "slow-clients", "150 B/s", "minBytesPerSecond is set to 2,048 B/s"),
    # Vista-and-later increaseuserva: no documented halving of the pool.
    ("refused-increaseuserva", "boot-3gb-switch", "at half size", "increaseuserva 3,072 leaves the kernel"),
    # Two PoolMon snapshots: the tag had no chance to shrink, nor to show it keeps growing.
    ("refused-av-leak-3gb", "pool-leak-driver", "never shrank", "from one PoolMon snapshot to the next"),
])
def test_library_reports_claim_no_more_than_their_evidence(case, cause, unsaid, said):
    told = _said(diagnose_json(CASES / case)["servers"][0], cause)
    assert unsaid not in told and said in told, told


def test_evidence_lines_say_what_the_files_hold():
    """The published WCF lines carry the words `date time` instead of a time; the 3GB fact of a
    Vista-and-later server comes from bcdedit, not from a boot.ini entry."""
    wcf = diagnose_json(CASES / "real-wcf-min-send-rate")["servers"][0]
    texts = [e["text"] for c in wcf["causes"] for e in c["evidence"]]
    assert any("Timer_MinBytesPerSecond entries in HTTPERR: 4 (4 HTTPERR lines, times not readable)" in t for t in texts)
    assert not any("?" in t for t in texts)
    vista = diagnose_json(CASES / "refused-increaseuserva")["servers"][0]
    boot = next(e["text"] for c in vista["causes"] for e in c["evidence"] if e["fact"] == "boot.switch_3gb")
    assert "boot.ini entry" not in boot and "increaseuserva" in boot
