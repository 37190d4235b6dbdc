"""Take names and secrets out of a report so it can go to a vendor (`diagnose --redact`).

Replaced everywhere in the report (and so in every form rendered from it): IPv4 and
IPv6 addresses (`addr-1`), the servers' host names, also inside file paths and
counter paths (`host-1`), and URL query strings (`?query-1`). The mapping is made
per run, numbered in the order things first appear in the report, so the same
input always gets the same placeholder within a report (two mentions of one client
stay recognisably the same client) and the same evidence gives the same redacted
report every time. Nothing else is kept: the mapping is never written anywhere.

Left alone: the knowledge base's own text and reference links, fact and rule
names, cause ids, numbers.

>>> r = Redactor(hosts=["WEB01"])
>>> r.text(r"\\\\WEB01\\Memory from 10.0.0.5 and 10.0.0.5, then 10.0.0.6 for /a.asp?user=bob&t=1")
'\\\\\\\\host-1\\\\Memory from addr-1 and addr-1, then addr-2 for /a.asp?query-1'
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from .report import Report

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_H = r"[0-9A-Fa-f]{1,4}"
ADDRESS = re.compile(
    rf"(?<![\w.:])(?:{_OCTET}\.){{3}}{_OCTET}(?![\w.])"                       # IPv4
    rf"|(?<![\w:])(?:(?:{_H}:){{7}}{_H}"                                       # IPv6, full
    rf"|(?:{_H}:){{1,7}}:(?:{_H}(?::{_H}){{0,6}})?"                             # IPv6 with ::
    rf"|::(?:{_H}(?::{_H}){{0,6}})?)(?:%[\w.]+)?(?![\w:])"
)
QUERY = re.compile(r"((?:[a-z][a-z0-9+.-]*:)?/[^\s?\"'<>]*)\?([^\s#\"'<>)\]]+)", re.IGNORECASE)
# Fields holding only the tool's own vocabulary (ids, names, the KB's reference links,
# whose query strings are not secrets). Lists of ids elsewhere are safe to pass
# through the patterns, which never match an id.
KEEP = frozenset({"schema_version", "tool", "id", "rule", "fact", "kind", "category", "direction", "encoding",
                  "references", "question", "unused_facts", "bucket", "group"})


class Redactor:
    """Consistent placeholders for one report."""

    def __init__(self, hosts: Iterable[str] = ()):
        self.mapping: dict[tuple[str, str], str] = {}
        self.counts: dict[str, int] = {}
        names = sorted({h for h in hosts if h and not h.startswith("(")}, key=lambda h: (-len(h), h))
        self.hosts = re.compile("|".join(rf"(?<![\w-]){re.escape(h)}(?![\w-])" for h in names), re.IGNORECASE) if names else None

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, value.lower())
        if key not in self.mapping:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.mapping[key] = f"{kind}-{self.counts[kind]}"
        return self.mapping[key]

    def text(self, text: str) -> str:
        text = QUERY.sub(lambda m: f"{m.group(1)}?{self.placeholder('query', m.group(2))}", text)
        text = ADDRESS.sub(lambda m: self.placeholder("addr", m.group(0)), text)
        if self.hosts is not None:
            text = self.hosts.sub(lambda m: self.placeholder("host", m.group(0)), text)
        return text

    def value(self, node: Any, key: str = "") -> Any:
        if key in KEEP:
            return node
        if isinstance(node, str):
            return self.text(node)
        if isinstance(node, list):
            return [self.value(item, key) for item in node]
        if isinstance(node, tuple):
            return tuple(self.value(item, key) for item in node)
        if isinstance(node, dict):
            return {name: self.value(item, name if key != "facts" else "") for name, item in node.items()}
        return node


def report_hosts(report: Report) -> list[str]:
    """Every host name the report knows: servers, inputs, and the facts that name hosts."""
    found = [report.host or ""] + [s.host for s in report.servers] + [i.host or "" for i in report.inputs]
    for server in report.servers:
        found += [str(v) for name, v in server.facts.items() if name in ("host.name",) and isinstance(v, str)]
    return [h for h in dict.fromkeys(found) if h]


def redact(report: Report) -> Report:
    """The same report with addresses, host names and query strings replaced (see module doc)."""
    redactor = Redactor(report_hosts(report))
    data = redactor.value(report.model_dump(mode="json"))
    data["redacted"] = True
    return Report.model_validate(data)
