"""Crashes of w3wp.exe the Application log reports, one per dying process, with what killed it.

A process that crashes is written up to three times within seconds (.NET Runtime 1026,
Application Error 1000, then Windows Error Reporting 1001), so events are grouped into
crashes: an event joins the crash before it when it comes within a minute of that crash's
first event and the crash holds no event of its kind yet. Without times the busiest kind
is the count, a lower bound. The crash's process id, where Application Error gives it,
finds the application pool in the WAS / W3SVC event for the same process (5009/5011,
IIS 6 1009/1011), which is the only place the pool is named.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from ..evidence.base import ParseResult, Record
from ..evidence.eventlog import Event
from ..plurals import counted
from ..timezones import Zone, to_utc
from .eventlog import W3SVC_SOURCES, WAS_SOURCES
from .model import NUMBER, STRING, Context, Facts, Source, when
from .naming import named_counts

SAME_CRASH = timedelta(seconds=60)
# WAS / W3SVC events that name the pool of a worker that died (R26, R26c).
WORKER_DIED = ({5009, 5011}, {1009, 1011})
# What the commonest exception codes of a crashed worker mean (R93: NTSTATUS values; R94: the
# code the CLR raises every .NET exception with, 0xe0434f4d the one .NET 1.x and 2.0 used (R92);
# R97: 0xe053534f, the stack overflow the CLR 2.0 reports).
CODE_MEANINGS = {
    "0xc0000005": "access violation", "0xc00000fd": "stack overflow", "0xc0000374": "heap corruption",
    "0xc0000409": "stack buffer overrun", "0xe0434352": ".NET exception", "0xe0434f4d": ".NET exception",
    "0xe053534f": "stack overflow",
}
Crash = list[Record[Event]]


def crashes(events: list[Record[Event]], zone: Zone | None) -> list[Crash]:
    """The events grouped into crashes, in time order (see the module's docstring)."""
    timed = sorted(((_stamp(e.data.local, zone), e) for e in events if e.data.local is not None), key=lambda item: item[0])
    found: list[tuple[datetime, Crash]] = []
    for stamp, event in timed:
        last = found[-1] if found else None
        if last is not None and stamp - last[0] <= SAME_CRASH and all(e.data.crash.kind != event.data.crash.kind for e in last[1]):
            last[1].append(event)
        else:
            found.append((stamp, [event]))
    undated = Counter(e.data.crash.kind for e in events if e.data.local is None)
    by_kind = {kind: [e for e in events if e.data.local is None and e.data.crash.kind == kind] for kind in undated}
    busiest = max(by_kind.values(), key=len, default=[])
    return [crash for _, crash in found] + [[event] for event in busiest]


def _stamp(local: datetime, zone: Zone | None) -> datetime:
    """A time all the log's events compare on: UTC when it can be had, else as written."""
    return (to_utc(local, zone) or local).replace(tzinfo=None)


def _first(crash: Crash, field: str) -> str | int | None:
    return next((getattr(e.data.crash, field) for e in crash if getattr(e.data.crash, field)), None)


def _named(found: list[Crash], field: str) -> str | None:
    """What the crashes name in `field` (module, code, exception), each with how many name it unless all name one."""
    names = [_first(crash, field) for crash in found]
    counts = Counter(code_text(name) if field == "code" else name for name in names if name)
    return named_counts(counts, len(names) - sum(counts.values()), "", "crash")


def code_text(code: str) -> str:
    """An exception code with what it means when that is known: '0xc00000fd (stack overflow)'."""
    return f"{code} ({CODE_MEANINGS[code]})" if code in CODE_MEANINGS else code


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    """event.app_crash.*: set whenever an Application log is given (a count of 0 says it holds no crash)."""
    events: list[Record[Event]] = [r for result in results for r in result.records]
    if not {(e.data.log or "").lower() for e in events} & {"application", ""}:
        return
    found = crashes([e for e in events if e.data.crash is not None], context.zone)
    refs = [crash[0].source for crash in found]
    facts.add("event.app_crash.count", len(found), refs[:5], _describe(found, context.zone))
    if not found:
        return
    for name, field in (("module", "module"), ("exception", "code"), ("dotnet_exception", "exception")):
        value = _named(found, field)
        if value is not None:
            facts.add(f"event.app_crash.{name}", value, [c[0].source for c in found if _first(c, field)][:5])
    _pools(facts, found, [e for e in events if _worker_died(e.data)])


def _describe(found: list[Crash], zone: Zone | None) -> str:
    if not found:
        return "no crash of w3wp.exe (Application Error 1000, .NET Runtime 1026, Windows Error Reporting 1001) in the Application log"
    kinds = sorted({f"{e.data.source} {e.data.event_id}" for crash in found for e in crash})
    text = f"{counted(len(found), 'crash')} of w3wp.exe from {counted(sum(map(len, found)), 'event')} ({', '.join(kinds)})"
    stamps = sorted(t for t in (to_utc(c[0].data.local, zone) for c in found if c[0].data.local) if t)
    return f"{text}, first {when(stamps[0])}, last {when(stamps[-1])}" if stamps else text


def _worker_died(event: Event) -> bool:
    return event.is_one_of(WAS_SOURCES, WORKER_DIED[0]) or event.is_one_of(W3SVC_SOURCES, WORKER_DIED[1])


def _pools(facts: Facts, found: list[Crash], died: list[Record[Event]]) -> None:
    """The pools of the crashed processes, from the WAS event that names the same process id."""
    pool_of = {e.data.pid: e for e in died if e.data.pid is not None and e.data.pool}
    matched = [pool_of.get(_first(crash, "pid")) for crash in found]
    if not any(matched):
        return
    counts = Counter(e.data.pool for e in matched if e is not None)
    facts.add("event.app_crash.pools", named_counts(counts, matched.count(None), "application pool", "crash"),
              [e.source for e in matched if e is not None][:5],
              "the WAS / W3SVC crash event with the same process id as the Application Error event names the pool")


SOURCE = Source("appcrash", ("eventlog", "evtx"), {
    "event.app_crash.count": NUMBER, "event.app_crash.module": STRING, "event.app_crash.exception": STRING,
    "event.app_crash.dotnet_exception": STRING, "event.app_crash.pools": STRING,
}, collect)

