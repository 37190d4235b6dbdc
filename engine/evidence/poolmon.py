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
>>> [(r.data["tag"], r.data["type"], r.data["bytes"]) for r in result.records]
[('AvSc', 'Nonp', 72351744)]
>>> result.records[0].data["pool_nonpaged_kb"]
111616
"""
from __future__ import annotations

import re

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


def sniff(head: str) -> bool:
    return bool(COLUMN_HEADER.search(head) and re.search(r"\b(Nonp|Paged)\b", head)) or "System pool information" in head


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    snapshot = -1
    pool_n = pool_p = memory = None
    in_table = False
    rows_in_snapshot = 0
    for number, line in lines:
        if not line.strip():
            continue
        if MEMORY.match(line):
            snapshot += 1
            memory = int(MEMORY.match(line).group("mem"))
            pool_n = pool_p = None
            in_table = False
            rows_in_snapshot = 0
            continue
        totals = POOL_TOTALS.search(line)
        if totals:
            if snapshot < 0 or pool_n is not None:
                snapshot += 1
                rows_in_snapshot = 0
            pool_n, pool_p = int(totals.group("n")), int(totals.group("p"))
            continue
        if COLUMN_HEADER.match(line):
            if snapshot < 0 or rows_in_snapshot:
                # No header lines came before this table: the totals above belong to the last one.
                snapshot += 1
                rows_in_snapshot = 0
                pool_n = pool_p = memory = None
            in_table = True
            continue
        if "System pool information" in line:
            continue
        match = ROW.match(line)
        if match:
            result.data_lines += 1
            data = {
                "snapshot": max(snapshot, 0),
                "tag": match.group("tag").strip(),
                "type": match.group("type"),
                "allocs": int(match.group("allocs")),
                "frees": int(match.group("frees")),
                "diff": int(match.group("diff")),
                "bytes": int(match.group("bytes")),
                "per_alloc": int(match.group("per_alloc")),
                "driver": match.group("driver"),
                "pool_nonpaged_kb": pool_n,
                "pool_paged_kb": pool_p,
                "memory_kb": memory,
            }
            result.records.append(Record(KIND, lines.ref(number), data))
            rows_in_snapshot += 1
            continue
        if TOTAL_LINE.match(line):
            continue
        if in_table:
            result.data_lines += 1
            result.skips.append(Skip(number, "not a PoolMon row (Tag Type Allocs Frees Diff Bytes Per Alloc)"))
    if not result.records:
        raise NotThisKind("no PoolMon rows found")
    return result
