"""PoolMon output: `poolmon -b` screen captures and `poolmon /n` snapshot files.

Sample input (a `poolmon -b` capture; `/n` snapshots have the same rows without
the bracketed change columns)::

     Memory: 4193784K Avail: 1583232K  PageFlts:  1234   InRam Krnl: 5120K P:99812K
     Commit:2062116K Limit:6241588K Peak:2415132K            Pool N:111616K P:98304K
     System pool information
     Tag  Type     Allocs            Frees            Diff   Bytes       Per Alloc
     AvSc Nonp     912034 (  12)     210511 (   0)   701523 72351744 (  1536)    103

A file may hold several captures taken over time; each starts a new snapshot, and a
tag whose bytes keep growing across snapshots is the leak (WDK PoolMon guidance).
`poolmon /n FILE` appends to FILE, and without `/r` writes no `Memory:`/`Pool N:`
header, so there a repeated column header is what starts the next snapshot.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("poolmon.txt", [
...     " Commit:2062116K Limit:6241588K Peak:2415132K            Pool N:111616K P:98304K",
...     " Tag  Type     Allocs            Frees            Diff   Bytes       Per Alloc",
...     " AvSc Nonp     912034 (  12)     210511 (   0)   701523 72351744 (  1536)    103",
... ]))
>>> [(r.data.tag, r.data.pool_type, r.data.bytes) for r in result.records]
[('AvSc', 'Nonp', 72351744)]
>>> result.records[0].data.pool_nonpaged_kb
111616
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .base import Lines, NotThisKind, ParseResult, Record, Skip

KIND = "poolmon"

_DELTA = r"(?:\s*\(\s*-?\d+\s*\))?"
# Older PoolMon builds print the tag right-aligned (`printf(" %4s %5s ...")`), so a
# short tag such as `Io` may follow several spaces.
ROW = re.compile(
    r"^\s{0,4}(?P<tag>\S.{0,3}?)\s+(?P<type>Nonp|Paged)\s+"
    rf"(?P<allocs>\d+){_DELTA}\s+(?P<frees>\d+){_DELTA}\s+(?P<diff>-?\d+)\s+"
    rf"(?P<bytes>\d+){_DELTA}\s+(?P<per_alloc>\d+)(?:\s+(?P<driver>\S.*?))?\s*$"
)
POOL_TOTALS = re.compile(r"Pool N:\s*(?P<n>\d+)K\s+P:\s*(?P<p>\d+)K")
MEMORY = re.compile(r"^\s*Memory:\s*(?P<mem>\d+)K")
COLUMN_HEADER = re.compile(r"^\s*Tag\s+Type\s+Allocs\s+Frees\s+Diff\s+Bytes", re.MULTILINE)
# `/e` adds a totals line per pool type; it is a sum, not a tag.
TOTAL_LINE = re.compile(r"^\s*Total\s+(Nonp|Paged)\s+\d")


@dataclass(frozen=True, slots=True)
class PoolRow:
    """One tag's row in one capture (a record's `data`), with that capture's header totals."""

    # Which capture in the file, counting from 0: rows of one snapshot share it.
    snapshot: int
    tag: str
    pool_type: str  # "Nonp" or "Paged"
    allocs: int
    frees: int
    diff: int
    bytes: int
    per_alloc: int
    # The driver `poolmon -g` mapped the tag to, else None.
    driver: str | None
    # The capture's `Pool N:` / `Pool P:` and `Memory:` figures, None when it printed none.
    pool_nonpaged_kb: int | None
    pool_paged_kb: int | None
    memory_kb: int | None

    @property
    def nonpaged(self) -> bool:
        return self.pool_type == "Nonp"


def sniff(head: str) -> bool:
    return bool(COLUMN_HEADER.search(head) and re.search(r"\b(Nonp|Paged)\b", head)) or "System pool information" in head


@dataclass(slots=True)
class _Capture:
    """Which snapshot the reader is in and what its header lines said.

    A `Memory:` line always starts a capture. A `Pool N:` line starts one unless it
    completes the `Memory:` lines just read; a column header starts one once rows have
    been read (`poolmon /n` appends tables with no header lines between them).
    """

    index: int = -1
    pool_n: int | None = None
    pool_p: int | None = None
    memory: int | None = None
    in_table: bool = False
    rows: int = 0

    def _next(self) -> None:
        self.index += 1
        self.rows = 0

    def memory_line(self, memory_kb: int) -> None:
        self._next()
        self.memory = memory_kb
        self.pool_n = self.pool_p = None
        self.in_table = False

    def totals_line(self, pool_n: int, pool_p: int) -> None:
        if self.index < 0 or self.pool_n is not None:
            self._next()
        self.pool_n, self.pool_p = pool_n, pool_p

    def column_header(self) -> None:
        if self.index < 0 or self.rows:
            # No header lines came before this table: the totals above belong to the last one.
            self._next()
            self.pool_n = self.pool_p = self.memory = None
        self.in_table = True


def _header_line(line: str, capture: _Capture) -> bool:
    """Whether `line` is one of the lines around the table (told to `capture`), not a row."""
    memory = MEMORY.match(line)
    if memory:
        capture.memory_line(int(memory.group("mem")))
        return True
    totals = POOL_TOTALS.search(line)
    if totals:
        capture.totals_line(int(totals.group("n")), int(totals.group("p")))
        return True
    if COLUMN_HEADER.match(line):
        capture.column_header()
        return True
    return "System pool information" in line


def _row(match: re.Match, capture: _Capture) -> PoolRow:
    return PoolRow(
        snapshot=max(capture.index, 0),
        tag=match.group("tag").strip(),
        pool_type=match.group("type"),
        allocs=int(match.group("allocs")),
        frees=int(match.group("frees")),
        diff=int(match.group("diff")),
        bytes=int(match.group("bytes")),
        per_alloc=int(match.group("per_alloc")),
        driver=match.group("driver"),
        pool_nonpaged_kb=capture.pool_n,
        pool_paged_kb=capture.pool_p,
        memory_kb=capture.memory,
    )


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    capture = _Capture()
    for number, line in lines:
        if not line.strip() or _header_line(line, capture):
            continue
        match = ROW.match(line)
        if match:
            result.data_lines += 1
            result.records.append(Record(KIND, lines.ref(number), _row(match, capture)))
            capture.rows += 1
        elif capture.in_table and not TOTAL_LINE.match(line):
            result.data_lines += 1
            result.skips.append(Skip(number, "not a PoolMon row (Tag Type Allocs Frees Diff Bytes Per Alloc)"))
    if not result.records:
        raise NotThisKind("no PoolMon rows found")
    return result
