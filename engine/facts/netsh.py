"""`netsh http show servicestate`: the smallest request-queue limit and the server
session's minimum send rate and idle timeout (with the URL groups that override them)."""
from __future__ import annotations

from ..evidence.base import ParseResult, Record, SourceRef
from ..evidence.netsh import NetshSection, Section
from .model import NUMBER, Context, Facts, Source

SESSION_FACTS = (("netsh.min_send_rate", "minimum send rate (bytes/sec)"),
                 ("netsh.idle_timeout_s", "idle connection timeout (secs)"))
Sections = list[Record[NetshSection]]


def _ref(record: Record[NetshSection], label: str) -> SourceRef:
    return record.at(record.data.line_of.get(label))


def _lowest(records: Sections, section: Section, label: str, skip_zero: bool = False) -> tuple[int, Record[NetshSection]] | None:
    found = [(n, r) for r in records if r.data.section == section
             for n in [r.data.number(label)] if n is not None and not (skip_zero and n == 0)]
    return min(found, key=lambda item: item[0]) if found else None


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    records: Sections = [r for result in results for r in result.records]
    queue = _lowest(records, "queue", "max requests")
    if queue:
        value, record = queue
        facts.add("netsh.queue_max_requests_min", value, [_ref(record, "max requests")],
                  f"request queue {record.data.id}: Max requests {value:,}")
    for fact, label in SESSION_FACTS:
        found = _lowest(records, "session", label, skip_zero=True)
        if found:
            value, record = found
            overrides = [r for r in records if r.data.section == "urlgroup" and (r.data.number(label) or 0) not in (0, value)]
            how = f"server session {record.data.id}: {label} {value:,}"
            if overrides:
                how += ("; URL group " if len(overrides) == 1 else "; URL groups ") + "override it: " + ", ".join(f"{r.data.id} {r.data.number(label):,}" for r in overrides)
            facts.add(fact, value, [_ref(record, label)] + [_ref(r, label) for r in overrides], how)


SOURCE = Source("netsh", ("netsh",), {
    "netsh.queue_max_requests_min": NUMBER, **{fact: NUMBER for fact, _ in SESSION_FACTS},
}, collect)
