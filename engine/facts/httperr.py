"""HTTPERR logs: lines per reason phrase, family and group, the main reason, the
queue the application-pool lines name, and how Connection_Dropped spreads over URLs."""
from __future__ import annotations

from typing import TYPE_CHECKING

from collections import Counter

from ..evidence.base import ParseResult
from ..evidence.httperr import HttpErrStats, parse_time
from ..plurals import counted, joined, number_text
from .longpolling import by_stem, is_long_polling
from .merging import merged_stats
from .model import NUMBER, STRING, Context, Facts, Source
from .naming import named_counts

if TYPE_CHECKING:
    from ..knowledge import KnowledgeBase


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    stats = merged_stats(context, results, "httperr", HttpErrStats)
    if stats is None:
        return
    kb = context.kb
    non_benign = _reason_facts(facts, stats, kb)
    if stats.records:
        idle = stats.reason_lines.get("Timer_ConnectionIdle", 0)
        facts.add("httperr.idle_share", idle / stats.records, how=f"{idle:,} of {stats.records:,} HTTPERR lines are Timer_ConnectionIdle")
    _family_and_group_facts(facts, stats, kb)
    _queue_facts(facts, stats, kb)
    stamps = sorted(list(stats.first_seen.values()) + list(stats.last_seen.values()))
    if stamps:
        span = (parse_time(stamps[-1]) - parse_time(stamps[0])).total_seconds() / 60
        facts.add("httperr.span_minutes", span, how=f"from {stamps[0]} to {stamps[-1]} UTC")
    ranked = sorted(((n, r) for r, n in stats.reason_lines.items() if not _benign(kb, r)), reverse=True)
    if ranked:
        lines, reason = ranked[0]
        facts.add("httperr.top_reason", reason, stats.examples.get(reason, []))
        facts.add("httperr.top_reason_share", lines / non_benign)
    _dropped_facts(facts, stats)


def _benign(kb: KnowledgeBase, reason: str) -> bool:
    return reason in kb.phrases and kb.phrases[reason].benign


def _reason_facts(facts: Facts, stats: HttpErrStats, kb: KnowledgeBase) -> int:
    """The per-phrase facts; returns the lines whose reason is not background noise."""
    facts.add("httperr.lines", stats.records)
    non_benign = 0
    peaks = stats.per_minute.peaks()
    for reason, count in stats.reasons.items():
        refs = stats.examples.get(reason, [])
        lines = stats.reason_lines[reason]
        first, last = stats.first_seen.get(reason), stats.last_seen.get(reason)
        when_seen = f", first {first} UTC, last {last} UTC" if first and last else ", times not readable"
        facts.add(f"httperr.reason.{reason}.count", count, refs, counted(lines, "HTTPERR line") + when_seen)
        facts.add(f"httperr.reason.{reason}.lines", lines, refs)
        facts.add(f"httperr.reason.{reason}.peak_per_minute", peaks.get(reason, 0), refs)
        if not _benign(kb, reason):
            non_benign += lines
    facts.add("httperr.non_benign_lines", non_benign)
    noise = sorted(((lines, r) for r, lines in stats.reason_lines.items() if lines and _benign(kb, r)), reverse=True)
    if noise:
        total = sum(lines for lines, _ in noise)
        facts.add("httperr.noise_reasons", joined([f"{number_text(lines)} {reason}" for lines, reason in noise])
                  + (" entry" if total == 1 else " entries"))
    return non_benign


def _family_and_group_facts(facts: Facts, stats: HttpErrStats, kb: KnowledgeBase) -> None:
    families: dict[str, int] = {}
    for reason, lines in stats.reason_lines.items():
        phrase = kb.phrases.get(reason)
        if phrase is not None and not phrase.benign:
            families[phrase.family] = families.get(phrase.family, 0) + lines
    for family in kb.families:
        facts.add(f"httperr.family.{family}.lines", families.get(family, 0))
    for name, group in kb.phrase_groups.items():
        facts.add(f"httperr.{name}.lines", sum(stats.reason_lines.get(r, 0) for r in group),
                  [ref for r in sorted(group) for ref in stats.examples.get(r, [])][:5])
        seen = {r: stats.reasons[r] for r in group if stats.reasons.get(r)}
        if seen:
            top = max(seen, key=lambda r: (seen[r], r))
            facts.add(f"httperr.{name}.top_reason", top, stats.examples.get(top, [])[:5],
                      f"{seen[top]:,} of {counted(sum(seen.values()), 'entry')} with {'/'.join(sorted(group))}")


def _queue_facts(facts: Facts, stats: HttpErrStats, kb: KnowledgeBase) -> None:
    """The pool named most often overall, and on the lines of each reason and group.

    A sentence about one reason names the pool from that reason's own lines: the pool
    busiest overall may never have logged it.
    """
    app_pool = [r for r in stats.reasons if r in kb.phrases and kb.phrases[r].family == "app-pool"]
    _top_queue(facts, stats, "httperr", app_pool, "application-pool", each=False)
    for reason in stats.reasons:
        _top_queue(facts, stats, f"httperr.reason.{reason}", [reason], reason)
    for name, group in kb.phrase_groups.items():
        _top_queue(facts, stats, f"httperr.{name}", sorted(group), "/".join(sorted(group)))


def _top_queue(facts: Facts, stats: HttpErrStats, name: str, reasons: list[str], label: str, each: bool = True) -> None:
    """`name`.top_queue, the pool the lines of `reasons` name most often, and with `each`
    `name`.queues, every pool they name with its own count."""
    wanted = set(reasons)
    queues: dict[str, int] = {}
    for (reason, queue), n in stats.queues.items():
        if reason in wanted:
            queues[queue] = queues.get(queue, 0) + n
    if not queues:
        return
    queue = max(queues, key=lambda q: (queues[q], q))
    refs = [ref for r in reasons for ref in stats.examples.get(r, [])][:5]
    facts.add(f"{name}.top_queue", queue, refs, f"named on {queues[queue]:,} of {counted(sum(queues.values()), label + ' entry')}")
    if each:
        thinned = bool(stats.queues.thinned)
        unnamed = 0 if thinned else max(0, sum(stats.reasons.get(r, 0) for r in reasons) - sum(queues.values()))
        facts.add(f"{name}.queues", named_counts(queues, unnamed, "application pool", "entry", thinned), refs,
                  f"the s-queuename of each {label} entry" + (" (counts are lower bounds: too many names to keep)" if thinned else ""))


def _dropped_facts(facts: Facts, stats: HttpErrStats) -> None:
    """Where the drops went: URLs compared without their query strings, long-polling URLs left out."""
    dropped = stats.reasons.get("Connection_Dropped", 0)
    if not dropped:
        return
    urls = stats.urls.get("Connection_Dropped", Counter())
    stems = by_stem(Counter({url: n for url, n in urls.items() if not is_long_polling(url)}))
    refs = stats.examples.get("Connection_Dropped", [])
    counted = sum(stems.values())
    if counted:
        url, n = max(stems.items(), key=lambda item: (item[1], item[0]))
        facts.add("httperr.dropped.top_url", url, refs)
        facts.add("httperr.dropped.top_url_share", n / counted, refs,
                  f"{n:,} of {counted:,} drops were for {url} (query strings left off, long-polling URLs left out)")
        facts.add("httperr.dropped.spread_share", 1 - n / counted, refs,
                  f"{counted - n:,} of {counted:,} drops were for URLs other than {url}")
    facts.add("httperr.dropped.distinct_urls", len(stems), refs)
    facts.add("httperr.dropped.minutes", len(stats.per_minute.minutes("Connection_Dropped")), refs)


def answered_top_reason(facts: Facts, kb: KnowledgeBase) -> None:
    """A person read the HTTPERR log and named its most frequent reason: so at least one such line.

    Only lower bounds are set (1 line of that reason, of its family and groups); with the
    log itself at hand its real counts win.
    """
    reason = facts.value("httperr.top_reason")
    if "httperr.lines" in facts or not isinstance(reason, str):
        return
    how = f"at least one: {reason} was named in the wizard as the most frequent reason in HTTPERR"
    facts.add(f"httperr.reason.{reason}.count", 1, how=how)
    facts.add(f"httperr.reason.{reason}.lines", 1, how=how)
    phrase = kb.phrases.get(reason)
    if phrase is not None and not phrase.benign:
        facts.add("httperr.non_benign_lines", 1, how=how)
        facts.add(f"httperr.family.{phrase.family}.lines", 1, how=how)
    for name, group in kb.phrase_groups.items():
        if reason in group:
            facts.add(f"httperr.{name}.lines", 1, how=how)


SOURCE = Source("httperr", ("httperr",), {
    "httperr.lines": NUMBER, "httperr.non_benign_lines": NUMBER, "httperr.noise_reasons": STRING, "httperr.idle_share": NUMBER,
    "httperr.reason.{phrase}.count": NUMBER, "httperr.reason.{phrase}.lines": NUMBER,
    "httperr.reason.{phrase}.peak_per_minute": NUMBER, "httperr.reason.{phrase}.top_queue": STRING,
    "httperr.reason.{phrase}.queues": STRING,
    "httperr.family.{family}.lines": NUMBER, "httperr.{group}.lines": NUMBER, "httperr.{group}.top_queue": STRING,
    "httperr.{group}.queues": STRING, "httperr.{group}.top_reason": STRING,
    "httperr.top_queue": STRING, "httperr.span_minutes": NUMBER,
    "httperr.top_reason": STRING, "httperr.top_reason_share": NUMBER,
    "httperr.dropped.top_url": STRING, "httperr.dropped.top_url_share": NUMBER, "httperr.dropped.spread_share": NUMBER,
    "httperr.dropped.distinct_urls": NUMBER, "httperr.dropped.minutes": NUMBER,
}, collect)
