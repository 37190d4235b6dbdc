"""Crashes of w3wp.exe read from the Application log (Application Error 1000, .NET Runtime 1026, Windows
Error Reporting 1001, IIS 6's .NET Runtime 2.0 Error Reporting 5000) in the layouts Windows writes, and
what the report says about them beside the requests they abandoned."""
from __future__ import annotations

from conftest import diagnose_json

from httperr_doctor.engine.evidence import read
from httperr_doctor.engine.evidence.base import Lines
from httperr_doctor.engine.evidence.eventlog import parse
from httperr_doctor.engine.evidence.reader import EvidenceFile
from httperr_doctor.engine.facts import derive_facts
from httperr_doctor.engine.knowledge import default_kb

# `wevtutil qe Application /f:text` on Server 2016: one crash written three times (the WER report
# of the same crash, the .NET runtime's own event), and a crash of another program that is no worker.
WEVTUTIL_APPLICATION = """Event[0]:
  Log Name: Application
  Source: Application Error
  Date: 2026-11-30T14:02:11.873
  Event ID: 1000
  Task: Application Crashing Events
  Level: Error
  Opcode: Info
  Keyword: Classic
  User: N/A
  User Name: N/A
  Computer: WEB07.contoso.local
  Description:
Faulting application name: w3wp.exe, version: 10.0.14393.0, time stamp: 0x57899b8a
Faulting module name: ntdll.dll, version: 10.0.14393.4350, time stamp: 0x6069431d
Exception code: 0xc0000374
Fault offset: 0x00000000000f8ad3
Faulting process id: 0x1a2c
Faulting application start time: 0x01dab3c1f2a9e0b4
Faulting application path: c:\\windows\\system32\\inetsrv\\w3wp.exe
Faulting module path: C:\\Windows\\SYSTEM32\\ntdll.dll
Report Id: 3f0b7c1e-5d22-4c9a-9d6e-7a1b2c3d4e5f
Faulting package full name: 
Faulting package-relative application ID: 

Event[1]:
  Log Name: Application
  Source: Windows Error Reporting
  Date: 2026-11-30T14:02:14.106
  Event ID: 1001
  Task: N/A
  Level: Information
  Opcode: Info
  Keyword: Classic
  User: N/A
  User Name: N/A
  Computer: WEB07.contoso.local
  Description:
Fault bucket 1364513512453426843, type 1
Event Name: APPCRASH
Response: Not available
Cab Id: 0

Problem signature:
P1: w3wp.exe
P2: 10.0.14393.0
P3: 57899b8a
P4: ntdll.dll
P5: 10.0.14393.4350
P6: 6069431d
P7: c0000374
P8: 00000000000f8ad3
P9: 
P10: 

Attached files:
\\\\?\\C:\\ProgramData\\Microsoft\\Windows\\WER\\Temp\\WER5F1A.tmp.mdmp

These files may be available here:
\\\\?\\C:\\ProgramData\\Microsoft\\Windows\\WER\\ReportArchive\\AppCrash_w3wp.exe_9c2f5e7d1b3a_1b2c3d4e

Analysis symbol: 
Rechecking for solution: 0
Report Id: 3f0b7c1e-5d22-4c9a-9d6e-7a1b2c3d4e5f
Report Status: 268435456
Hashed bucket: 4f6b2e1d0c9a8b7a6f5e4d3c2b1a0f9e
Cab Guid: 0

Event[2]:
  Log Name: Application
  Source: Application Error
  Date: 2026-11-30T15:40:02.511
  Event ID: 1000
  Task: Application Crashing Events
  Level: Error
  Opcode: Info
  Keyword: Classic
  User: N/A
  User Name: N/A
  Computer: WEB07.contoso.local
  Description:
Faulting application name: BackupAgent.exe, version: 4.2.0.17, time stamp: 0x5f1e2d3c
Faulting module name: KERNELBASE.dll, version: 10.0.14393.4350, time stamp: 0x606943a1
Exception code: 0xe0434352
Fault offset: 0x0000000000034c48
Faulting process id: 0x2f10
"""

SYSTEM_5011 = """Event[0]:
  Log Name: System
  Source: Microsoft-Windows-WAS
  Date: 2026-11-30T14:02:13.020
  Event ID: 5011
  Task: N/A
  Level: Warning
  Opcode: Info
  Keyword: Classic
  User: N/A
  User Name: N/A
  Computer: WEB07.contoso.local
  Description:
A process serving application pool 'ClaimsPool' suffered a fatal communication error with the Windows Process Activation Service. The process id was '6700'. The data field contains the error number.
"""

# Server 2003 Event Viewer copies (IIS 6, .NET 2.0): the CLR's own report and the 2003 Application Error wording.
IIS6_APPLICATION = """Event Type:\tError
Event Source:\t.NET Runtime 2.0 Error Reporting
Event Category:\tNone
Event ID:\t5000
Date:\t\t4/25/2006
Time:\t\t9:41:20 AM
User:\t\tN/A
Computer:\tSUBSPACE1
Description:
EventType clr20r3, P1 w3wp.exe, P2 6.0.3790.1830, P3 42435be1, P4 app_code.pn5mfdcr, P5 0.0.0.0, P6 444dcf44, P7 5, P8 5, P9 system.dividebyzeroexception, P10 NIL.

For more information, see Help and Support Center at http://go.microsoft.com/fwlink/events.asp.

Event Type:\tError
Event Source:\tApplication Error
Event Category:\t(100)
Event ID:\t1000
Date:\t\t4/25/2006
Time:\t\t2:17:45 PM
User:\t\tN/A
Computer:\tSUBSPACE1
Description:
Faulting application w3wp.exe, version 6.0.3790.1830, faulting module kernel32.dll, version 5.2.3790.1830, fault address 0x0001eb33.

For more information, see Help and Support Center at http://go.microsoft.com/fwlink/events.asp.
"""


def _parsed(text: str, name: str = "application-events.txt"):
    return parse(Lines(name, text.splitlines()))


def test_one_crash_written_twice_is_one_crash_with_its_module_code_and_pool():
    application, system = _parsed(WEVTUTIL_APPLICATION), _parsed(SYSTEM_5011, "system-events.txt")
    crashes = [r.data.crash for r in application.records]
    assert [(c.kind, c.module, c.code) if c else None for c in crashes] == [
        ("fault", "ntdll.dll", "0xc0000374"), ("report", "ntdll.dll", "0xc0000374"), None]
    assert crashes[0].pid == 6700 and system.records[0].data.pid == 6700
    facts = derive_facts([application, system], default_kb())
    assert facts.value("event.app_crash.count") == 1
    assert facts.value("event.app_crash.module") == "ntdll.dll"
    assert facts.value("event.app_crash.exception") == "0xc0000374 (heap corruption)"
    assert facts.value("event.app_crash.pools") == "application pool ClaimsPool"
    assert "event.app_crash.dotnet_exception" not in facts


def test_iis6_reports_of_a_crash_are_read():
    records = [r.data for r in _parsed(IIS6_APPLICATION).records]
    assert [(r.crash.kind, r.crash.module, r.crash.exception) for r in records] == [
        ("report", "app_code.pn5mfdcr", "system.dividebyzeroexception"), ("fault", "kernel32.dll", None)]
    facts = derive_facts([_parsed(IIS6_APPLICATION)], default_kb())
    assert facts.value("event.app_crash.count") == 2  # hours apart: two crashes
    assert facts.value("event.app_crash.module") == "app_code.pn5mfdcr (1), kernel32.dll (1)"
    assert facts.value("event.app_crash.dotnet_exception") == "system.dividebyzeroexception (1), 1 crash naming none"


def test_an_application_log_without_a_worker_crash_says_so():
    only_backup = WEVTUTIL_APPLICATION[WEVTUTIL_APPLICATION.index("Event[2]:"):]
    facts = derive_facts([_parsed(only_backup)], default_kb())
    assert facts.value("event.app_crash.count") == 0 and "event.app_crash.module" not in facts
    system_only = derive_facts([_parsed(SYSTEM_5011, "system-events.txt")], default_kb())
    assert "event.app_crash.count" not in system_only  # no Application log: nothing known about crashes


def test_an_evtx_application_error_is_read_from_its_inserted_strings(tmp_path):
    from evtx_writer import write_evtx

    path = tmp_path / "Application.evtx"
    write_evtx(path, [
        {"source": "Application Error", "event_id": 1000, "level": 2, "time": "2026-11-30T14:02:11.873000Z",
         "computer": "WEB07.contoso.local", "channel": "Application",
         "data": {"AppName": "w3wp.exe", "AppVersion": "10.0.14393.0", "AppTimeStamp": "57899b8a",
                  "ModuleName": "oci.dll", "ModuleVersion": "11.2.0.1", "ModuleTimeStamp": "4bb1da76",
                  "ExceptionCode": "c00000fd", "FaultingOffset": "000000000006f837", "ProcessId": "0x1a2c"}},
        {"source": "Application Error", "event_id": 1000, "level": 2, "time": "2026-11-30T15:40:02.511000Z",
         "computer": "WEB07.contoso.local", "channel": "Application",
         "data": {"AppName": "BackupAgent.exe", "ModuleName": "KERNELBASE.dll", "ExceptionCode": "e0434352"}},
    ])
    done = read(EvidenceFile.from_path(path))
    crash, other = (r.data.crash for r in done.result.records)
    assert (crash.kind, crash.module, crash.code, crash.pid) == ("fault", "oci.dll", "0xc00000fd", 6700) and other is None
    facts = derive_facts([done.result], default_kb())
    assert facts.value("event.app_crash.exception") == "0xc00000fd (stack overflow)"


def _httperr(moments: list[str]) -> str:
    lines = ["#Software: Microsoft HTTP API 2.0", "#Version: 1.0", "#Date: 2026-11-30 13:00:00",
             "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"]
    for minute, second in [(m, s) for m in moments for s in (2, 11, 13)]:
        lines.append(f"2026-11-30 {minute}:{second:02d} 10.40.{second}.7 5{second}22 10.40.0.12 443 HTTP/1.1 POST /claims/submit "
                     "- 1 Connection_Abandoned_By_ReqQueue ClaimsPool")
    return "\n".join(lines) + "\n"


def _bundle(tmp_path, abandoned_at: list[str]):
    bundle = tmp_path / "WEB07"
    (bundle / "HTTPERR").mkdir(parents=True)
    (bundle / "HTTPERR" / "httperr1.log").write_text(_httperr(abandoned_at), encoding="utf-8")
    (bundle / "application-events.txt").write_text(WEVTUTIL_APPLICATION, encoding="utf-8")
    (bundle / "system-events.txt").write_text(SYSTEM_5011, encoding="utf-8")
    return diagnose_json(bundle, "--tz", "UTC")["servers"][0]


def test_requests_abandoned_as_the_worker_crashed_name_the_crash(tmp_path):
    server = _bundle(tmp_path, ["14:02"])
    assert server["facts"]["httperr.abandoned.at_app_crash_share"] == 1.0
    top = server["causes"][0]
    assert top["id"] == "worker-process-failure" and top["confidence"] > 0.9
    assert top["summary"] == ("The Application log reports 1 crash of w3wp.exe serving application pool ClaimsPool in ntdll.dll "
                              "with exception code 0xc0000374 (heap corruption); the requests a crashing process held are "
                              "lost with it.")
    assert [r["rule"] for r in top["reasoning"]][0] == "APP_CRASH_AT_ABANDONED"
    step = next(s for s in top["remediation"] if s["title"] == "Read what crashed in the Application log")
    assert "in ntdll.dll with exception code 0xc0000374 (heap corruption)" in step["do"] and step["command"] is None
    assert {"R90", "R93"} <= {ref["id"] for ref in top["references"]}


def test_requests_abandoned_at_other_times_are_not_put_on_the_crash(tmp_path):
    server = _bundle(tmp_path, ["16:30", "17:45"])
    assert server["facts"]["httperr.abandoned.at_app_crash_share"] == 0.0
    top = next(c for c in server["causes"] if c["id"] == "worker-process-failure")
    assert "APP_CRASH_AT_ABANDONED" not in {r["rule"] for r in top["reasoning"]}
    assert "APP_CRASH_LOGGED" in {r["rule"] for r in top["reasoning"]}


# A managed crash (an unhandled exception on a timer thread): the runtime's 1026 with the exception
# and its stack, then Application Error 1000 for the same process, as `wevtutil qe Application /f:text` prints them.
MANAGED_CRASH = """Event[0]:
  Log Name: Application
  Source: .NET Runtime
  Date: 2026-11-30T15:10:44.219
  Event ID: 1026
  Task: N/A
  Level: Error
  Opcode: Info
  Keyword: Classic
  User: N/A
  User Name: N/A
  Computer: WEB07.contoso.local
  Description:
Application: w3wp.exe
Framework Version: v4.0.30319
Description: The process was terminated due to an unhandled exception.
Exception Info: System.NullReferenceException
   at Claims.Web.Jobs.ReminderJob.Run(System.Object)
   at System.Threading.ExecutionContext.RunInternal(System.Threading.ExecutionContext, System.Threading.ContextCallback, System.Object, Boolean)
   at System.Threading.TimerQueueTimer.CallCallbackInContext(System.Object)

Event[1]:
  Log Name: Application
  Source: Application Error
  Date: 2026-11-30T15:10:44.733
  Event ID: 1000
  Task: Application Crashing Events
  Level: Error
  Opcode: Info
  Keyword: Classic
  User: N/A
  User Name: N/A
  Computer: WEB07.contoso.local
  Description:
Faulting application name: w3wp.exe, version: 10.0.14393.0, time stamp: 0x57899b8a
Faulting module name: KERNELBASE.dll, version: 10.0.14393.4350, time stamp: 0x606943a1
Exception code: 0xe0434352
Fault offset: 0x0000000000034c48
Faulting process id: 0x2b04
Faulting application start time: 0x01dab3d0c4a1e2f7
Faulting application path: c:\\windows\\system32\\inetsrv\\w3wp.exe
Faulting module path: C:\\Windows\\System32\\KERNELBASE.dll
Report Id: 8c41d2e0-7b3f-4e21-a9c5-0d6e1f2a3b4c
Faulting package full name: 
Faulting package-relative application ID: 
"""


def test_a_managed_crash_is_one_crash_with_its_dotnet_exception():
    both = WEVTUTIL_APPLICATION.replace("Event[2]:", MANAGED_CRASH.replace("Event[1]:", "Event[4]:").replace("Event[0]:", "Event[3]:") + "\nEvent[2]:")
    records = _parsed(both).records
    assert [r.data.crash.kind for r in records if r.data.crash] == ["fault", "report", "managed", "fault"]
    assert records[2].data.crash.exception == "System.NullReferenceException"
    facts = derive_facts([_parsed(both), _parsed(SYSTEM_5011, "system-events.txt")], default_kb())
    assert facts.value("event.app_crash.count") == 2
    assert facts.value("event.app_crash.module") == "KERNELBASE.dll (1), ntdll.dll (1)"
    assert facts.value("event.app_crash.exception") == "0xc0000374 (heap corruption) (1), 0xe0434352 (.NET exception) (1)"
    assert facts.value("event.app_crash.dotnet_exception") == "System.NullReferenceException (1), 1 crash naming none"
    assert facts.value("event.app_crash.pools") == "application pool ClaimsPool (1), 1 crash naming none"


def test_evtx_strings_without_names_are_read_in_their_documented_order():
    """Older Windows stores the inserted strings unnamed: Application Error's in the order of its message,
    Windows Error Reporting's as bucket, type, event name, response, cab id, then P1..P10."""
    from httperr_doctor.engine.evidence.appcrash import crash_from_values

    fault = [(None, v) for v in ("w3wp.exe", "7.5.7601.17514", "4ce7afa2", "oci.dll", "", "4bb1da76", "c00000fd",
                                 "000000000006f837", "11a4", "01cd02af9bce5a0e", r"c:\windows\system32\inetsrv\w3wp.exe")]
    crash = crash_from_values("Application Error", 1000, fault)
    assert (crash.module, crash.code, crash.pid) == ("oci.dll", "0xc00000fd", 4516)
    report = [(None, v) for v in ("", "0", "APPCRASH", "Not available", "0", "w3wp.exe", "7.5.7601.17514", "4ce7afa2",
                                  "oci.dll", "", "4bb1da76", "c00000fd", "000000000006f837", "", "")]
    assert crash_from_values("Windows Error Reporting", 1001, report).code == "0xc00000fd"
    hang = [(None, v) for v in ("", "0", "AppHangB1", "Not available", "0", "w3wp.exe")]
    assert crash_from_values("Windows Error Reporting", 1001, hang) is None


def test_rapid_fail_says_what_the_application_log_puts_its_crashes_in():
    """bundle-web03: two WAS crashes before the 5002, one of them also in the Application log (Event Viewer CSV)."""
    from conftest import FIXTURES

    server = diagnose_json(FIXTURES / "bundle-web03")["servers"][0]
    cause = next(c for c in server["causes"] if c["id"] == "app-pool-rapid-fail")
    assert cause["summary"].endswith("after 2 worker-process crashes in application pool ShopPool, and HTTP.sys answered 60 "
                                     "requests with 503 AppOffline for application pool ShopPool; the Application log puts its "
                                     "1 crash of w3wp.exe serving application pool ShopPool in kernel32.dll with exception code "
                                     "0xe053534f (stack overflow).")
    step = next(s for s in cause["remediation"] if s["title"] == "See what crashed in the Application log")
    assert step["do"].startswith("The Application log you gave puts 1 crash of w3wp.exe in kernel32.dll with exception code "
                                 "0xe053534f (stack overflow):")
