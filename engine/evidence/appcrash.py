"""A worker process's crash as the Application log reports it (IIS 6 to IIS 10 `w3wp.exe`).

The System log only says that a worker went away (WAS 5009/5011, IIS 6 W3SVC 1009/1011);
what killed it is in the Application log, written by the process as it dies (R90, R91):

* "Application Error" 1000, the native fault: faulting application and module, the
  exception code (0xc00000fd stack overflow, 0xc0000374 heap corruption...) and the process
  id in hex. Windows 7 / 2008 R2 and later write one field a line::

      Faulting application name: w3wp.exe, version: 7.5.7601.17514, time stamp: 0x4ce7afa2
      Faulting module name: oci.dll, version: , time stamp: 0x4bb1da76
      Exception code: 0xc00000fd
      Faulting process id: 0x11a4

  Vista / 2008 one sentence ("Faulting application w3wp.exe, ... faulting module kernel32.dll,
  ... exception code 0xe053534f, fault offset 0x0002f328, process id 0x14d4, ..."), and
  Server 2003 the same without an exception code ("... fault address 0x000249d3").
* ".NET Runtime" 1026, a managed crash: `Application: w3wp.exe` and the exception type
  (`Exception Info: System.StackOverflowException`) or why the runtime ended the process.
* "Windows Error Reporting" 1001 (APPCRASH, CLR20r3) and, on IIS 6, ".NET Runtime 2.0 Error
  Reporting" 5000 (`EventType clr20r3, P1 w3wp.exe, ... P9 system.stackoverflowexception`):
  the problem signature, P1 the application, P4 the module, P7 (APPCRASH) the exception code
  and P9 (CLR20r3) the exception type.

Only crashes of `w3wp.exe` are kept; message text is read in English. In an `.evtx` the
message is not stored, only its inserted strings (`crash_from_values`).

>>> crash = crash_from_text("Application Error", 1000, "Faulting application name: w3wp.exe, version: 7.5.7601.17514, "
...     "time stamp: 0x4ce7afa2\\nFaulting module name: oci.dll, version: , time stamp: 0x4bb1da76\\n"
...     "Exception code: 0xc00000fd\\nFault offset: 0x000000000006f837\\nFaulting process id: 0x11a4")
>>> crash.kind, crash.module, crash.code, crash.pid
('fault', 'oci.dll', '0xc00000fd', 4516)
>>> crash_from_text("Application Error", 1000, "Faulting application name: sqlservr.exe, version: 2019.150.2000.5") is None
True
"""
from __future__ import annotations

import re
from dataclasses import dataclass

WORKER = "w3wp.exe"
FAULT_SOURCES = frozenset({"application error"})
MANAGED_SOURCES = frozenset({".net runtime"})
REPORT_SOURCES = frozenset({"windows error reporting", ".net runtime 2.0 error reporting"})
# (sources, event ids) that can report a crash; nothing else is read.
CRASH_EVENTS = ((FAULT_SOURCES, {1000}), (MANAGED_SOURCES, {1026}), (REPORT_SOURCES, {1001, 5000}))
# Problem signatures of a crash (a hang or a setup failure also reports to WER).
CRASH_SIGNATURES = frozenset({"appcrash", "clr20r3"})

FAULT_APP = re.compile(r"Faulting application(?: name)?:?\s+(?P<v>[^\s,]+)", re.IGNORECASE)
FAULT_MODULE = re.compile(r"faulting module(?: name)?:?\s+(?P<v>[^\s,]+)", re.IGNORECASE)
FAULT_CODE = re.compile(r"exception code:?\s+(?P<v>0x[0-9a-f]{1,8})\b", re.IGNORECASE)
FAULT_PID = re.compile(r"(?:faulting )?process id:?\s+(?P<v>0x[0-9a-f]+)\b", re.IGNORECASE)
MANAGED_APP = re.compile(r"\bApplication:\s*(?P<v>\S+)", re.IGNORECASE)
MANAGED_TYPE = re.compile(r"Exception Info:\s*(?P<v>[\w.`+]+)", re.IGNORECASE)
MANAGED_REASON = re.compile(r"terminated due to (?P<v>stack overflow|an internal error in the \.NET Runtime)", re.IGNORECASE)
SIGNATURE = re.compile(r"\b(?:Event ?Name|EventType)[:\s]\s*(?P<v>\w+)", re.IGNORECASE)


def _param(text: str, number: int) -> str | None:
    found = re.search(rf"\bP{number}(?::[ \t]*|[ \t]+)(?P<v>[^\s,]*)", text)
    return found.group("v") or None if found else None


@dataclass(slots=True, frozen=True)
class AppCrash:
    """What one Application-log event says about a crashed worker process (an `Event`'s `crash`)."""

    # fault (Application Error 1000), managed (.NET Runtime 1026) or report (WER 1001, CLR 2.0 5000).
    kind: str
    # The faulting module (oci.dll, clr.dll) or, in a CLR20r3 report, the assembly.
    module: str | None = None
    # The exception code as 0x and eight hex digits (0xc00000fd).
    code: str | None = None
    # The .NET exception type (System.StackOverflowException) or why the runtime ended the process.
    exception: str | None = None
    # The crashed process's id (Application Error 1000 gives it; WAS 5009/5011 give the same id in decimal).
    pid: int | None = None


def is_crash_event(source: str, event_id: int) -> bool:
    """Whether an event of this provider and id can report a crash: checked before any message is read."""
    name = source.lower()
    return any(event_id in ids and name in sources for sources, ids in CRASH_EVENTS)


def _code(raw: str | None) -> str | None:
    if not raw:
        return None
    digits = raw.lower().removeprefix("0x")
    return f"0x{int(digits, 16):08x}" if re.fullmatch(r"[0-9a-f]{1,8}", digits) else None


def _group(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return found.group("v") if found else None


def crash_from_text(source: str, event_id: int, text: str) -> AppCrash | None:
    """The crash an event's message reports, when it is a crash of w3wp.exe; else None."""
    if not is_crash_event(source, event_id):
        return None
    name = source.lower()
    if name in FAULT_SOURCES:
        if (_group(FAULT_APP, text) or "").lower() != WORKER:
            return None
        pid = _group(FAULT_PID, text)
        return AppCrash("fault", _group(FAULT_MODULE, text), _code(_group(FAULT_CODE, text)), pid=int(pid, 16) if pid else None)
    if name in MANAGED_SOURCES:
        if (_group(MANAGED_APP, text) or "").lower() != WORKER:
            return None
        return AppCrash("managed", exception=_group(MANAGED_TYPE, text) or _reason(text))
    return _report(_group(SIGNATURE, text), [_param(text, n) for n in range(1, 10)])


def _reason(text: str) -> str | None:
    reason = _group(MANAGED_REASON, text)
    if reason is None:
        return None
    return "stack overflow" if reason.lower() == "stack overflow" else "internal error in the .NET Runtime"


def _report(signature: str | None, params: list[str | None]) -> AppCrash | None:
    """A problem signature (P1..P9) of an APPCRASH or CLR20r3 report of w3wp.exe."""
    if (signature or "").lower() not in CRASH_SIGNATURES or (params[0] or "").lower() != WORKER:
        return None
    if signature.lower() == "appcrash":
        return AppCrash("report", params[3], _code(params[6]))
    return AppCrash("report", params[3], exception=params[8])


# Application Error 1000's inserted strings in order (R90): name, version, time stamp of the
# application, the same of the module, then exception code, fault offset and process id.
FAULT_FIELDS = {"AppName": 0, "ModuleName": 3, "ExceptionCode": 6, "ProcessId": 8}
# Windows Error Reporting 1001's: bucket, type, event name, response, cab id, then P1..P10.
REPORT_FIRST_PARAM = 5


def crash_from_values(source: str, event_id: int, values: list[tuple[str | None, str]]) -> AppCrash | None:
    """The crash an .evtx event reports from its inserted strings (named on newer Windows, else in order)."""
    if not is_crash_event(source, event_id):
        return None
    name = source.lower()
    if name in FAULT_SOURCES:
        named = {k: v for k, v in values if k}
        field = {key: named.get(key, values[i][1] if i < len(values) else None) for key, i in FAULT_FIELDS.items()}
        if (field["AppName"] or "").lower() != WORKER:
            return None
        pid = _code(field["ProcessId"])
        return AppCrash("fault", field["ModuleName"] or None, _code(field["ExceptionCode"]), pid=int(pid, 16) if pid else None)
    if name in REPORT_SOURCES and event_id == 1001:
        params = [v or None for _, v in values[REPORT_FIRST_PARAM:REPORT_FIRST_PARAM + 9]]
        return _report(values[2][1] if len(values) > 2 else None, params + [None] * (9 - len(params)))
    return crash_from_text(source, event_id, "\n".join(v for _, v in values))
