"""Order in time: when the main symptom started and ended, and what happened before, during and after.

Rules cannot compare times, so the comparisons are made here and handed over as
counts and shares. The main symptom is the busiest series of HTTPERR lines that are
not background noise (requests abandoned by a dying worker only when nothing else
is there); its episode is its busiest run of minutes with no gap over 15 minutes.

* An administrator's recycle or restart that the symptom stopped soon after (Service
  Control Manager stopping the web service, a worker overrunning its shutdown time, WAS
  5013) is how the outage ended, not why it started: `event.recovery_after_onset.count`,
  and the worker "failures" that came before it (`event.worker_failures_before_recovery.count`).
  A recycle the symptom went on long after did not end it: a scheduled recycle that cuts
  long-running connections can start the outage itself (every client reconnecting at once).
* Requests abandoned at such a recycle (`httperr.abandoned.at_recovery_share`), or right
  after a memory-limit recycle (`httperr.abandoned.at_memory_recycle_share`) or a recycle
  on schedule (`httperr.abandoned.at_scheduled_recycle_share`: requests that outlived the
  shutdown time limit), are its side effect.
* Requests abandoned as a worker crashed (`httperr.abandoned.at_app_crash_share`, the crash
  as the Application log reports it) are the crash's own damage, not a side effect.
* Memory-limit recycles before the onset (`event.was_private_bytes_recycle.before_onset`)
  are a trigger.
* CPU while the request queue sat at its limit (`perf.cpu_while_queue_full_pct`):
  a full queue and an idle CPU is a hang, not load.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from ..evidence.base import ParseResult, Record
from ..evidence.eventlog import Event
from ..evidence.httperr import HttpErrStats
from ..evidence.minutes import minute_number, text_of_minute
from ..evidence.perfmon import split_counter
from ..plurals import counted
from ..timezones import Zone, to_utc
from .eventlog import W3SVC_SOURCES, WAS_SOURCES
from .merging import merged_stats
from .model import NUMBER, STRING, Context, Facts, Source
from .strength import duration_words

GAP_MINUTES = 15
# A recycle or restart ended the symptom when the symptom stopped within this many minutes of it.
ENDED_WITHIN_MINUTES = 5
ABANDONED = frozenset({"Connection_Abandoned_By_AppPool", "Connection_Abandoned_By_ReqQueue", "Request_Cancelled"})
WEB_SERVICES = ("world wide web publishing service", "windows process activation service", "iis admin service")
CRASH_IDS = {5009, 5011, 5010}
CRASH_IDS_IIS6 = {1009, 1011, 1010}


def episode(per_minute: dict[int, int]) -> tuple[int, int, int] | None:
    """(first minute, last minute, entries) of the busiest run with no gap over 15 minutes.

    >>> episode({100: 1, 500: 3, 505: 4, 515: 1, 600: 2})
    (500, 515, 8)
    """
    run, best = [], None
    for minute in sorted(per_minute):
        if run and minute - run[-1] > GAP_MINUTES:
            best = _better(best, run, per_minute)
            run = []
        run.append(minute)
    best = _better(best, run, per_minute)
    return best


def _better(best, run: list[int], per_minute: dict[int, int]):
    if not run:
        return best
    entries = sum(per_minute[m] for m in run)
    return (run[0], run[-1], entries) if best is None or entries > best[2] else best


def _minute(stamp: datetime) -> int:
    return minute_number(f"{stamp:%Y-%m-%d %H:%M}")


def _is_recovery(event: Event) -> bool:
    if event.is_one_of(WAS_SOURCES, {5013}) or event.is_one_of(W3SVC_SOURCES, {1013}):
        return True
    text = event.description.lower()
    return (event.is_one_of({"service control manager"}, {7036}) and "stopped" in text
            and any(name in text for name in WEB_SERVICES))


def _is_failure(event: Event) -> bool:
    return event.is_one_of(WAS_SOURCES, CRASH_IDS) or event.is_one_of(W3SVC_SOURCES, CRASH_IDS_IIS6)


def _is_memory_recycle(event: Event) -> bool:
    return event.is_one_of(WAS_SOURCES, {5117})


def _is_scheduled_recycle(event: Event) -> bool:
    return event.is_one_of(WAS_SOURCES, {5074, 5075, 5076}) or event.is_one_of(W3SVC_SOURCES, {1074, 1075, 1076})


# Recycles whose abandoned requests are their side effect: (fact, which events, what they are).
RECYCLES_THAT_ABANDON = (
    ("httperr.abandoned.at_memory_recycle_share", _is_memory_recycle, "a memory-limit recycle (WAS 5117)"),
    ("httperr.abandoned.at_scheduled_recycle_share", _is_scheduled_recycle,
     "a recycle on schedule (WAS 5074-5076 / W3SVC 1074-1076: time limit, request limit or scheduled time)"),
)


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    stats = merged_stats(context, results, "httperr", HttpErrStats)
    events = [r for result in results if result.kind in ("eventlog", "evtx") for r in result.records]
    perf = [r for result in results if result.kind == "perfmon" for r in result.records]
    benign = {name for name, phrase in context.kb.phrases.items() if phrase.benign}
    _sequence(facts, stats, events, context.zone, perf, benign)


def _sequence(facts: Facts, stats: HttpErrStats | None, events: list[Record[Event]], zone: Zone | None,
              perf: list[Record], benign: set[str]) -> None:
    timed = [(_minute(t), e.data, e.source) for e in events
             if e.data.local is not None for t in [to_utc(e.data.local, zone)] if t is not None]
    main = _main_episode(facts, stats, benign) if stats is not None else None
    if main is not None:
        _around_onset(facts, stats, timed, main)
    if stats is not None and timed:
        for fact, is_recycle, what in RECYCLES_THAT_ABANDON:
            share = _abandoned_near(stats, [m for m, e, _ in timed if is_recycle(e)], 0, 5)
            if share is not None:
                facts.add(fact, share[0], how=f"{share[1]:,} of {share[2]:,} abandoned requests within 5 minutes after {what}")
        _abandoned_at_crashes(facts, stats, [m for m, e, _ in timed if e.crash is not None])
    _cpu_while_queue_full(facts, perf)


def _main_episode(facts: Facts, stats: HttpErrStats, benign: set[str]) -> tuple[str, int, int] | None:
    problems = {r: n for r, n in stats.reasons.items() if r not in benign}
    if not problems:
        return None
    others = {r: n for r, n in problems.items() if r not in ABANDONED} or problems
    reason = max(others, key=lambda r: (others[r], r))
    found = episode(stats.per_minute.buckets(reason, 0, 1))
    if found is None:
        return None
    onset, end, entries = found
    refs = stats.examples.get(reason, [])
    facts.add("symptom.reason", reason, refs, "the busiest HTTPERR reason that is not background noise")
    facts.add("symptom.onset", f"{text_of_minute(onset)} UTC", refs, f"first minute of its busiest run ({counted(entries, 'entry')})")
    facts.add("symptom.end", f"{text_of_minute(end)} UTC", refs, "last minute of that run")
    facts.add("symptom.duration_minutes", end - onset + 1, refs,
              f"{reason} from {text_of_minute(onset)} to {text_of_minute(end)} UTC ({duration_words(end - onset + 1)})")
    return reason, onset, end


def _around_onset(facts: Facts, stats: HttpErrStats, timed: list, main: tuple[str, int, int]) -> None:
    reason, onset, end = main
    first = max(onset, end - ENDED_WITHIN_MINUTES)
    recoveries = [(m, ref) for m, e, ref in timed if _is_recovery(e) and first <= m <= end + GAP_MINUTES]
    window = (f"from {text_of_minute(first)} UTC, {ENDED_WITHIN_MINUTES} minutes before {reason} stopped, "
              f"to 15 minutes after it stopped at {text_of_minute(end)} UTC")
    facts.add("event.recovery_after_onset.count", len(recoveries), [ref for _, ref in recoveries][:5],
              f"recycles or restarts of the web service {window}" if recoveries else f"none {window}")
    first_recovery = min((m for m, _ in recoveries), default=None)
    failures = [ref for m, e, ref in timed if _is_failure(e) and (first_recovery is None or m < first_recovery)]
    facts.add("event.worker_failures_before_recovery.count", len(failures), failures[:5],
              "worker crashes and failed pings (WAS 5009, 5010, 5011) before the first recycle or restart"
              if first_recovery is not None else "worker crashes and failed pings (WAS 5009, 5010, 5011)")
    before = [ref for m, e, ref in timed if _is_memory_recycle(e) and m <= onset]
    facts.add("event.was_private_bytes_recycle.before_onset", len(before), before[:5],
              f"memory-limit recycles (WAS 5117) before {reason} began at {text_of_minute(onset)} UTC")
    share = _abandoned_near(stats, [m for m, _ in recoveries], -2, 5)
    if share is not None:
        facts.add("httperr.abandoned.at_recovery_share", share[0],
                  how=f"{share[1]:,} of {share[2]:,} abandoned requests within minutes of the recycle or restart")


def _abandoned_at_crashes(facts: Facts, stats: HttpErrStats, crash_minutes: list[int]) -> None:
    """Requests cut when a worker died: the Application log's crash minute, the one before and the two after
    (HTTP.sys logs the abandoned requests as the process goes; the events' times are rounded to the minute)."""
    share = _abandoned_near(stats, crash_minutes, -1, 2)
    if share is not None:
        facts.add("httperr.abandoned.at_app_crash_share", share[0],
                  how=f"{share[1]:,} of {share[2]:,} abandoned requests from a minute before to 2 minutes after a crash "
                      "of w3wp.exe the Application log reports")


def _abandoned_near(stats: HttpErrStats, moments: Iterable[int], before: int, after: int) -> tuple[float, int, int] | None:
    """(share, near, total) of abandoned entries from `before` to `after` minutes around any of the moments.

    Reads the few minutes around each moment and daily totals, never every minute of
    the log: a year of abandoned requests as one dict of minutes is tens of MB."""
    counts = stats.per_minute
    total = sum(sum(counts.buckets(reason, 0, 1440).values()) for reason in ABANDONED)
    if not total or not moments:
        return None
    around = {minute for m in set(moments) for minute in range(m + before, m + after + 1)}
    near = sum(counts.get((reason, text_of_minute(minute))) for minute in around for reason in ABANDONED)
    return near / total, near, total


QUEUE = ("http service request queues", "currentqueuesize")
CPU = (("processor", "% processor time"), ("processor information", "% processor time"))


def _cpu_while_queue_full(facts: Facts, perf: list[Record]) -> None:
    queue_at: dict[datetime, float] = {}
    cpu_at: dict[datetime, float] = {}
    for record in perf:
        for path, value in record.data.items():
            parts = split_counter(path)
            if not parts:
                continue
            key = (parts["object"].lower(), parts["counter"].lower())
            instance = (parts["instance"] or "").lower()
            if key == QUEUE and instance != "_total":
                queue_at[record.time] = max(queue_at.get(record.time, 0.0), value)
            elif key in CPU and instance == "_total":
                cpu_at[record.time] = value
    if not queue_at or not cpu_at:
        return
    limit = facts.value("config.queue_length_min") or facts.value("netsh.queue_max_requests_min") or max(queue_at.values())
    if not limit or max(queue_at.values()) < 0.9 * limit:
        return
    full = [cpu_at[t] for t, q in queue_at.items() if q >= 0.9 * limit and t in cpu_at]
    if full:
        mean = sum(full) / len(full)
        facts.add("perf.cpu_while_queue_full_pct", mean,
                  how=f"mean % Processor Time over the {counted(len(full), 'sample')} with the queue at 90% or more of its {limit:,.0f} limit")


SOURCE = Source("sequence", ("httperr", "eventlog", "evtx", "perfmon"), {
    "symptom.reason": STRING, "symptom.onset": STRING, "symptom.end": STRING, "symptom.duration_minutes": NUMBER,
    "event.recovery_after_onset.count": NUMBER, "event.worker_failures_before_recovery.count": NUMBER,
    "event.was_private_bytes_recycle.before_onset": NUMBER, "httperr.abandoned.at_recovery_share": NUMBER,
    "httperr.abandoned.at_memory_recycle_share": NUMBER, "httperr.abandoned.at_scheduled_recycle_share": NUMBER,
    "httperr.abandoned.at_app_crash_share": NUMBER,
    "perf.cpu_while_queue_full_pct": NUMBER,
}, collect)
