"""`netstat -ano`: connection states on the ports HTTP.sys listens on (PID 4), or on
all ports when none is seen listening."""
from __future__ import annotations

from ..evidence.base import ParseResult
from .model import NUMBER, Context, Facts, Source

STATE_FACTS = (("netstat.established", "ESTABLISHED"), ("netstat.time_wait", "TIME_WAIT"),
               ("netstat.close_wait", "CLOSE_WAIT"))


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    tcp = [r for result in results for r in result.records if r.data["proto"] == "TCP"]
    # A garbled address has no port (None): it cannot name a listening port, nor sort among them.
    ports = sorted({r.data["local_port"] for r in tcp
                    if r.data["state"] == "LISTENING" and r.data["pid"] == 4 and r.data["local_port"] is not None})
    scope = [r for r in tcp if r.data["local_port"] in ports] if ports else tcp
    where = f"on HTTP.sys ports {', '.join(map(str, ports))} (listening as PID 4)" if ports else "on all TCP ports"
    for fact, state in STATE_FACTS:
        found = [r for r in scope if r.data["state"] == state]
        facts.add(fact, len(found), [r.source for r in found][:3], f"{len(found):,} {state} connection(s) {where}")


SOURCE = Source("netstat", ("netstat",), {fact: NUMBER for fact, _ in STATE_FACTS}, collect)
