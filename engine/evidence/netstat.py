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

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("netstat.txt", [
...     "  Proto  Local Address          Foreign Address        State           PID",
...     "  TCP    10.0.0.1:80            10.0.0.5:3362          ESTABLISHED     4",
...     "  TCP    10.0.0.1:80            10.0.0.9:1040          TIME_WAIT       0",
... ]))
>>> [(r.data["state"], r.data["local_port"], r.data["pid"]) for r in result.records]
[('ESTABLISHED', 80, 4), ('TIME_WAIT', 80, 0)]
"""
from __future__ import annotations

import re

from .base import Lines, NotThisKind, ParseResult, Record, Skip

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


def _port(address: str) -> int | None:
    tail = address.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def sniff(head: str) -> bool:
    rows = sum(1 for line in head.splitlines()[:60] if ROW.match(line))
    return rows >= 1 and bool(re.search(r"^\s*Proto\s+", head, re.MULTILINE | re.IGNORECASE)) or rows >= 5


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
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
        result.records.append(Record(KIND, lines.ref(number), {
            "proto": match.group("proto").upper(),
            "local": match.group("local"),
            "foreign": match.group("foreign"),
            "local_port": _port(match.group("local")),
            "state": STATES.get(state, state) or None,
            "pid": int(match.group("pid")) if match.group("pid") else None,
        }))
    if not result.records:
        raise NotThisKind("no netstat rows")
    return result
