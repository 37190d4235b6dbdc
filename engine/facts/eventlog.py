"""Windows event logs (text exports and .evtx): WAS/W3SVC worker-process events, srv pool
events and application errors, counted with their UTC times."""
from __future__ import annotations

import re
from collections import Counter

from ..evidence.base import ParseResult, Record
from ..evidence.eventlog import Event
from ..plurals import counted
from ..timezones import Zone, to_utc
from .model import NUMBER, STRING, Context, Facts, Source, when
from .naming import named_counts

# Which events count for which fact: (WAS ids, IIS 6 W3SVC ids) per fact.
WAS_SOURCES = frozenset({"microsoft-windows-was", "was", "windows process activation service"})
W3SVC_SOURCES = frozenset({"w3svc", "microsoft-windows-iis-w3svc"})
EVENT_FACTS = {
    "event.was_rapid_fail.count": ({5002}, {1002}),
    "event.was_crash.count": ({5009, 5011}, {1009, 1011}),
    "event.was_ping_failure.count": ({5010}, {1010}),
    "event.was_shutdown_timeout.count": ({5013}, {1013}),
    "event.was_startup_timeout.count": (set(), {1012}),
    "event.was_private_bytes_recycle.count": ({5117}, set()),
    # Recycles WAS asks for on schedule: a worker reached the pool's time limit (periodicRestart
    # time, 1,740 minutes by default), its request limit or a scheduled time of day (R89).
    "event.was_scheduled_recycle.count": ({5074, 5075, 5076}, {1074, 1075, 1076}),
    # WAS could not start a worker process: the identity cannot log on (5021, 5057), or the start
    # failed / the pool's configuration file could not be written (5059, 5189) (R67, R68, R69).
    "event.was_identity_invalid.count": ({5021, 5057}, set()),
    "event.was_start_failure.count": ({5059, 5189}, set()),
    "event.was_cannot_start.count": ({5021, 5057, 5059, 5189}, set()),
}
# The events event.worker_failures.count adds up (engine/facts/limits.py).
WORKER_FAILURE_FACTS = ("event.was_crash.count", "event.was_ping_failure.count", "event.was_shutdown_timeout.count")
SRV_EVENTS = (2019, 2020)
# HTTP.sys's own System-log events (HttpEvent; "HTTP" on Server 2003): it could not bind
# an address and port (15005), read a URL reservation (15010) or an IP listen-list entry (15014).
HTTPEVENT_SOURCES = frozenset({"microsoft-windows-httpevent", "httpevent", "http"})
# 15007 records a URL reservation being added: not a failure, but a reservation that takes a
# site's namespace is how 503 N/A starts (R66).
HTTPEVENT_FACTS = {"event.http_bind_failed.count": {15005, 15010, 15014}, "event.http_reservation_added.count": {15007}}
# W3SVC could not register a site's URL prefix with HTTP.sys and deactivated the site: 1003 (the URL
# may be invalid), 1004, and 1007 (the network binding may already be in use) (R87, R88).
SITE_EVENT_FACTS = {"event.site_register_failed.count": {1003, 1004, 1007}, "event.site_binding_in_use.count": {1007}}
Events = list[Record[Event]]
# An export's channel: the System log, or "" when a 2003-layout export does not say.
SYSTEM_LOG = frozenset({"system", ""})
# What an HttpEvent message is about: a URL prefix, or an IPv4 / [IPv6] address with its port.
HTTPEVENT_ADDRESS = re.compile(r"https?://[^\s,;]+|(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}\b")
APP_ERROR_SOURCE = re.compile(r"^(asp\.net|application error|application hang|isapi|w3svc-wp|\.net runtime)", re.IGNORECASE)


def _describe(found: Events, zone: Zone | None) -> str:
    if not found:
        return "none in the event logs given"
    ids = sorted({e.data.event_id for e in found})
    stamps = sorted(t for t in (to_utc(e.data.local, zone) for e in found if e.data.local) if t)
    text = f"{counted(len(found), 'event')}, ID {', '.join(map(str, ids))}"
    if stamps:
        text += f", first {when(stamps[0])}, last {when(stamps[-1])}"
    elif any(e.data.local for e in found):
        text += ", times in server local time (zone unknown)"
    what = pools_named(found) or "; ".join(filter(None, (sites_named(found), addresses_named(found))))
    return f"{text}; {what}" if what else text


def pools_named(found: Events) -> str | None:
    """The application pools the events name (see `named`)."""
    return named([e.data.pool for e in found], "application pool")


def sites_named(found: Events) -> str | None:
    """The sites the events name (see `named`)."""
    return named([e.data.site for e in found], "site")


def addresses_named(found: Events) -> str | None:
    """The address and port, or URL prefix, each HttpEvent event names (see `named`)."""
    return named([event_address(e.data.description) for e in found])


def event_address(description: str) -> str | None:
    """The URL prefix, or address:port, an HttpEvent message is about (its first)."""
    found = HTTPEVENT_ADDRESS.search(description or "")
    return found.group(0).rstrip(".,'\"") if found else None


def named(names: list[str | None], noun: str = "") -> str | None:
    """What the events name, with how many name each unless all name one.

    A sentence may say "5 crashes for application pool A" only when all five name A.

    >>> named(["A", "A"], "application pool"), named(["A", "B", "A", None], "application pool")
    ('application pool A', 'application pools A (2), B (1), 1 event naming none')
    >>> named([None]), named(["10.1.4.27:443"])
    (None, '10.1.4.27:443')
    """
    counts = Counter(name for name in names if name)
    return named_counts(counts, len(names) - sum(counts.values()), noun, "event")


def _busiest_pool(found: Events) -> tuple[str, int] | None:
    """The application pool the events name most often, with how many name it."""
    pools = Counter(e.data.pool for e in found if e.data.pool)
    if not pools:
        return None
    return max(pools.items(), key=lambda item: (item[1], item[0]))


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    """Counts of the events that matter, with their UTC times (local times converted with the zone)."""
    events: Events = [r for result in results for r in result.records]
    if not events:
        return
    zone = context.zone
    logs = {(e.data.log or "").lower() for e in events}
    needs_zone = any(e.data.local is not None and e.data.local.tzinfo is None for e in events)
    if needs_zone:
        facts.time_notes.append("event-log local times converted with " + zone.label if zone else
                                "event-log times left in the server's local time: zone unknown (give systeminfo or --tz)")

    def count(name: str, found: Events) -> None:
        facts.add(name, len(found), [e.source for e in found][:5], _describe(found, zone))
        pool = _busiest_pool(found)
        if pool is not None and name in EVENT_FACTS:
            facts.add(name.replace(".count", ".pools"), pools_named(found), [e.source for e in found if e.data.pool][:5])
            facts.add(name.replace(".count", ".pool"), pool[0], [e.source for e in found if e.data.pool == pool[0]][:5],
                      f"named by {pool[1]:,} of {counted(len(found), 'event')}")

    if logs & SYSTEM_LOG:
        worker_failures: Events = []
        for name, (was_ids, w3svc_ids) in EVENT_FACTS.items():
            found = [e for e in events if e.data.is_one_of(WAS_SOURCES, was_ids) or e.data.is_one_of(W3SVC_SOURCES, w3svc_ids)]
            count(name, found)
            if name in WORKER_FAILURE_FACTS:
                worker_failures += found
        pool = _busiest_pool(worker_failures)
        if pool is not None:
            facts.add("event.worker_failures.pool", pool[0], [e.source for e in worker_failures if e.data.pool == pool[0]][:5],
                      f"named by {pool[1]:,} of {counted(len(worker_failures), 'crash, ping and shutdown event')}")
            facts.add("event.worker_failures.pools", pools_named(worker_failures),
                      [e.source for e in worker_failures if e.data.pool][:5])
        for name, ids in HTTPEVENT_FACTS.items():
            found = [e for e in events if e.data.is_one_of(HTTPEVENT_SOURCES, ids)]
            count(name, found)
            facts.add(name.replace(".count", ".addresses"), addresses_named(found),
                      [e.source for e in found if event_address(e.data.description)][:5])
        for name, ids in SITE_EVENT_FACTS.items():
            found = [e for e in events if e.data.is_one_of(W3SVC_SOURCES, ids)]
            count(name, found)
            facts.add(name.replace(".count", ".sites"), sites_named(found), [e.source for e in found if e.data.site][:5])
            facts.add(name.replace(".count", ".addresses"), addresses_named(found),
                      [e.source for e in found if event_address(e.data.description)][:5])
        for event_id in SRV_EVENTS:
            count(f"event.srv_{event_id}.count",
                  [e for e in events if e.data.is_one_of({"srv"}, {event_id})])
    if logs & {"application", ""}:
        count("event.app_errors.count", [e for e in events if e.data.level in ("error", "critical")
                                         and (e.data.log or "application").lower() == "application"
                                         and APP_ERROR_SOURCE.match(e.data.source)])


SOURCE = Source("eventlog", ("eventlog", "evtx"), {
    **{name: NUMBER for name in EVENT_FACTS}, **{name.replace(".count", ".pool"): STRING for name in EVENT_FACTS},
    **{name.replace(".count", ".pools"): STRING for name in EVENT_FACTS},
    "event.worker_failures.pool": STRING, "event.worker_failures.pools": STRING,
    **{name.replace(".count", ".addresses"): STRING for name in HTTPEVENT_FACTS}, **{name: NUMBER for name in HTTPEVENT_FACTS}, **{f"event.srv_{i}.count": NUMBER for i in SRV_EVENTS},
    **{name: NUMBER for name in SITE_EVENT_FACTS}, **{name.replace(".count", ".sites"): STRING for name in SITE_EVENT_FACTS},
    **{name.replace(".count", ".addresses"): STRING for name in SITE_EVENT_FACTS},
    "event.app_errors.count": NUMBER,
}, collect)
