"""Configured limits against what the evidence measured (header limits, queue, site
connections), and the worker-process failures summed over their event kinds."""
from __future__ import annotations

from ..plurals import counted
from ..templates import format_value
from .eventlog import WORKER_FAILURE_FACTS
from .model import BOOL, NUMBER, STRING, Derivation, Facts

# What each worker-failure count is called when the sum is written out.
WORKER_FAILURE_NOUNS = {"event.was_crash.count": "crash", "event.was_ping_failure.count": "failed ping",
                        "event.was_shutdown_timeout.count": "shutdown overrun"}

# HTTP.sys MaxFieldLength / MaxRequestBytes default (KB 820129, R11).
HTTPSYS_HEADER_LIMIT_DEFAULT = 16_384
HEADER_LIMITS = {"httpsys.max_field_length": "MaxFieldLength", "httpsys.max_request_bytes": "MaxRequestBytes"}


def derive(facts: Facts) -> None:
    _header_limits(facts)
    limits = [(facts.value(n), n) for n in ("config.queue_length_min", "netsh.queue_max_requests_min") if n in facts]
    peak = facts.value("perf.queue_peak")
    if peak is not None and limits:
        limit, name = min(limits)
        if limit:
            facts.add("perf.queue_share_of_limit", peak / limit, facts["perf.queue_peak"].sources + facts[name].sources,
                      f"queue peaked at {format_value(peak)} requests against a queue length of {format_value(limit)}")
    established, site_limit = facts.value("netstat.established"), facts.value("config.max_connections_min")
    if established is not None and site_limit:
        facts.add("connections.share_of_site_limit", established / site_limit,
                  facts["netstat.established"].sources + facts["config.max_connections_min"].sources,
                  f"{format_value(established)} established connections against maxConnections {format_value(site_limit)}")
    parts = [(n, facts.value(n)) for n in WORKER_FAILURE_FACTS if n in facts]
    if parts:
        facts.add("event.worker_failures.count", sum(v for _, v in parts),
                  [s for n, _ in parts for s in facts[n].sources][:5],
                  " + ".join(counted(v, WORKER_FAILURE_NOUNS[n]) for n, v in parts))


def _header_limits(facts: Facts) -> None:
    """Whether HTTP\\Parameters lowers a header limit, and which, by name: a report saying both
    are below the default when one is would send the reader to change the wrong value."""
    given = {name: facts.value(fact) for fact, name in HEADER_LIMITS.items() if facts.value(fact) is not None}
    if not given:
        return
    sources = [s for fact in HEADER_LIMITS if fact in facts for s in facts[fact].sources]
    how = f"{', '.join(f'{name} {format_value(v)}' for name, v in given.items())} against the {HTTPSYS_HEADER_LIMIT_DEFAULT:,}-byte default"
    lowered = [f"{name} ({format_value(v)} bytes)" for name, v in given.items() if v < HTTPSYS_HEADER_LIMIT_DEFAULT]
    facts.add("httpsys.header_limits_lowered", bool(lowered), sources, how)
    if lowered:
        facts.add("httpsys.lowered_header_limits", " and ".join(lowered), sources, how)


DERIVATION = Derivation("limits", {
    "httpsys.header_limits_lowered": BOOL, "httpsys.lowered_header_limits": STRING, "perf.queue_share_of_limit": NUMBER,
    "connections.share_of_site_limit": NUMBER, "event.worker_failures.count": NUMBER,
}, derive)
