"""Turn an evidence file's bytes into text lines, whatever Windows wrote.

Windows tools write UTF-8 (with or without BOM), the ANSI code page (cp1252 on
western servers) and UTF-16 LE/BE with BOM (PowerShell 5 `>`). Lines are decoded
one at a time so a single bad byte costs one replaced character, not the file, and
the file is streamed: no whole file and no over-long line is ever held in memory.
"""
from __future__ import annotations

import codecs
import io
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from .base import Lines, Skip, SkipList
from .kernel import choose


def count_newlines(block: bytes) -> int:
    """The block's lines (the compiled kernel counts them several times faster than bytes.count)."""
    return choose().newlines(block)


MAX_LINE_BYTES = 64 * 1024
HEAD_BYTES = 16 * 1024
# An over-long line is skipped in chunks of this size: memory stays flat however long it is.
SKIP_CHUNK = 1024 * 1024
BLOCK_BYTES = 1024 * 1024

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


_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1a")


def looks_binary(head: bytes, encoding: str) -> str | None:
    """Say why the first bytes are not text (a memory dump, an executable), or None.

    >>> looks_binary(b"MDMP\\x93\\xa7\\x00\\x00" * 64, "utf-8")
    'binary data (25% NUL bytes), not a text file'
    >>> looks_binary("#Fields: date time".encode("utf-16-le"), "utf-16-le") is None
    True
    """
    if not head:
        return None
    if encoding.startswith("utf-16"):
        text = head[: len(head) - len(head) % 2].decode(encoding, errors="replace")
        odd = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
        share = odd / max(len(text), 1)
        return f"binary data ({share:.0%} non-text characters), not a text file" if share > 0.1 else None
    nuls = head.count(0)
    if nuls:
        return f"binary data ({nuls / len(head):.0%} NUL bytes), not a text file"
    controls = sum(1 for byte in head if byte < 32 and byte not in _TEXT_CONTROLS)
    if controls > 0.1 * len(head):
        return f"binary data ({controls / len(head):.0%} control bytes), not a text file"
    return None


def _decode_bytes_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8: the ANSI code page is what HTTP.sys and most tools fall back to.
        return raw.decode("cp1252", errors="replace")


def _skip_long_line(stream, read_so_far: int, number: int, skips: list[Skip],
                    newline: bytes | str = b"\n", what: str = f"bytes long, over the {MAX_LINE_BYTES:,}-byte limit") -> None:
    """Consume the rest of an over-long line (binary or text stream) and record it as skipped."""
    total = read_so_far
    while True:
        more = stream.readline(SKIP_CHUNK)
        total += len(more)
        if not more or more.endswith(newline):
            break
    skips.append(Skip(number, f"line is {total:,} {what}"))


def _byte_lines(stream: BinaryIO, skips: list[Skip], number: int = 0) -> Iterator[str]:
    while True:
        raw = stream.readline(MAX_LINE_BYTES)
        if not raw:
            return
        number += 1
        if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
            _skip_long_line(stream, len(raw), number, skips)
            yield ""
            continue
        yield _decode_bytes_line(raw)


def block_lines(block: bytes, first: int, skips: list[Skip]) -> Iterator[tuple[int, str]]:
    """Decoded, numbered lines of one block from `byte_blocks` (the slow path for odd blocks)."""
    for number, line in enumerate(_byte_lines(io.BytesIO(block), skips, first - 1), start=first):
        yield number, line.rstrip("\r\n")


def byte_blocks(stream: BinaryIO, skips: list[Skip], size: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Whole lines in blocks of about `size` bytes, each with the number of its first line.

    Memory stays at one block. A line still unfinished after MAX_LINE_BYTES is
    consumed to its end, recorded in `skips` and yielded as an empty line, exactly
    as the line-by-line reader does; shorter over-long lines are left in the block
    for `block_lines` to find.
    """
    size = size or BLOCK_BYTES
    number, rest = 1, b""
    while True:
        data = stream.read(size)
        if not data:
            if rest:
                yield number, rest
            return
        if rest:
            data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut:
            block, rest = data[:cut], data[cut:]
            yield number, block
            number += count_newlines(block)
        else:
            rest = data
        if len(rest) >= MAX_LINE_BYTES:
            _skip_long_line(stream, len(rest), number, skips)
            yield number, b"\n"
            number, rest = number + 1, b""


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
            _skip_long_line(text, len(line), number, skips, "\n", "characters long, over the limit")
            yield ""
            continue
        yield line


def display_name(path: str | os.PathLike) -> str:
    """A path as text that can always be printed and written as UTF-8.

    POSIX file names are bytes; names that are not UTF-8 reach Python as lone
    surrogates, which no UTF-8 writer accepts. They are shown as `\\xNN` instead.

    >>> display_name(os.fsdecode(b"logs/bad\\xff.log")), display_name("logs/two\\nlines.log")
    ('logs/bad\\\\xff.log', 'logs/two\\\\x0alines.log')
    """
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    # A newline or escape in a file or folder name would split or forge report lines.
    return _NAME_CONTROLS.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text) if _NAME_CONTROLS.search(text) else text


_NAME_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class NotRegularFile(OSError):
    """The path stopped being a regular file between listing and opening (FIFO, device)."""


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """Open a regular file for reading; never blocks on a FIFO swapped in after the listing.

    `O_NONBLOCK` makes opening a FIFO return at once instead of waiting for a writer;
    the type is then checked on the open descriptor, so there is no check-then-open race.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(f"{display_name(path)} is not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return open(fd, "rb", buffering=HEAD_BYTES)
    except BaseException:
        os.close(fd)
        raise


class EvidenceFile:
    """One file (on disk or inside a zip) that can be sniffed and then streamed.

    `opener` returns a fresh binary stream each call; it must support `peek`
    (any `io.BufferedReader` does). Errors while reading raise `OSError`.
    """

    def __init__(self, display_path: str, opener: Callable[[], BinaryIO], size: int, disk_path: Path | None = None):
        self.display_path = display_path
        # Set for plain files, so another process can open the file itself.
        self.disk_path = disk_path
        self._open = opener
        self.size = size
        self._head: bytes | None = None
        self.skips: list[Skip] = SkipList()
        # Told the bytes read so far as blocks stream (a progress bar within one big file).
        self.on_bytes: Callable[[int], None] | None = None

    @classmethod
    def from_path(cls, path: Path, display: str | None = None, size: int | None = None) -> "EvidenceFile":
        return cls(display or display_name(path), lambda: open_regular(path),
                   path.stat().st_size if size is None else size, path)

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
        """Stream decoded lines; over-long lines are recorded in `self.skips` and yielded empty.

        Byte-oriented files (UTF-8, ANSI) also offer `Lines.blocks` for parsers with a
        bytes-level fast path; `Lines.block_lines` decodes a block like the line reader.
        """
        self.skips = SkipList()
        encoding = self.encoding

        def blocks() -> Iterator[tuple[int, bytes]]:
            last: tuple[int, bytes] | None = None
            try:
                with self._open() as stream:
                    if encoding == "utf-8-sig":
                        stream.read(len(codecs.BOM_UTF8))
                    done = 0
                    for last in byte_blocks(stream, self.skips):
                        yield last
                        done += len(last[1])
                        if self.on_bytes is not None:
                            self.on_bytes(done)
            except OSError as error:
                if last is None:
                    raise
                first, block = last  # the line after the last whole block
                self.skips.append(Skip(first + count_newlines(block), f"reading stopped here: {error.strerror or error}"))

        def generate() -> Iterator[str]:
            number = 0
            try:
                with self._open() as stream:
                    if encoding == "utf-8-sig":
                        stream.read(len(codecs.BOM_UTF8))
                    if encoding.startswith("utf-16") and stream.peek(2)[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                        stream.read(2)
                    source = _text_lines(stream, encoding, self.skips) if encoding.startswith("utf-16") \
                        else _byte_lines(stream, self.skips)
                    for number, line in enumerate(source, start=1):
                        yield line
            except OSError as error:
                if not number:
                    raise
                # A file that fails half way (bad sector, zip CRC, vanished share) keeps
                # what was read; the failure is a counted skip at the line it stopped.
                self.skips.append(Skip(number + 1, f"reading stopped here: {error.strerror or error}"))

        if encoding.startswith("utf-16") or self.disk_path is None:
            # Blocks only for plain files: a zip member that fails its CRC check fails
            # on the first read of a block, where the line reader keeps what came before.
            return Lines(self.display_path, generate(), self._open)
        return Lines(self.display_path, generate(), self._open, blocks=blocks,
                     block_lines=lambda first, block: block_lines(block, first, self.skips))
