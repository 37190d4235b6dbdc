"""Output of `netsh http show servicestate` (HTTP.sys server sessions, URL groups, request queues).

Sample input (real, a developer's PC)::

    Server session ID: FF00000420000001
        Version: 2.0
        State: Active
        Properties:
            Timeouts:
                Idle connection timeout (secs): 120
                Header wait timeout (secs): 120
                Minimum send rate (bytes/sec): 150
    Request queues:
        Request queue name: DefaultAppPool
            State: Active
            Request queue 503 verbosity level: Basic
            Max requests: 1000

Indentation is not trusted (a Microsoft article shows the same output with none):
the section is known from the `Server session ID:`, `URL group ID:` and
`Request queue name:` lines. One record per session, URL group and request queue.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("servicestate.txt", [
...     "Server session ID: FF00000420000001",
...     "        Minimum send rate (bytes/sec): 150",
...     "Request queues:",
...     "    Request queue name: DefaultAppPool",
...     "        Max requests: 1000",
... ]))
>>> [(r.data.section, r.data.id, r.data.number("max requests")) for r in result.records]
[('session', 'FF00000420000001', None), ('queue', 'DefaultAppPool', 1000)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .base import Lines, NotThisKind, ParseResult, Record, Skip

KIND = "netsh"
Section = Literal["session", "urlgroup", "queue"]
PAIR = re.compile(r"^\s*(?P<key>[^:]+?)\s*:\s*(?P<value>.*?)\s*(?:\*\*.*|<-+.*)?$")
SECTIONS: dict[str, Section] = {"server session id": "session", "url group id": "urlgroup", "request queue name": "queue"}
HEADINGS = {"properties", "timeouts", "url groups", "request queues", "registered urls", "process ids", "controller process id"}


@dataclass(slots=True)
class NetshSection:
    """One server session, URL group or request queue of the output (a record's `data`).

    Its `name: value` lines are kept by their lower-cased label, as written: which
    labels appear varies with the Windows version, and only a few are ever read.
    """

    section: Section
    # The session or URL group ID, or the request queue's name.
    id: str
    values: dict[str, str] = field(default_factory=dict)
    # Line of each label, for file:line sources.
    line_of: dict[str, int] = field(default_factory=dict)
    # The registered URLs and process ids listed under it, one per line without a label.
    items: list[str] = field(default_factory=list)

    def number(self, label: str) -> int | None:
        """The value of `label` as a whole number; None when absent or not a number."""
        raw = self.values.get(label, "")
        return int(raw) if raw.isdigit() else None


def sniff(head: str) -> bool:
    lowered = head.lower()
    return "server session id:" in lowered or ("snapshot of http service state" in lowered) or (
        "request queue name:" in lowered and "max requests:" in lowered)


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    current: Record[NetshSection] | None = None
    in_queues = False
    for number, line in lines:
        text = line.strip()
        if not text or set(text) <= {"-"} or text.lower().startswith(("netsh", "snapshot of http")):
            continue
        match = None if re.match(r"^\w+://", text) else PAIR.match(line)
        if not match:
            if current is not None:
                result.data_lines += 1
                if "://" in text or text.split()[0].isdigit():
                    current.data.items.append(text.split()[0])
                elif text.lower() == "timeout values inherited":
                    current.data.values["timeouts"] = "inherited"
                else:
                    result.skips.append(Skip(number, "not a `name: value` line of netsh"))
            continue
        key = match.group("key").lower()
        value = match.group("value")
        if key == "request queues":
            in_queues = True
        if key in SECTIONS and (key != "request queue name" or in_queues or current is None):
            current = Record(KIND, lines.ref(number), NetshSection(SECTIONS[key], value))
            result.records.append(current)
            result.data_lines += 1
            continue
        if current is None:
            continue
        result.data_lines += 1
        if key in HEADINGS and not value:
            continue
        if key == "request queue name":
            current.data.values["queue"] = value
            continue
        current.data.values.setdefault(key, value)
        current.data.line_of.setdefault(key, number)
    if not result.records:
        raise NotThisKind("no server session, URL group or request queue found")
    return result
