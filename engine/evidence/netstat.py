"""Output of `netstat -ano` (or `-an`): every TCP/UDP endpoint, its state and owning PID.

Sample input::

    Active Connections

      Proto  Local Address          Foreign Address        State           PID
      TCP    0.0.0.0:80             0.0.0.0:0              LISTENING       4
      TCP    10.0.0.1:80            10.0.0.5:3362          ESTABLISHED     4
      TCP    [::]:80                [::]:0                 LISTENING       4
      UDP    0.0.0.0:123            *:*                                    1048

PID 4 is the System process, i.e. HTTP.sys. State names are translated on localised
Windows (German `ABHÖREN`, `HERGESTELLT`, `WARTEND`, `SCHLIESSEN_WARTEN`); they are
mapped back to the English ones.

A capture of a busy server holds hundreds of thousands of rows, and a forged one
millions, so rows become one mergeable `NetstatStats` (the ports HTTP.sys listens
on, connections per TCP port and state, the first rows of each), never a record per row.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> stats = parse(Lines("netstat.txt", [
...     "  Proto  Local Address          Foreign Address        State           PID",
...     "  TCP    0.0.0.0:80             0.0.0.0:0              LISTENING       4",
...     "  TCP    10.0.0.1:80            10.0.0.5:3362          ESTABLISHED     4",
...     "  TCP    10.0.0.1:80            10.0.0.9:1040          TIME_WAIT       0",
... ])).stats
>>> stats.records, stats.system_ports, stats.connections("ESTABLISHED", {80})
(3, {80}, (1, [SourceRef(path='netstat.txt', line=3)]))
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .base import Lines, NotThisKind, ParseResult, Skip, SourceRef

KIND = "netstat"
ROW = re.compile(
    r"^\s*(?P<proto>TCP|UDP)v?6?\s+(?P<local>\S+)\s+(?P<foreign>\S+)\s+(?:(?P<state>[^\d\s]\S*)\s+)?(?P<pid>\d+)?\s*$",
    re.IGNORECASE,
)
HEADER = re.compile(r"^\s*Proto\s+\S+", re.IGNORECASE)
STATES = {
    "ABHÖREN": "LISTENING", "ABHOREN": "LISTENING", "HERGESTELLT": "ESTABLISHED", "WARTEND": "TIME_WAIT",
    "SCHLIESSEN_WARTEN": "CLOSE_WAIT", "SCHLIEßEN_WARTEN": "CLOSE_WAIT", "SYN_GESENDET": "SYN_SENT",
    "SYN_EMPFANGEN": "SYN_RECEIVED", "ÉCOUTE": "LISTENING", "ECOUTE": "LISTENING", "ÉTABLIE": "ESTABLISHED",
    "LISTEN": "LISTENING",
}


COUNTED_STATES = ("ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT")
FIRST_ROWS = 3  # rows kept per (port, state) to name as sources


@dataclass
class NetstatStats:
    """Mergeable aggregate of netstat rows: merging two equals reading both captures one after the other."""

    records: int = 0
    # TCP ports listening as PID 4 (the System process, i.e. HTTP.sys).
    system_ports: set[int] = field(default_factory=set)
    # TCP connections in COUNTED_STATES per (local port or None when garbled, state):
    # [rows, [(capture number, first rows)...]]. At most 65,536 ports x 3 states.
    tcp: dict[tuple[int | None, str], list] = field(default_factory=dict)
    captures: int = 1

    def add(self, proto: str, port: int | None, state: str | None, pid: int | None, ref: SourceRef) -> None:
        self.records += 1
        if proto != "TCP":
            return
        if state == "LISTENING" and pid == 4 and port is not None:
            self.system_ports.add(port)
        elif state in COUNTED_STATES:
            entry = self.tcp.setdefault((port, state), [0, []])
            entry[0] += 1
            if len(entry[1]) < FIRST_ROWS:
                entry[1].append((0, ref))

    def merge(self, other: "NetstatStats") -> "NetstatStats":
        self.records += other.records
        self.system_ports |= other.system_ports
        for key, (rows, firsts) in other.tcp.items():
            entry = self.tcp.setdefault(key, [0, []])
            entry[0] += rows
            entry[1].extend((self.captures + capture, ref) for capture, ref in firsts[:FIRST_ROWS - len(entry[1])])
        self.captures += other.captures
        return self

    def connections(self, state: str, ports: set[int] | None) -> tuple[int, list[SourceRef]]:
        """Connections in `state` on `ports` (None: every port), and the first FIRST_ROWS of them in capture order."""
        entries = [entry for (port, entry_state), entry in self.tcp.items()
                   if entry_state == state and (ports is None or port in ports)]
        firsts = sorted((first for entry in entries for first in entry[1]), key=lambda f: (f[0], f[1].line))
        return sum(entry[0] for entry in entries), [ref for _, ref in firsts[:FIRST_ROWS]]


def _port(address: str) -> int | None:
    tail = address.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def sniff(head: str) -> bool:
    rows = sum(1 for line in head.splitlines()[:60] if ROW.match(line))
    return rows >= 1 and bool(re.search(r"^\s*Proto\s+", head, re.MULTILINE | re.IGNORECASE)) or rows >= 5


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    stats = result.stats = NetstatStats()
    seen_header = False
    for number, line in lines:
        if not line.strip():
            continue
        if HEADER.match(line):
            seen_header = True
            continue
        match = ROW.match(line)
        if not match:
            if seen_header:
                # `-b` output puts the executable name on its own line: kept out of the counts.
                if re.match(r"^\s*\[.*\]\s*$", line) or re.match(r"^\s*\S+\s*$", line):
                    continue
                result.data_lines += 1
                result.skips.append(Skip(number, "not a netstat row (Proto Local Foreign State PID)"))
            continue
        result.data_lines += 1
        state = (match.group("state") or "").upper()
        stats.add(match.group("proto").upper(), _port(match.group("local")), STATES.get(state, state) or None,
                  int(match.group("pid")) if match.group("pid") else None, lines.ref(number))
    if not stats.records:
        raise NotThisKind("no netstat rows")
    return result
