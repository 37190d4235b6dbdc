"""How strongly HTTPERR shows each symptom: `<series>.strength` for every reason, group and family.

The ranking weighs the rules that read a symptom by its strength (see `ranking.py`);
the words (`how`) say it the way a help desk reads it: "1 entry in 2 days of log",
"901 entries in 5.7 hours of log (159 an hour), at most 62 in 10 minutes; 42% of all
requests 18:40-21:10". Connection_Dropped on long-polling URLs counts apart
(`httperr.long_polling_drops.*`): those requests stay open by design.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from ..evidence.base import ParseResult
from ..evidence.httperr import HttpErrStats
from ..evidence.iislog import IisStats
from ..evidence.minutes import minute_number
from ..plurals import counted
from ..templates import share_text
from .longpolling import long_polling_share
from .merging import merged_stats
from .model import NUMBER, Context, Facts, Source
from .strength import MINUTES_PER_WINDOW, strength, strength_words

DROPPED = "Connection_Dropped"


class SeriesStrength:
    """Measures series of HTTPERR reasons against the log's own span and the IIS requests."""

    def __init__(self, stats: HttpErrStats, iis: IisStats | None, sets: Iterable[Iterable[str]] = ()):
        self.stats = stats
        span = stats.per_minute.span()
        self.span_minutes = float(minute_number(span[1]) - minute_number(span[0]) + 1) if span else 60.0
        self.requests = {minute_number(m): n for m, n in iis.per_minute.items()} if iis is not None and iis.per_minute else {}
        self.peaks: dict[frozenset[str], int] = {}
        self._find_peaks(sets)

    def _find_peaks(self, sets: Iterable[Iterable[str]]) -> None:
        """The busiest 10 minutes of each set of reasons, every set in one pass over the days
        (a year of log is 52,560 windows a reason: never held as such)."""
        wanted = [s for s in dict.fromkeys(frozenset(r for r in reasons if self.stats.reasons.get(r)) for reasons in sets)
                  if s and s not in self.peaks]
        self.peaks.update(zip(wanted, self.stats.per_minute.window_peaks(wanted, MINUTES_PER_WINDOW)))

    def busiest(self, reasons: list[str]) -> int:
        """The most entries of the reasons together in any 10 minutes."""
        key = frozenset(reasons)
        if key not in self.peaks:
            self._find_peaks([key])
        return self.peaks.get(key, 0)

    def measure(self, reasons: Iterable[str], keep: float = 1.0) -> tuple[float, str] | None:
        """(strength, words) of the reasons together; `keep` is the share of them that counts."""
        reasons = [r for r in reasons if self.stats.reasons.get(r)]
        if not reasons:
            return None
        entries = sum(self.stats.reasons[r] for r in reasons)
        burst = self.busiest(reasons)
        firsts = [self.stats.first_seen[r] for r in reasons if r in self.stats.first_seen]
        lasts = [self.stats.last_seen[r] for r in reasons if r in self.stats.last_seen]
        share, window = None, None
        if self.requests and firsts and lasts:
            first, last = min(firsts), max(lasts)
            low, high = minute_number(first[:16]), minute_number(last[:16])
            served = sum(n for m, n in self.requests.items() if low <= m <= high)
            if served:
                share = entries / (entries + served)
                window = f"{first[11:16]}-{last[11:16]}" if first[:10] == last[:10] else f"{first[:16]}-{last[:16]}"
        value = strength(entries, [burst], self.span_minutes, share)
        words = strength_words(entries, burst, self.span_minutes, share, window)
        return round(value * keep, 3), words


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    stats = merged_stats(context, results, "httperr", HttpErrStats)
    if stats is None or not stats.records:
        return
    kb = context.kb
    benign = {name for name, phrase in kb.phrases.items() if phrase.benign}
    groups = {name: sorted(members) for name, members in kb.phrase_groups.items()}
    families = {family: sorted(r for r in stats.reasons if r not in benign and r in kb.phrases
                               and kb.phrases[r].family == family) for family in kb.families}
    measure = SeriesStrength(stats, merged_stats(context, results, "iislog", IisStats),
                             [[r] for r in stats.reasons] + list(groups.values()) + list(families.values()))
    polling = long_polling_share(stats.urls.get(DROPPED, Counter()))
    for reason in sorted(stats.reasons):
        keep = 1.0 - polling if reason == DROPPED else 1.0
        found = measure.measure([reason], keep)
        if found is None:
            continue
        value, words = found
        if keep < 1.0:
            words += f"; {share_text(polling)} of them on long-polling URLs, which do not count"
        refs = stats.examples.get(reason, [])
        facts.add(f"httperr.reason.{reason}.strength", value, refs, words)
        if reason == DROPPED:
            facts.add("httperr.dropped.strength", value, refs, words)
    for name, members in groups.items():
        found = measure.measure(members)
        if found:
            facts.add(f"httperr.{name}.strength", found[0], how=found[1])
    for family, members in families.items():
        found = measure.measure(members)
        if found:
            facts.add(f"httperr.family.{family}.strength", found[0], how=found[1])
    if polling:
        lines = round(stats.reasons[DROPPED] * polling)
        facts.add("httperr.long_polling_drops.lines", lines, stats.examples.get(DROPPED, []),
                  f"{lines:,} of {stats.reasons[DROPPED]:,} Connection_Dropped entries were for long-polling URLs")
        found = measure.measure([DROPPED], polling)
        if found is not None:
            facts.add("httperr.long_polling_drops.strength", found[0], how=found[1])
    ranked = sorted(((n, r) for r, n in stats.reason_lines.items() if r not in benign), reverse=True)
    if ranked and f"httperr.reason.{ranked[0][1]}.strength" in facts:
        top = facts[f"httperr.reason.{ranked[0][1]}.strength"]
        facts.add("httperr.top_reason.strength", top.value, top.sources, top.how)
    non_benign = sum(n for r, n in stats.reasons.items() if r not in benign)
    facts.add("httperr.non_benign_per_hour", non_benign / measure.span_minutes * 60,
              how=f"{counted(non_benign, 'entry')} other than background noise in {measure.span_minutes / 60:.1f} hours of log")


SOURCE = Source("series", ("httperr", "iislog"), {
    "httperr.reason.{phrase}.strength": NUMBER, "httperr.{group}.strength": NUMBER, "httperr.family.{family}.strength": NUMBER,
    "httperr.dropped.strength": NUMBER, "httperr.top_reason.strength": NUMBER, "httperr.long_polling_drops.lines": NUMBER,
    "httperr.long_polling_drops.strength": NUMBER, "httperr.non_benign_per_hour": NUMBER,
}, collect)
