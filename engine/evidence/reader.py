"""Turn an evidence file's bytes into text lines, whatever Windows wrote.

Windows tools write UTF-8 (with or without BOM), the ANSI code page (cp1252 on
western servers) and UTF-16 LE/BE with BOM (PowerShell 5 `>`). Lines are decoded
one at a time so a single bad byte costs one replaced character, not the file, and
the file is streamed: no whole file and no over-long line is ever held in memory.
"""
from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import BinaryIO, Iterator

from .base import Lines, Skip

MAX_LINE_BYTES = 64 * 1024
HEAD_BYTES = 16 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def detect_encoding(head: bytes) -> str:
    """Name the encoding from the first bytes.

    >>> detect_encoding(b"\\xff\\xfe#\\x00F\\x00")
    'utf-16-le'
    >>> detect_encoding(b"#Fields: date time")
    'utf-8'
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096]
    if len(sample) >= 8:
        # BOM-less UTF-16: every other byte of ASCII text is NUL.
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
            return "utf-16-le"
        if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
            return "utf-16-be"
    return "utf-8"


def _decode_bytes_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8: the ANSI code page is what HTTP.sys and most tools fall back to.
        return raw.decode("cp1252", errors="replace")


def _byte_lines(stream: BinaryIO, skips: list[Skip]) -> Iterator[str]:
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES)
        if not raw:
            return
        number += 1
        if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
            total = len(raw)
            while True:
                more = stream.readline(MAX_LINE_BYTES)
                total += len(more)
                if not more or more.endswith(b"\n"):
                    break
            skips.append(Skip(number, f"line is {total:,} bytes long, over the {MAX_LINE_BYTES:,}-byte limit"))
            yield ""
            continue
        yield _decode_bytes_line(raw)


def _text_lines(stream: BinaryIO, encoding: str, skips: list[Skip]) -> Iterator[str]:
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline=None)
    number = 0
    limit = MAX_LINE_BYTES // 2
    while True:
        line = text.readline(limit)
        if not line:
            return
        number += 1
        if len(line) == limit and not line.endswith("\n"):
            total = len(line)
            while True:
                more = text.readline(limit)
                total += len(more)
                if not more or more.endswith("\n"):
                    break
            skips.append(Skip(number, f"line is {total:,} characters long, over the limit"))
            yield ""
            continue
        yield line


class EvidenceFile:
    """One file (on disk or inside a zip) that can be sniffed and then streamed."""

    def __init__(self, display_path: str, opener, size: int):
        self.display_path = display_path
        self._open = opener
        self.size = size
        self._head: bytes | None = None
        self.skips: list[Skip] = []

    @classmethod
    def from_path(cls, path: Path, display: str | None = None) -> "EvidenceFile":
        return cls(display or str(path), lambda: open(path, "rb"), path.stat().st_size)

    def head_bytes(self) -> bytes:
        if self._head is None:
            with self._open() as stream:
                self._head = stream.read(HEAD_BYTES)
        return self._head

    @property
    def encoding(self) -> str:
        return detect_encoding(self.head_bytes())

    def head_text(self) -> str:
        """The first few KB decoded, for sniffing the file's kind."""
        head = self.head_bytes()
        encoding = self.encoding
        if encoding.startswith("utf-16"):
            head = head[: len(head) - (len(head) % 2)]
            return head.decode(encoding, errors="replace").lstrip("\ufeff")
        return head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")

    def lines(self) -> Lines:
        """Stream decoded lines; over-long lines are recorded in `self.skips` and yielded empty."""
        self.skips = []
        encoding = self.encoding

        def generate() -> Iterator[str]:
            with self._open() as stream:
                if encoding == "utf-8-sig":
                    stream.read(len(codecs.BOM_UTF8))
                if encoding.startswith("utf-16"):
                    if stream.read(2) not in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                        stream.seek(0)
                    yield from _text_lines(stream, encoding, self.skips)
                else:
                    yield from _byte_lines(stream, self.skips)

        return Lines(self.display_path, generate())
