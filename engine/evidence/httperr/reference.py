"""The reference HTTPERR parser: one decoded line at a time, one `#Fields:` block at a time.

Every behaviour is decided here: wrapped lines joined, lines with fields missing
aligned by their reason, mangled lines salvaged by their single reason phrase,
skips and notes. The fast path (`fastpath.py`) hands this parser every line it
cannot vouch for, so both give the same aggregate.
"""
from __future__ import annotations

from types import ModuleType

from ...plurals import counted
from ..base import Lines, NotThisKind, ParseResult, Skip
from ..phrases import is_reason, split_counted
from .fields import DEFAULT_FIELDS, KIND, KNOWN_FIELDS, aligned_fields, w3c_stamp
from .stats import OTHER_UNKNOWN, UNKNOWN_REASONS, HttpErrStats


class LineParser:
    """One file's lines into one `HttpErrStats`."""

    def __init__(self, lines: Lines, kernel: ModuleType):
        self.lines = lines
        self.kernel = kernel  # compacts the minute counts here; the fast path scans with it
        self.result = ParseResult(kind=KIND)
        self.stats = self.result.stats = HttpErrStats()
        self.salvaged = 0
        self.aligned = 0
        self.saw_anything = False
        self.pending: tuple[int, list[str]] | None = None  # a line wrapped by whoever copied the log
        self.unknown_named: set[str] = set()  # unknown phrases counted as reasons of their own
        self.set_fields(DEFAULT_FIELDS, "13 fields (no #Fields: header, default layout)")

    def set_fields(self, fields: list[str], layout: str) -> None:
        self.fields = list(fields)
        self.index = {name: i for i, name in enumerate(self.fields)}
        self.width = len(self.fields)
        self.layout = layout

    def take(self, tokens: list[str], number: int) -> None:
        """Read one logical line (wrapped lines already joined)."""
        stats, index = self.stats, self.index
        names = self.fields if len(tokens) == self.width and "s-reason" in index else None
        if names is None:
            names = aligned_fields(tokens, self.fields, index)
            if names is not None:
                self.aligned += 1
        if names is None:
            self._salvage(tokens, number)
            return
        row = dict(zip(names, tokens))
        reason, count = split_counted(row["s-reason"])
        if not is_reason(reason):
            # Unknown phrases are kept: HTTP.sys adds phrases over the years.
            stats.unknown_reasons.add(reason)
            reason = self.reason_name(reason)
        self.saw_anything = True
        stats.layouts[self.layout] += 1
        stats.add(
            reason,
            count,
            w3c_stamp(row["date"], row["time"]) if "date" in row and "time" in row else None,
            row.get("cs-uri", "-"),
            row.get("s-queuename", "-"),
            row.get("sc-status", "-"),
            self.lines.ref(number),
        )

    def reason_name(self, phrase: str) -> str:
        """The reason an unknown phrase is counted under: itself, or OTHER_UNKNOWN past UNKNOWN_REASONS of them.

        Decided in line order, whichever path reads the line, so both paths agree.
        """
        if phrase not in self.unknown_named:
            if len(self.unknown_named) >= UNKNOWN_REASONS:
                return OTHER_UNKNOWN
            self.unknown_named.add(phrase)
        return phrase

    def _salvage(self, tokens: list[str], number: int) -> None:
        """A line the layout does not fit: kept by its single reason phrase, else skipped."""
        reasons_at = [i for i, token in enumerate(tokens) if is_reason(token)]
        if len(reasons_at) == 1 and len(tokens) >= 3:
            # A typo or a mangled field: only date, time and the reason are trusted.
            reason, count = split_counted(tokens[reasons_at[0]])
            self.stats.add(reason, count, w3c_stamp(tokens[0], tokens[1]), "-", "-", "-", self.lines.ref(number))
            self.salvaged += 1
            self.saw_anything = True
            return
        if not self.saw_anything and self.result.data_lines >= 5:
            raise NotThisKind("no line matches the HTTPERR layout")
        self.result.skips.append(Skip(number, f"{len(tokens)} fields where the #Fields: header has {self.width}, "
                                              "and no single reason phrase to rescue"))

    def line(self, number: int, line: str) -> None:
        if not line.strip():
            return
        if line.startswith("#"):
            self._directive(number, line)
            return
        self.result.data_lines += 1
        tokens = line.split(" ")
        starts_record = len(tokens) >= 2 and w3c_stamp(tokens[0], tokens[1]) is not None
        pending = self.pending
        if pending and not starts_record:
            pending[1].extend(t for t in tokens if t)
            self.result.skips.append(Skip(number, f"continuation of line {pending[0]} (the line was wrapped); joined to it"))
            if len(pending[1]) >= self.width or any(is_reason(t) for t in tokens):
                self.take(pending[1], pending[0])
                self.pending = None
            return
        if pending:
            self.take(pending[1], pending[0])
            self.pending = None
        if starts_record and len(tokens) < self.width and not any(is_reason(t) for t in tokens):
            self.pending = (number, tokens)
            return
        self.take(tokens, number)

    def _directive(self, number: int, line: str) -> None:
        """A `#` line: a wrapped line waiting is taken as it is; `#Fields:` sets the layout."""
        if self.pending:
            self.take(self.pending[1], self.pending[0])
            self.pending = None
        if line.startswith("#Fields:"):
            fields = line[len("#Fields:"):].split()
            self.set_fields(fields, f"{len(fields)} fields")
            self.stats.unknown_columns |= {f for f in fields if f not in KNOWN_FIELDS}
            if "s-reason" not in self.index:
                # A note, not a skip: skips count data lines, and each line under it is counted itself.
                self.result.notes.append(f"line {number}: #Fields: header has no s-reason column; "
                                         "only lines with a reason phrase under it could be read")
        self.saw_anything = True

    def finish(self) -> ParseResult:
        result, stats = self.result, self.stats
        if self.pending:
            self.take(self.pending[1], self.pending[0])
        stats.per_minute.compact(self.kernel)
        if not self.saw_anything:
            raise NotThisKind("no HTTPERR header or data line found")
        if self.aligned:
            result.notes.append(f"{counted(self.aligned, 'line')} had fewer fields than #Fields:; columns were matched by the reason's position")
        if self.salvaged:
            result.notes.append(f"{counted(self.salvaged, 'line')} had a field count that did not match #Fields:; only date, time and reason were used")
        if stats.untimed:
            result.notes.append(f"{counted(stats.untimed, 'line')} had no valid date/time; counted without a timestamp")
        if stats.unknown_columns:
            result.notes.append("unknown columns kept but not interpreted: " + ", ".join(sorted(stats.unknown_columns)))
        result.notes += bounded_notes(stats)
        return result


NAMED_IN_NOTES = 20


def bounded_notes(stats: HttpErrStats) -> list[str]:
    """The unknown phrases (the busiest NAMED_IN_NOTES, "and N more"), and each count that kept only its busiest values."""
    notes = []
    unknown = stats.unknown_reasons
    if unknown.total:
        named = unknown.most_common(NAMED_IN_NOTES)
        rest = unknown.total - sum(n for _, n in named)
        more = (f"{'at least ' if unknown.thinned else ''}{unknown.distinct() - len(named):,} "
                f"{'more ' if named else ''}({rest:,} lines)") if rest else ""
        notes.append("reason phrases the knowledge base does not know, counted as is: "
                     + ", ".join([f"{r} ({n})" for r, n in named] + ([f"and {more}" if named else more] if more else [])))
        if len(stats.reasons) and OTHER_UNKNOWN in stats.reasons:
            notes.append(f"past {UNKNOWN_REASONS} unknown reason phrases, the lines of the others are counted "
                         f"together as {OTHER_UNKNOWN}")
    for what, counts in (("status values", stats.statuses), ("queue names", stats.queues),
                         *((f"{reason} URLs", urls) for reason, urls in sorted(stats.urls.items()))):
        if counts.thinned:
            notes.append(f"more than {counts.capacity:,} distinct {what}: only the busiest are kept "
                         f"({counts.others():,} entries on the others)")
    return notes
