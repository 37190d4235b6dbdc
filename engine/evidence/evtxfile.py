"""Binary Windows event logs (`.evtx`, "Save All Events As... .evtx", `wevtutil epl`).

The binary format is read by the maintained `evtx` package from PyPI (a Rust parser),
which hands back each event as the XML Windows itself would show::

    <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
      <System>
        <Provider Name="Microsoft-Windows-WAS" />
        <EventID Qualifiers="32768">5002</EventID>
        <Level>2</Level>
        <TimeCreated SystemTime="2016-10-14T14:33:42.000000Z" />
        <Channel>System</Channel>
        <Computer>COLOSSUS.corp.technologytoolbox.com</Computer>
      </System>
      <EventData><Data Name="AppPoolID">WsusPool</Data></EventData>
    </Event>

Times in .evtx are UTC. The message text is not stored in the file (Windows renders
it from the provider's DLL), so records carry the event data values instead; the
application pool is the `AppPoolID` value (or the first value of a WAS event).

>>> event = event_from_xml('''<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
... <System><Provider Name="Microsoft-Windows-WAS"/><EventID Qualifiers="32768">5002</EventID>
... <Level>2</Level><TimeCreated SystemTime="2016-10-14T14:33:42.000000Z"/><Channel>System</Channel>
... <Computer>COLOSSUS.corp.technologytoolbox.com</Computer></System>
... <EventData><Data Name="AppPoolID">WsusPool</Data></EventData></Event>''')
>>> event.event_id, event.level, event.pool, event.host, event.local.isoformat()
(5002, 'error', 'WsusPool', 'COLOSSUS', '2016-10-14T14:33:42+00:00')
"""
from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

from .appcrash import crash_from_values
from .base import Lines, NotThisKind, ParseResult, Record, Skip
from .eventlog import W3SVC_SITE_EVENTS, Event, short_host
from .wintime import read_stamp

KIND = "evtx"
MAGIC = b"ElfFile\x00"
LEVELS = {"1": "critical", "2": "error", "3": "warning", "4": "information", "0": "information", "5": "verbose"}
MAX_EVENTS = 2_000_000


def sniff_bytes(head: bytes) -> bool:
    """The file header's signature; the text sniff below never sees binary files."""
    return head.startswith(MAGIC)


def sniff(head: str) -> bool:
    return head.startswith("ElfFile")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def event_from_xml(xml: str) -> Event | None:
    """One event's XML (as the evtx package yields it) read; None when it has no Event ID. Entities are refused."""
    from defusedxml import ElementTree  # here, not at the top: only .evtx files need an XML parser

    root = ElementTree.fromstring(xml.encode("utf-8"), forbid_dtd=True)
    system: dict[str, Any] = {}
    values: list[tuple[str | None, str]] = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "Provider":
            system["source"] = element.get("EventSourceName") or element.get("Name") or ""
        elif name == "TimeCreated":
            system["time"] = element.get("SystemTime")
        elif name in ("EventID", "Level", "Channel", "Computer"):
            system[name] = (element.text or "").strip()
        elif name == "Data":
            values.append((element.get("Name"), (element.text or "").strip()))
    named = {k: v for k, v in values if k}
    source = system.get("source", "")
    if not system.get("EventID", "").isdigit():
        return None
    site = None
    pool = named.get("AppPoolID") or named.get("AppPoolName")
    worker_event = ("WAS" in source or "W3SVC" in source) and int(system["EventID"]) not in W3SVC_SITE_EVENTS
    pid = named.get("ProcessID") or (values[1][1] if len(values) > 1 and worker_event else "")
    if "W3SVC" in source and int(system["EventID"]) in W3SVC_SITE_EVENTS:
        site = (values[1][1] or None) if len(values) > 1 else None  # the first string is the URL prefix
    elif pool is None and values and ("WAS" in source or "W3SVC" in source):
        pool = values[0][1] or None
    return Event(
        log=system.get("Channel"),
        source=source,
        event_id=int(system["EventID"]),
        level=LEVELS.get(system.get("Level", ""), system.get("Level") or None),
        computer=system.get("Computer"),
        host=short_host(system.get("Computer")),
        local=read_stamp(system["time"]) if system.get("time") else None,
        category=None,
        description=" | ".join(v for _, v in values),
        pool=pool,
        site=site,
        crash=crash_from_values(source, int(system["EventID"]), values),
        pid=int(pid) if pid.isascii() and pid.isdigit() and len(pid) <= 10 else None,
    )


def parse(lines: Lines) -> ParseResult:
    if lines.open_binary is None:
        raise NotThisKind("no raw bytes to read the binary .evtx from")
    try:
        from evtx import PyEvtxParser
    except ImportError as error:  # pragma: no cover - it is a declared dependency
        raise NotThisKind(f"the `evtx` package is not installed ({error})") from error
    result = ParseResult(kind=KIND)
    with lines.open_binary() as stream:
        try:
            parser = PyEvtxParser(stream, number_of_threads=1, skip_errors=True)
        except (RuntimeError, OSError, ValueError) as error:
            raise NotThisKind(f"not a readable .evtx file ({error})") from error
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for item in parser.records():
                result.data_lines += 1
                number = int(item.get("event_record_id") or result.data_lines)
                try:
                    event = event_from_xml(item["data"])
                except Exception as error:  # noqa: BLE001 - one bad record must not lose the file
                    result.skips.append(Skip(number, f"event record {number} unreadable: {error}"))
                    continue
                if event is None:
                    result.skips.append(Skip(number, f"event record {number} has no Event ID"))
                    continue
                result.records.append(Record(KIND, lines.ref(number), event, time=event.local))
                if result.data_lines >= MAX_EVENTS:
                    result.notes.append(f"stopped after {MAX_EVENTS:,} events")
                    break
        for warning in caught[:5]:
            result.notes.append(f"evtx: {warning.message}")
    if not result.records and not result.skips:
        raise NotThisKind("no event records in the .evtx file")
    result.notes.append("line numbers of .evtx sources are event record ids")
    hosts = Counter(r.data.host for r in result.records if r.data.host)
    if hosts:
        # The one most events name; on a tie the first named, so every run picks the same.
        result.host = hosts.most_common(1)[0][0]
    return result
