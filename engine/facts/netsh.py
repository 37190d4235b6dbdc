"""`netsh http show servicestate`: the smallest request-queue limit and the server
session's minimum send rate and idle timeout (with the URL groups that override them)."""
from __future__ import annotations

from ..evidence.base import ParseResult, Record, SourceRef
from .model import NUMBER, Context, Facts, Source

SESSION_FACTS = (("netsh.min_send_rate", "minimum send rate (bytes/sec)"),
                 ("netsh.idle_timeout_s", "idle connection timeout (secs)"))


def _number(record: Record, key: str) -> int | None:
    raw = record.data["values"].get(key, "")
    return int(raw) if raw.isdigit() else None


def _ref(record: Record, key: str) -> SourceRef:
    return SourceRef(record.source.path, record.data["line_of"].get(key, record.source.line))


def _lowest(records: list[Record], section: str, key: str, skip_zero: bool = False) -> tuple[int, Record] | None:
    found = [(n, r) for r in records if r.data["section"] == section
             for n in [_number(r, key)] if n is not None and not (skip_zero and n == 0)]
    return min(found, key=lambda item: item[0]) if found else None


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    records = [r for result in results for r in result.records]
    queue = _lowest(records, "queue", "max requests")
    if queue:
        value, record = queue
        facts.add("netsh.queue_max_requests_min", value, [_ref(record, "max requests")],
                  f"request queue {record.data['id']}: Max requests {value:,}")
    for fact, key in SESSION_FACTS:
        found = _lowest(records, "session", key, skip_zero=True)
        if found:
            value, record = found
            overrides = [r for r in records if r.data["section"] == "urlgroup" and (_number(r, key) or 0) not in (0, value)]
            how = f"server session {record.data['id']}: {key} {value:,}"
            if overrides:
                how += "; URL group(s) override it: " + ", ".join(f"{r.data['id']} {_number(r, key):,}" for r in overrides)
            facts.add(fact, value, [_ref(record, key)] + [_ref(r, key) for r in overrides], how)


SOURCE = Source("netsh", ("netsh",), {
    "netsh.queue_max_requests_min": NUMBER, **{fact: NUMBER for fact, _ in SESSION_FACTS},
}, collect)
