"""Certainty that follows the strength of the evidence, order in time, triggers and long polling.

Each test builds a small evidence folder the way Windows writes it (HTTPERR with its
#Fields header, Event Viewer text) and reads the report a help desk would read.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from httperr_doctor.engine.diagnosis import diagnose

FIELDS = "date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"


def httperr(folder: Path, rows: list[tuple[datetime, str, str, str]]) -> None:
    """rows: (time, reason, url, status); idle lines every 90 s fill the log's span."""
    lines = ["#Software: Microsoft HTTP API 2.0", "#Version: 1.0", f"#Date: {rows[0][0]:%Y-%m-%d %H:%M:%S}", f"#Fields: {FIELDS}"]
    for t, reason, url, status in sorted(rows):
        method, version = ("-", "-") if url == "-" else ("GET", "HTTP/1.1")
        lines.append(f"{t:%Y-%m-%d %H:%M:%S} 10.0.0.{t.second + 2} {40000 + t.minute} 10.1.1.5 80 {version} {method} {url} "
                     f"{status} 1 {reason} -")
    (folder / "HTTPERR").mkdir(parents=True, exist_ok=True)
    (folder / "HTTPERR" / "httperr1.log").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def idle(start: datetime, hours: float) -> list[tuple[datetime, str, str, str]]:
    return [(start + timedelta(seconds=90 * i), "Timer_ConnectionIdle", "-", "-") for i in range(int(hours * 40))]


def report(folder: Path):
    return diagnose([str(folder)])


def confidence(rep, cause: str) -> float:
    return next((c.confidence for c in rep.causes if c.id == cause), 0.0)


def test_one_connlimit_line_in_two_days_is_worth_a_look_not_a_root_cause(tmp_path):
    start = datetime(2024, 3, 4)
    httperr(tmp_path, idle(start, 48) + [(start + timedelta(hours=30), "ConnLimit", "/", "503")])
    rep = report(tmp_path)
    assert 0 < confidence(rep, "site-connection-limit") < 0.3
    assert rep.no_problem_found and rep.servers[0].no_problem_found
    step = next(s for c in rep.causes if c.id == "site-connection-limit" for s in c.reasoning if s.rule == "CONNLIMIT_LOGGED")
    assert step.strength is not None and step.strength < 0.3
    assert "1 entry in 2 days" in step.strength_text


def test_three_hundred_connlimit_lines_in_ten_minutes_are_an_outage(tmp_path):
    start = datetime(2024, 3, 4, 9)
    httperr(tmp_path, idle(start - timedelta(hours=2), 4)
            + [(start + timedelta(seconds=2 * i), "ConnLimit", "/timesheet.aspx", "503") for i in range(300)])
    rep = report(tmp_path)
    assert rep.causes[0].id == "site-connection-limit" and rep.causes[0].confidence >= 0.7
    assert not rep.no_problem_found


def test_many_rules_reading_one_weak_symptom_do_not_add_up_to_certainty(tmp_path):
    start = datetime(2024, 3, 4)
    drops = [(start + timedelta(hours=h), "Connection_Dropped", "/report.aspx", "-") for h in (3, 9, 17)]
    httperr(tmp_path, idle(start, 24) + drops)
    rep = report(tmp_path)
    assert max(confidence(rep, "app-not-sending-response"), confidence(rep, "logging-timeout-under-load")) < 0.3


def test_drops_on_long_polling_urls_are_clients_going_away_not_load(tmp_path):
    start = datetime(2024, 3, 4, 8)
    pings = [(start + timedelta(minutes=5 * i), "Connection_Dropped",
              f"/Microsoft-Server-ActiveSync/default.eas?User=u{i}&DeviceId=D{i}&Cmd=Ping", "-") for i in range(48)]
    httperr(tmp_path, idle(start, 4) + pings)
    rep = report(tmp_path)
    facts = rep.servers[0].facts
    assert facts["httperr.long_polling_drops.lines"] == 48
    assert confidence(rep, "client-disconnects-benign") >= 0.5
    assert max(confidence(rep, "app-not-sending-response"), confidence(rep, "logging-timeout-under-load")) < 0.1
    assert rep.no_problem_found


def test_urls_are_compared_without_their_query_strings(tmp_path):
    start = datetime(2024, 3, 4, 8)
    drops = [(start + timedelta(seconds=20 * i), "Connection_Dropped", f"/reports/run.aspx?id={i}", "-") for i in range(60)]
    httperr(tmp_path, idle(start, 2) + drops)
    facts = report(tmp_path).servers[0].facts
    assert facts["httperr.dropped.top_url"] == "/reports/run.aspx"
    assert facts["httperr.dropped.top_url_share"] == 1.0 and facts["httperr.dropped.distinct_urls"] == 1


def events(folder: Path, items: list[tuple[datetime, str, int, str]]) -> None:
    lines = []
    for t, source, event_id, text in items:
        lines += ["Log Name:      System", f"Source:        {source}", f"Date:          {t:%m/%d/%Y %I:%M:%S %p}",
                  f"Event ID:      {event_id}", "Task Category: None", "Level:         Warning", "Keywords:      Classic",
                  "User:          N/A", "Computer:      WEB09.corp.example.com", "Description:", text, ""]
    (folder / "system-events.txt").write_text("\r\n".join(lines), encoding="utf-8")
    (folder / "systeminfo.txt").write_text("\r\n".join([
        "", "Host Name:                 WEB09", "OS Name:                   Microsoft Windows Server 2016 Datacenter",
        "OS Version:                10.0.14393 N/A Build 14393", "System Type:               x64-based PC",
        "Total Physical Memory:     16,384 MB", "Time Zone:                 (UTC) Coordinated Universal Time", ""]),
        encoding="utf-8")


def hang_then_recycle(tmp_path: Path, failure_first: bool) -> object:
    start = datetime(2024, 3, 4, 13)
    stuck = [(start + timedelta(seconds=15 * i), "Timer_ReqQueue", "/claims/", "-") for i in range(200)]
    end = stuck[-1][0]
    abandoned = [(end + timedelta(minutes=2, seconds=1), "Connection_Abandoned_By_ReqQueue", "/claims/", "-")] * 40
    httperr(tmp_path, idle(start - timedelta(hours=1), 3) + stuck + abandoned)
    items = [(end + timedelta(minutes=2), "Microsoft-Windows-WAS", 5013,
              "A process serving application pool 'ClaimsPool' exceeded time limits during shut down. The process id was '612'.")]
    if failure_first:
        items.insert(0, (start + timedelta(minutes=1), "Microsoft-Windows-WAS", 5011,
                         "A process serving application pool 'ClaimsPool' suffered a fatal communication error with the "
                         "Windows Process Activation Service. The process id was '500'."))
    events(tmp_path, items)
    return report(tmp_path)


def test_a_recycle_that_ended_a_hang_is_a_side_effect_not_the_cause(tmp_path):
    rep = hang_then_recycle(tmp_path, failure_first=False)
    assert rep.causes[0].id == "queue-not-draining"
    assert confidence(rep, "worker-process-failure") < 0.3
    facts = rep.servers[0].facts
    assert facts["event.recovery_after_onset.count"] == 1 and facts["event.worker_failures_before_recovery.count"] == 0
    assert facts["httperr.abandoned.at_recovery_share"] == 1.0


def test_a_crash_before_the_recycle_still_counts(tmp_path):
    rep = hang_then_recycle(tmp_path, failure_first=True)
    assert rep.servers[0].facts["event.worker_failures_before_recovery.count"] == 1
    assert confidence(rep, "worker-process-failure") >= 0.3


def recycle_then_queue_full(tmp_path: Path) -> object:
    """A scheduled recycle cuts long requests (WAS 5074, then 5013 after 90 s) and the reconnections fill the queue
    for twenty minutes after it: the recycle started the outage, it did not end it."""
    recycle = datetime(2024, 3, 4, 11, 47, 3)
    kill = recycle + timedelta(seconds=90)
    abandoned = [(kill, "Connection_Abandoned_By_ReqQueue", "/rpc/rpcproxy.dll", "-")] * 60
    full = [(kill + timedelta(seconds=2 + 3 * i), "QueueFull", "/rpc/rpcproxy.dll", "503") for i in range(400)]
    httperr(tmp_path, idle(recycle - timedelta(hours=2), 3) + abandoned + full)
    events(tmp_path, [
        (recycle, "Microsoft-Windows-WAS", 5074, "A worker process with process id of '3864' serving application pool "
                                                 "'DefaultAppPool' has requested a recycle because the worker process "
                                                 "reached its allowed processing time limit."),
        (kill, "Microsoft-Windows-WAS", 5013, "A process serving application pool 'DefaultAppPool' exceeded time limits "
                                              "during shut down. The process id was '3864'.")])
    return report(tmp_path)


def test_a_recycle_the_symptom_outlasts_by_far_did_not_end_it(tmp_path):
    rep = recycle_then_queue_full(tmp_path)
    facts = rep.servers[0].facts
    assert facts["event.recovery_after_onset.count"] == 0
    assert confidence(rep, "queue-not-draining") < 0.3
    assert rep.causes[0].id == "request-queue-full"


def test_requests_cut_by_a_recycle_on_schedule_speak_against_failing_workers(tmp_path):
    rep = recycle_then_queue_full(tmp_path)
    facts = rep.servers[0].facts
    assert facts["event.was_scheduled_recycle.count"] == 1 and facts["httperr.abandoned.at_scheduled_recycle_share"] == 1.0
    worker = next(c for c in rep.causes if c.id == "worker-process-failure")
    assert "ABANDONED_AT_SCHEDULED_RECYCLES_NOT_CRASHES" in {step.rule for step in worker.reasoning}
    assert worker.confidence < confidence(rep, "request-queue-full")


def test_memory_limit_recycles_before_rapid_fail_are_named_as_the_trigger_and_ranked_first(tmp_path):
    start = datetime(2024, 3, 4, 9)
    offline = [(start + timedelta(minutes=31, seconds=10 * i), "AppOffline", "/ClientWebService/Client.asmx", "503") for i in range(300)]
    httperr(tmp_path, idle(start - timedelta(hours=1), 3) + offline)
    recycle = "A worker process serving application pool 'WsusPool' has requested a recycle because it reached its private bytes memory limit."
    events(tmp_path, [(start + timedelta(minutes=m), "Microsoft-Windows-WAS", 5117, recycle) for m in (2, 11, 19, 26, 30)]
           + [(start + timedelta(minutes=31), "Microsoft-Windows-WAS", 5002,
               "Application pool 'WsusPool' is being automatically disabled due to a series of failures in the process(es) "
               "serving that application pool.")])
    rep = report(tmp_path)
    ids = [c.id for c in rep.causes]
    assert ids[0] == "app-pool-memory-limit" and "app-pool-rapid-fail" in ids
    rapid = rep.causes[ids.index("app-pool-rapid-fail")]
    assert rapid.triggered_by == ["app-pool-memory-limit"]
    assert rep.servers[0].facts["event.was_private_bytes_recycle.before_onset"] == 5


def test_the_wizard_weighs_the_evidence_as_the_report_does(tmp_path):
    from httperr_doctor.engine.diagnosis import read_inputs
    from httperr_doctor.engine.facts import evidence_facts, with_answers
    from httperr_doctor.engine.knowledge import default_kb
    from httperr_doctor.engine.questioning import Questioner

    start = datetime(2024, 3, 4)
    httperr(tmp_path, idle(start, 48) + [(start + timedelta(hours=30), "ConnLimit", "/", "503")])
    kb = default_kb()
    evidence = evidence_facts([f.result for f in read_inputs([str(tmp_path)]) if f.result is not None], kb)
    standing = Questioner(kb).standing(with_answers(evidence, {}, kb).values())
    assert 0 < standing.confidences["site-connection-limit"] == confidence(report(tmp_path), "site-connection-limit") < 0.3
