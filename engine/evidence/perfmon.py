"""Performance Monitor / `typeperf` / `relog` counter logs in PDH-CSV form.

Every cell is quoted. The first header cell names the format, the server's time zone
and its bias in minutes (UTC = local time + bias); the other cells are counter paths
`\\\\HOST\\Object(Instance)\\Counter`. Rows start with the local sample time. Sample
input (real, from a 2002 SQL Server article; values are PDH's own)::

    "(PDH-CSV 4.0) (Eastern Daylight Time)(240)","\\\\SQL01\\Memory\\Pages/sec"
    "09/08/2002 12:35:45.166","11.296813511113458"

A blank cell (`" "`) is a sample PDH could not take; a header repeated mid-file
(two logs concatenated) starts a new column set. Each row becomes one record with
its local time and the UTC time worked out from the file's own bias.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("npp.csv", [
...     '"(PDH-CSV 4.0) (Eastern Daylight Time)(240)","\\\\\\\\WEB01\\\\Memory\\\\Pool Nonpaged Bytes"',
...     '"09/08/2002 12:35:45.166","111616000"',
...     '"09/08/2002 12:36:00.167"," "',
... ]))
>>> first, second = result.records
>>> result.host, first.data.bias_minutes, first.data.values, str(first.time)
('WEB01', 240, {'\\\\\\\\WEB01\\\\Memory\\\\Pool Nonpaged Bytes': 111616000.0}, '2002-09-08 16:35:45.166000+00:00')
>>> second.data.values
{}
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable
from datetime import datetime, timedelta, timezone

from ..plurals import counted
from .base import Lines, NotThisKind, ParseResult, Record, Skip, SourceRef
from .wintime import read_stamp

KIND = "perfmon"
HEADER = re.compile(r'^\ufeff?"?\(PDH-CSV (?P<version>[\d.]+)\)\s*\((?P<zone>[^)]*(?:\([^)]*\)[^)]*)*)\)\s*\((?P<bias>-?\d+)\)"?')
# Far beyond any real counter (a petabyte, a billion per second), yet small enough that
# sums, differences and chart scales stay finite.
MAX_COUNTER_VALUE = 1e15
COUNTER = re.compile(r"^\\\\(?P<host>[^\\]+)\\(?P<object>[^\\(]+)(?:\((?P<instance>.*)\))?\\(?P<counter>.+)$")


def split_counter(path: str) -> dict[str, str | None] | None:
    r"""Split `\\HOST\Object(Instance)\Counter` into its parts.

    >>> split_counter(r"\\WEB01\HTTP Service Request Queues(DefaultAppPool)\CurrentQueueSize")["instance"]
    'DefaultAppPool'
    """
    match = COUNTER.match(path)
    return match.groupdict() if match else None


@dataclass(slots=True)
class PerfSample:
    """One sample row (a record's `data`; the record's `time` is the same moment in UTC)."""

    local: datetime
    # The header's counter paths (`\\HOST\Object(Instance)\Counter`), one list shared by
    # every row under it, and this row's value for each (None: a blank or damaged cell).
    # A tuple of numbers holds a row in a third of what a dict per row would take.
    counters: list[str]
    numbers: tuple[float | None, ...]
    # The file's bias for this row: UTC = local time + bias.
    bias_minutes: int

    def items(self) -> Iterable[tuple[str, float]]:
        """(counter path, value) for each cell that holds a value."""
        if None in self.numbers:
            return ((path, value) for path, value in zip(self.counters, self.numbers) if value is not None)
        return zip(self.counters, self.numbers)

    @property
    def values(self) -> dict[str, float]:
        """Counter path to value, blank cells left out."""
        return dict(self.items())


@dataclass
class PdhHeaders:
    """The file's header rows (zone, bias, counters); `records` counts the sample rows."""

    headers: list[dict] = field(default_factory=list)
    records: int = 0


def sniff(head: str) -> bool:
    return bool(HEADER.match(head.lstrip()))


def _number(cell: str) -> float | None:
    """A cell's value; None for a blank cell (a sample PDH could not take) or text.

    `float` ignores the spaces around a number itself, so the common cell costs one call.
    """
    try:
        return float(cell)
    except ValueError:
        pass
    # Some locales write a decimal comma inside the quotes.
    try:
        return float(cell.strip().replace(",", "."))
    except ValueError:
        return None


def sensible(value: float) -> bool:
    """A value a counter can hold: `nan`, `inf` and `1e308` are damage (or an attack),
    and one of them would poison every sum, chart scale and report form built on it.

    >>> [sensible(v) for v in (0.0, 402653184.0, float("nan"), float("-inf"), 1e308)]
    [True, True, False, False, False]
    """
    return -MAX_COUNTER_VALUE <= value <= MAX_COUNTER_VALUE  # nan compares false


def _absurd_note(count: int, first: list[tuple[int, str]]) -> str:
    shown = "; ".join(f"line {number}: {cell.strip()[:20]!r}" for number, cell in first)
    more = f"; {count - len(first):,} more" if count > len(first) else ""
    return (f"{counted(count, 'counter value')} skipped: not a finite number, or beyond "
            f"{MAX_COUNTER_VALUE:,.0f} ({shown}{more})")


def _cells(line: str) -> list[str] | None:
    """One CSV row; a stray CR or NUL (a damaged copy) must not stop the csv module.

    PDH quotes every cell and never a quote inside one, so a row whose only quotes are
    the cells' own is split directly; any other row goes through the csv module.
    """
    line = line.replace("\r", " ").replace("\x00", "")
    if line.startswith('"') and line.endswith('"'):
        cells = line[1:-1].split('","')
        if line.count('"') == 2 * len(cells):
            return cells
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return None


@dataclass(slots=True)
class ColumnSet:
    """What one PDH-CSV header says about the rows under it: their counters and time zone."""

    counters: list[str]
    zone: timezone
    bias_minutes: int


@dataclass(slots=True)
class _Damage:
    """Counter values skipped as absurd: all counted, the first few quoted in the note."""

    count: int = 0
    first: list[tuple[int, str]] = field(default_factory=list)

    def add(self, number: int, cell: str) -> None:
        self.count += 1
        if len(self.first) < 3:
            self.first.append((number, cell))


def _column_set(number: int, line: str, header: re.Match, result: ParseResult, hosts: Counter) -> ColumnSet:
    """A header row starts a new column set; an impossible bias is noted and read as UTC."""
    counters = (_cells(line) or [""])[1:]
    bias = int(header.group("bias"))
    if abs(bias) >= 24 * 60:
        # A damaged header; Windows biases are within a day. Times are kept, read as UTC.
        result.notes.append(f"line {number}: time-zone bias of {bias} minutes is impossible; times read as UTC")
        bias = 0
    for path in counters:
        parts = split_counter(path)
        if parts:
            hosts[parts["host"].upper()] += 1
    result.stats.headers.append({"line": number, "zone_name": header.group("zone"), "bias_minutes": bias,
                                 "counters": counters})
    return ColumnSet(counters, timezone(-timedelta(minutes=bias)), bias)


def _numbers(number: int, cells: list[str], damage: _Damage) -> tuple[float | None, ...]:
    """One row's values: None for a blank cell and for an absurd one (counted as damage).

    Most rows are all numbers of everyday size, read in one go: when the sum of their
    sizes is sensible, so is each. Any other row is read cell by cell.
    """
    try:
        numbers = tuple(map(float, cells))
    except ValueError:
        pass
    else:
        if sensible(sum(map(abs, numbers))):
            return numbers
    found = []
    for cell in cells:
        value = _number(cell)
        if value is not None and not sensible(value):
            damage.add(number, cell)
            value = None
        found.append(value)
    return tuple(found)


def _sample(ref: SourceRef, line: str, columns: ColumnSet, skips: list[Skip], damage: _Damage) -> Record | None:
    """One data row as a record, or None with the reason added to `skips`."""
    number = ref.line
    cells = _cells(line)
    if cells is None:
        skips.append(Skip(number, "not a CSV row"))
        return None
    local = read_stamp(cells[0]) if cells else None
    if local is None:
        skips.append(Skip(number, f"first cell {cells[0][:30]!r} is not a sample time" if cells else "empty row"))
        return None
    if len(cells) != len(columns.counters) + 1:
        skips.append(Skip(number, f"{counted(len(cells) - 1, 'value')} where the header names "
                                  f"{counted(len(columns.counters), 'counter')} (truncated row?)"))
        return None
    numbers = _numbers(number, cells[1:], damage)
    try:
        utc = local.replace(tzinfo=columns.zone).astimezone(timezone.utc)
    except (OverflowError, ValueError):
        skips.append(Skip(number, f"sample time {cells[0][:30]!r} is out of range once the bias is applied"))
        return None
    return Record(KIND, ref, PerfSample(local, columns.counters, numbers, columns.bias_minutes), time=utc)


def _file_notes(result: ParseResult, headers: int, damage: _Damage, hosts: Counter) -> None:
    """What the file as a whole says: damaged values, joined logs, the computer the counters are from."""
    if damage.count:
        result.notes.append(_absurd_note(damage.count, damage.first))
    if headers > 1:
        result.notes.append(f"{headers} PDH-CSV headers: logs were joined; each part keeps its own columns and bias")
    if hosts:
        result.host = hosts.most_common(1)[0][0]
        if len(hosts) > 1:
            result.notes.append("counters from several computers: " + ", ".join(sorted(hosts)))


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    result.stats = info = PdhHeaders()
    columns: ColumnSet | None = None
    hosts: Counter = Counter()
    damage = _Damage()
    for number, line in lines:
        if not line.strip():
            continue
        header = HEADER.match(line)
        if header:
            columns = _column_set(number, line, header, result, hosts)
            continue
        result.data_lines += 1
        if columns is None:
            if result.data_lines >= 5:
                raise NotThisKind("no PDH-CSV header")
            result.skips.append(Skip(number, "data row before the PDH-CSV header"))
            continue
        record = _sample(lines.ref(number), line, columns, result.skips, damage)
        if record is not None:
            result.records.append(record)
            info.records += 1
    if not info.headers:
        raise NotThisKind("no PDH-CSV header")
    _file_notes(result, len(info.headers), damage, hosts)
    return result
