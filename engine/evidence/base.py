"""What every evidence parser shares: the records it yields and how it refuses a file.

A parser yields small typed records and never decides anything; the `facts` package turns
records into facts. A parser handed a file of another kind raises `NotThisKind`,
so auto-detection is simply "try each parser in turn".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Callable, Generic, Iterable, Iterator, TypeVar

Data = TypeVar("Data")


class NotThisKind(Exception):
    """The file is not of the parser's kind (raised before any record is yielded)."""


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a piece of evidence came from: file and 1-based line (0 = whole file)."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(slots=True)
class Skip:
    """A line the parser could not use, and why; every skip is counted and reported."""

    line: int
    reason: str


class SkipList(list):
    """Skipped lines in bounded memory: the first KEPT appended are listed, the rest only counted in `more`.

    A file of eight million malformed lines would otherwise keep eight million `Skip`
    objects and their messages (gigabytes) only for the report to list the first
    few. Parsers and the reader append to it as to a list.

    >>> skips = SkipList(Skip(n, "bad") for n in range(1, 1500))
    >>> len(skips), skips.more, skipped_lines(skips), skips[-1].line
    (1000, 499, 1499, 1000)
    """

    KEPT = 1000
    more = 0  # a class default: unpickling appends the items before it restores the instance's own

    def __init__(self, skips: Iterable[Skip] = (), more: int = 0):
        super().__init__()
        self.more = more
        self.extend(skips)

    def append(self, skip: Skip) -> None:
        if len(self) < self.KEPT:
            list.append(self, skip)
        else:
            self.more += 1

    def extend(self, skips: Iterable[Skip]) -> None:
        for skip in skips:
            self.append(skip)


def skipped_lines(skips: list[Skip]) -> int:
    """Every skipped line, listed or only counted."""
    return len(skips) + getattr(skips, "more", 0)


def merged_skips(*lists: list[Skip]) -> SkipList:
    """The skips of several lists in line order (the first KEPT of them listed), counting every one."""
    return SkipList(sorted((s for skips in lists for s in skips), key=lambda s: s.line),
                    sum(getattr(skips, "more", 0) for skips in lists))


@dataclass(slots=True)
class Record(Generic[Data]):
    """One piece of evidence a parser read. `kind` says which parser made it.

    `data` is the parser's own dataclass (`bootini.BootEntry`, `netsh.NetshSection`...),
    so a facts step reads named, typed fields and a renamed field fails where it is read.
    """

    kind: str
    source: SourceRef
    data: Data
    time: datetime | None = None

    def at(self, line: int | None) -> SourceRef:
        """Where one value of this record was read: `line` of its file, or the record's own line when None."""
        return SourceRef(self.source.path, self.source.line if line is None else line)


@dataclass(slots=True)
class ParseResult:
    """Everything one parser got from one file: records, skips and file-level notes."""

    kind: str
    records: list[Record] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=SkipList)
    notes: list[str] = field(default_factory=list)
    host: str | None = None
    data_lines: int = 0
    # A mergeable aggregate for high-volume logs (HTTPERR, IIS); None for small files.
    stats: Any = None
    # Set when reading many files folded this file's `stats` into an earlier file of the
    # same folder (engine/ingest.py): this file's own record count; `stats` is then None
    # (or, on the first file of the run, the folder's merged aggregate).
    folded_records: int | None = None
    # The parser's own dataclass of what the file says as a whole, when a facts step needs
    # it beside the records: the key a `reg query` listed (`regquery.RegListing`), whose
    # values may all be at their defaults and so yield no record.
    summary: Any = None


class Lines:
    """Decoded lines of one file with 1-based numbers; line endings removed.

    Parsers take this rather than a path so that decoding, encodings and size
    limits live in one place (`reader.py`).
    """

    def __init__(self, path: str, text_lines: Iterable[str], open_binary: Callable[[], BinaryIO] | None = None,
                 blocks: Callable[[], Iterator[tuple[int, bytes]]] | None = None,
                 block_lines: Callable[[int, bytes], Iterator[tuple[int, str]]] | None = None):
        self.path = path
        self._lines = text_lines
        # Binary formats (.evtx) read the raw bytes through this instead of the lines.
        self.open_binary = open_binary
        # Optional bytes-level access for high-volume parsers: `blocks()` yields
        # (first line number, bytes of whole lines); `block_lines` decodes one such block.
        self.blocks = blocks
        self.block_lines = block_lines

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for number, line in enumerate(self._lines, start=1):
            yield number, line.rstrip("\r\n")

    def ref(self, line: int = 0) -> SourceRef:
        return SourceRef(self.path, line)
