"""The HTTPERR fast path: blocks of whole ASCII lines counted by the kernel, the rest by the reference parser.

The kernel (`_hotloop.c`, or its Python twin: `kernel.choose`) counts every line
that looks like a plain data line of the current `#Fields:` layout and stops for
anything Python must decide: a key (the columns the parser reads) or a date it
has not seen, an odd, wrapped or over-long line. Python decides, and calls it
again; the odd lines go to `LineParser.line`, so every data line ends up as a
record or a counted skip exactly as on the reference path.
"""
from __future__ import annotations

import sys
from array import array
from types import ModuleType

from .. import reader
from ..base import Lines, SourceRef
from ..phrases import is_reason, split_counted
from .fields import real_date
from .reference import LineParser
from .stats import EXAMPLES_PER_REASON

_STAMP = len("YYYY-MM-DD HH:MM:SS")


class ScanTables:
    """What the kernel reads and writes, one entry per distinct key (the columns it reads).

    Plain lists, bytearrays and arrays so the C code needs no state of its own:
    `ids` maps a key to its index and `keys` holds what a key says (reason, count
    per line, URL, (reason, queue), status, unknown: what `scan` and `count_keys`
    read); `ends` counts lines per key and `bounds` keeps each key's first and last
    stamp (19 bytes each) until the next flush; `order` lists the keys counted since
    then, in the order they first appeared. Reasons are numbered too (`reason_of`
    per key): `want` says per reason how many more example lines the file being
    read still wants.
    """

    __slots__ = ("ids", "keys", "ends", "bounds", "order", "reason_ids", "reason_of", "want", "unknown")
    # One set per #Fields: layout, kept for the next file of the same layout (a farm's
    # files repeat their keys); started afresh past MAX_KEYS, even within a file, so
    # memory stays bounded however many distinct keys (URLs, queues...) a file holds.
    # Tables that name unknown phrases are not kept: which ones become reasons of their
    # own is decided per file, in line order (`LineParser.reason_name`).
    MAX_KEYS = 20_000
    _by_layout: dict[tuple[str, ...], "ScanTables"] = {}

    @classmethod
    def for_layout(cls, fields: tuple[str, ...], examples: dict[str, list], fresh: bool = False) -> "ScanTables":
        """The tables of this layout (`fresh`: new ones), their example wishes set for the file being read."""
        tables = cls._by_layout.get(fields)
        if fresh or tables is None or tables.unknown or len(tables.keys) > cls.MAX_KEYS or tables.order:
            # order: a parse that failed midway
            if len(cls._by_layout) > 16:
                cls._by_layout.clear()
            tables = cls._by_layout[fields] = cls()
        tables.want[:] = bytes([EXAMPLES_PER_REASON]) * len(tables.reason_ids)
        for reason, refs in examples.items():
            tables.still_wanted(reason, EXAMPLES_PER_REASON - len(refs))
        return tables

    def __init__(self) -> None:
        self.ids: dict[bytes, int] = {}
        self.keys: list[tuple] = []
        self.ends = array("q")
        self.bounds = bytearray()
        self.order: list[int] = []
        self.reason_ids: dict[str, int] = {}
        self.reason_of = array("I")
        self.want = bytearray()
        self.unknown = False

    def still_wanted(self, reason: str, examples: int) -> None:
        """The kernel puts up to `examples` more lines of `reason` in `found` per call."""
        if reason in self.reason_ids:
            self.want[self.reason_ids[reason]] = max(examples, 0)

    def register(self, key: bytes, about: tuple, wanted: int) -> None:
        reason = about[0]
        self.unknown = self.unknown or about[5] is not None
        if reason not in self.reason_ids:
            self.reason_ids[reason] = len(self.want)
            self.want.append(max(wanted, 0))
        self.reason_of.append(self.reason_ids[reason])
        self.keys.append(about)
        self.ids[key] = len(self.keys) - 1
        self.ends.append(0)
        self.bounds.extend(bytes(2 * _STAMP))


class ScanState:
    """Everything one `scan` call reads and writes (the C code reads these attributes into a struct)."""

    __slots__ = ("columns", "spaces", "max_line", "tables", "days", "open_day", "dates", "found", "hours")

    def __init__(self, columns: bytes, spaces: int, tables: ScanTables, minutes, dates: set[bytes]):
        self.columns, self.spaces, self.max_line, self.tables = columns, spaces, reader.MAX_LINE_BYTES, tables
        self.days, self.open_day, self.dates = minutes.days, minutes.open_day, dates
        self.found: list[tuple[int, int]] = []  # (key, line) of lines whose reason still wants examples
        self.hours: set[bytes] = set()  # hour prefixes the Python twin has checked


class Parser(LineParser):
    """The reference parser with a bytes-level `block` path in front of it."""

    def __init__(self, lines: Lines, kernel: ModuleType):
        self.good_dates: set[bytes] = set()  # b"YYYY-MM-DD" the kernel may take without asking
        super().__init__(lines, kernel)

    def set_fields(self, fields: list[str], layout: str) -> None:
        super().set_fields(fields, layout)
        # The kernel needs date and time first and s-reason present, and keys a line by
        # the columns the parser reads, joined by spaces.
        needed = sorted(self.index[c] for c in ("cs-uri", "sc-status", "s-reason", "s-queuename") if c in self.index)
        fast = self.fields[:2] == ["date", "time"] and "s-reason" in self.index and needed[0] >= 2
        self.key_columns = bytes(needed) if fast and max(needed) < 255 else b""
        self.key_index = {self.fields[i]: at for at, i in enumerate(self.key_columns)}
        self.scanned = ScanState(self.key_columns, self.width - 1,
                                 ScanTables.for_layout(tuple(self.fields), self.stats.examples),
                                 self.stats.per_minute, self.good_dates)

    def block(self, first: int, block: bytes) -> None:
        """A block of whole lines as bytes (from `Lines.blocks`)."""
        if self.key_columns and block.isascii():
            self.scan(first, block)
            return
        for number, line in self.lines.block_lines(first, block):
            self.line(number, line)

    def scan(self, first: int, block: bytes) -> None:
        """Let the kernel count the block, doing for it whatever it stops for."""
        kernel = self.kernel
        pos, number, size = 0, first, len(block)
        while pos < size:
            if not self.key_columns:  # a #Fields: line the kernel cannot follow
                self.block(number, block[pos:])
                return
            if self.pending:  # a wrapped line waits for its continuation: the reference path decides
                pos, number = self._slow_row(block, pos, number)
                continue
            state = self.scanned
            status, pos, number, aux = kernel.scan(state, block, pos, number)
            self._examples(state)
            if status == kernel.NEW_TAIL:
                self._register(state, aux)
            elif status == kernel.NEW_DATE and real_date(aux.decode("ascii")):
                self.good_dates.add(aux)
            elif status not in (kernel.DONE, kernel.EXAMPLE):  # SLOW, LONG, or a date that is not a real one
                pos, number = self._slow_row(block, pos, number)
        self._flush_scanned()

    def _register(self, state: ScanState, key: bytes) -> None:
        """A key the kernel has not seen; past MAX_KEYS the tables start afresh (after a flush)."""
        if len(state.tables.keys) >= ScanTables.MAX_KEYS:
            self._flush_scanned()
            state.tables = ScanTables.for_layout(tuple(self.fields), self.stats.examples, fresh=True)
        about = self._key(key)
        state.tables.register(key, about, EXAMPLES_PER_REASON - len(self.stats.examples.get(about[0], ())))

    def _examples(self, state: ScanState) -> None:
        """The first lines of each reason, in line order, until it has enough."""
        tables, examples, path = state.tables, self.stats.examples, self.lines.path
        for index, line in state.found:
            reason = tables.keys[index][0]
            refs = examples.setdefault(reason, [])
            if len(refs) < EXAMPLES_PER_REASON:
                refs.append(SourceRef(path, line))
            tables.still_wanted(reason, EXAMPLES_PER_REASON - len(refs))
        state.found.clear()

    def _key(self, key: bytes) -> tuple:
        """What a key says: (reason, count per line, URL or None, (reason, queue) or None, status, unknown phrase or None)."""
        tokens, at = key.decode("ascii").split(" "), self.key_index
        phrase, count = split_counted(tokens[at["s-reason"]])
        unknown = None if is_reason(phrase) else phrase
        reason = sys.intern(phrase if unknown is None else self.reason_name(phrase))  # the C caches day arrays by identity
        url = tokens[at["cs-uri"]] if "cs-uri" in at else "-"
        queue = tokens[at["s-queuename"]] if "s-queuename" in at else "-"
        return (reason, count, None if url == "-" else url, None if queue == "-" else (reason, queue),
                tokens[at["sc-status"]] if "sc-status" in at else "-", unknown)

    def _slow_row(self, block: bytes, pos: int, number: int) -> tuple[int, int]:
        """The line at `pos` on the reference path; returns where the next line starts.

        From an over-long line on, the rest of the block goes to the line reader,
        which skips such lines with their length.
        """
        self._flush_scanned()
        end = block.find(b"\n", pos)
        end = len(block) if end < 0 else end
        if end - pos >= reader.MAX_LINE_BYTES:
            for number, line in self.lines.block_lines(number, block[pos:]):
                self.line(number, line)
            return len(block), number + 1
        self.line(number, block[pos:end].decode("ascii").rstrip("\r"))  # as the line reader: trailing CRs go
        return end + 1, number + 1

    def _flush_scanned(self) -> None:
        """Add what the kernel counted since the last flush to the aggregate."""
        tables = self.scanned.tables
        if not tables.order:
            return
        lines = self.kernel.count_keys(tables, self.stats)
        keys, bounds = tables.keys, tables.bounds
        first: dict[str, bytearray] = {}
        last: dict[str, bytearray] = {}
        for index in tables.order:
            reason = keys[index][0]
            at = index * 2 * _STAMP
            low, high = bounds[at:at + _STAMP], bounds[at + _STAMP:at + 2 * _STAMP]
            bounds[at] = 0  # a zero first byte tells the kernel this key has no stamp yet
            if reason not in first or low < first[reason]:
                first[reason] = low
            if reason not in last or high > last[reason]:
                last[reason] = high
        for reason, low in first.items():
            self.stats.seen(reason, low.decode("ascii"), last[reason].decode("ascii"))
        tables.order.clear()
        self.stats.records += lines
        self.stats.layouts[self.layout] += lines
        self.result.data_lines += lines
        self.saw_anything = True
