"""`netstat -ano`: connection states on the ports HTTP.sys listens on (PID 4), or on
all ports when none is seen listening."""
from __future__ import annotations

from ..evidence.base import ParseResult
from ..evidence.netstat import NetstatStats
from ..plurals import counted
from .merging import merged_stats
from .model import NUMBER, Context, Facts, Source

STATE_FACTS = (("netstat.established", "ESTABLISHED"), ("netstat.time_wait", "TIME_WAIT"),
               ("netstat.close_wait", "CLOSE_WAIT"))


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    stats = merged_stats(context, results, "netstat", NetstatStats)
    if stats is None:
        return
    # A garbled address has no port (None): it cannot name a listening port, nor sort among them.
    ports = sorted(stats.system_ports)
    where = f"on HTTP.sys ports {', '.join(map(str, ports))} (listening as PID 4)" if ports else "on all TCP ports"
    for fact, state in STATE_FACTS:
        found, sources = stats.connections(state, set(ports) if ports else None)
        facts.add(fact, found, sources, f"{counted(found, state + ' connection')} {where}")


SOURCE = Source("netstat", ("netstat",), {fact: NUMBER for fact, _ in STATE_FACTS}, collect)
