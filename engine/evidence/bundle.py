"""Zip bundles of evidence, read in place: members are streamed from the archive, never extracted.

Help-desk engineers zip the folder they collected and attach it to a ticket, so a
`.zip` (by name, any case) given directly or found in a folder is opened and each
member becomes an input named `bundle.zip!folder/file.log`. The zip layer knows
nothing about formats: a member is handed to the same parsers as a loose file.

A zip is untrusted input, so before a member is read:

- unsafe names are refused (absolute paths, drive letters, `..` parts, NUL): they
  mean a hand-crafted archive; since nothing is extracted they could not write
  anywhere, but they would make the report name files that are not in the bundle;
- symbolic-link members are refused (never followed), as are encrypted members and
  compression methods Python cannot read;
- decompression bombs are refused from the sizes the archive declares: a member
  over `Limits.member_bytes`, a bundle over `Limits.total_bytes` in all, or a member
  that expands more than `Limits.ratio` times (checked once it is over
  `Limits.ratio_floor`, as small repetitive logs legitimately compress very well).
  `zipfile` never yields more than the declared size (it stops there and checks
  the CRC), so the declared sizes bound the work;
- a central directory listing more than `Limits.directory_entries` members (or over
  `Limits.directory_bytes`) refuses the whole zip before `zipfile` reads it: zipfile
  makes an object per entry of the directory up front, so two million tiny entries
  would cost gigabytes before the member cap (`Limits.members`) could apply; the
  counts are read from the end-of-central-directory records (Zip64 too);
- nested zips: a zip inside the bundle is opened too (collectors often zip the
  HTTPERR folder separately), held in memory up to `Limits.nested_bytes`, and
  counted against the same budget; a zip inside that one is not opened
  (`Limits.depth`), which also defeats recursive bombs such as 42.zip.

Every refusal is an input with the reason, naming the bundle and the member.
Read errors part way through a member (bad CRC, truncated archive) surface as
`OSError`, so the reader keeps what it read and reports where it stopped.

>>> refusal_for_name("../../etc/passwd"), refusal_for_name("C:/boot.ini"), refusal_for_name("HTTPERR/httperr1.log")
('the path climbs out of the bundle (..)', 'the path is absolute (C:/boot.ini)', None)
"""
from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from ..plurals import counted
from .reader import HEAD_BYTES, EvidenceFile, display_name

SEPARATOR = "!"
KIND_REFUSED = "refused"
_DRIVE = re.compile(r"^[A-Za-z]:")
# lzma, bz2 and zlib may be missing from a minimal Python build; zipfile then raises on open.
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate",
            zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError)


@dataclass(frozen=True)
class Limits:
    """How much one bundle (with any zip inside it) may expand to."""

    member_bytes: int = 2 * 1024**3
    total_bytes: int = 8 * 1024**3
    ratio: float = 500.0
    ratio_floor: int = 16 * 1024**2
    members: int = 10_000
    directory_entries: int = 50_000
    directory_bytes: int = 16 * 1024**2
    nested_bytes: int = 64 * 1024**2
    depth: int = 2


LIMITS = Limits()


class BundleReadError(OSError):
    """A member could not be decompressed (corrupt data, bad CRC, truncated archive)."""


def is_bundle(path: str | Path) -> bool:
    return str(path).lower().endswith(".zip")


def refusal_for_name(name: str) -> str | None:
    """Why a member name is unsafe, or None when it is an ordinary relative path."""
    if "\x00" in name:
        return "the path contains a NUL character"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return f"the path is absolute ({name})"
    if ".." in re.split(r"[\\/]", name):
        return "the path climbs out of the bundle (..)"
    return None


def _size(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"


class _MemberRaw(io.RawIOBase):
    """A zip member as a raw stream whose decompression errors are `OSError`s."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo):
        try:
            self._member = archive.open(info)
        except _READ_ERRORS as error:
            raise BundleReadError(f"cannot decompress: {error}") from error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._member.read(len(buffer))
        except _READ_ERRORS as error:
            raise BundleReadError(f"the zip data is damaged: {error}") from error
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._member.close()
        super().close()


def _opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    def open_member() -> BinaryIO:
        return io.BufferedReader(_MemberRaw(archive, info), buffer_size=HEAD_BYTES)
    return open_member


@dataclass
class _Budget:
    limits: Limits
    used: int = 0


def _refusal_for_member(info: zipfile.ZipInfo, budget: _Budget) -> str | None:
    limits = budget.limits
    name_problem = refusal_for_name(info.filename)
    if name_problem:
        return f"unsafe member path: {name_problem}; not read"
    if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic link inside the zip; links are never followed"
    if info.flag_bits & 0x1:
        return "encrypted member; unzip it with its password and give the folder instead"
    if info.compress_type not in _METHODS:
        return f"compression method {info.compress_type} is not supported; unzip it with Windows Explorer or 7-Zip and give the folder"
    if info.file_size > limits.member_bytes:
        return (f"expands to {_size(info.file_size)}, over the {_size(limits.member_bytes)} limit for one member "
                "(decompression bomb guard); not read")
    if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        return (f"expands {ratio:,.0f} times ({_size(info.compress_size)} to {_size(info.file_size)}), over the "
                f"{limits.ratio:,.0f}:1 limit: looks like a decompression bomb; not read")
    if budget.used + info.file_size > limits.total_bytes:
        return (f"the bundle's members add up to more than {_size(limits.total_bytes)} uncompressed "
                "(decompression bomb guard); not read")
    return None


def iter_bundle(path: Path | BinaryIO, display: str | None = None, limits: Limits = LIMITS):
    """Evidence files inside the zip at `path` (or an open seekable stream), and a refusal for each member that cannot be read.

    Yields `EvidenceFile`s and `ReadFile`s (refusals) in folder order; an archive
    that cannot be opened at all becomes one unreadable `ReadFile`.
    """
    display = display or (display_name(path) if isinstance(path, (str, Path)) else "bundle.zip")
    archive = _opened(path, limits)
    if isinstance(archive, str):
        yield _refused(display, archive, "unreadable" if archive.startswith("not a readable") else KIND_REFUSED)
        return
    yield from _members(archive, display, _Budget(limits), depth=1)


_END = b"PK\x05\x06"  # end of central directory record
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
_END_SEARCH = 22 + 65_535  # the record and the longest comment


def declared_directory(stream: BinaryIO) -> tuple[int, int] | None:
    """(entries, bytes) of the central directory as the end records declare it, or None if none is found.

    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w") as made:
    ...     made.writestr("a.log", "x"); made.writestr("b.log", "y")
    >>> declared_directory(buffer)[0]
    2
    """
    end = stream.seek(0, io.SEEK_END)
    start = max(0, end - _END_SEARCH)
    stream.seek(start)
    tail = stream.read(end - start)
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < 22:
        return None
    entries, size = struct.unpack_from("<HI", tail, at + 10)
    locator = at - 20
    if locator >= 0 and tail[locator:locator + 4] == _END64_LOCATOR:
        (where,) = struct.unpack_from("<Q", tail, locator + 8)
        stream.seek(where)
        record = stream.read(56)
        if len(record) == 56 and record[:4] == _END64:
            entries64, size64 = struct.unpack_from("<QQ", record, 32)
            entries, size = max(entries, entries64), max(size, size64)
    return entries, size


def _directory_refusal(stream: BinaryIO, limits: Limits) -> str | None:
    """Why a zip's central directory is too big to read, judged from its end records alone."""
    declared = declared_directory(stream)
    stream.seek(0)
    if declared is None:
        return None
    entries, size = declared
    if entries > limits.directory_entries or size > limits.directory_bytes:
        return (f"its directory lists {entries:,} entries ({_size(size)}); a zip of more than "
                f"{limits.directory_entries:,} is not opened: unzip it and give the folder")
    return None


def _opened(source: Path | BinaryIO, limits: Limits) -> zipfile.ZipFile | str:
    """The zip, or why it is not opened."""
    try:
        with (open(source, "rb") if isinstance(source, (str, Path)) else _Unclosed(source)) as stream:
            why = _directory_refusal(stream, limits)
        return f"not opened: {why}" if why else zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error) as error:
        return f"not a readable zip file: {getattr(error, 'strerror', None) or error}"


class _Unclosed:
    """A caller's stream in a `with`, left open."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def __enter__(self) -> BinaryIO:
        return self.stream

    def __exit__(self, *_) -> None:
        return None


def _refused(display: str, why: str, kind: str = KIND_REFUSED):
    from . import ReadFile  # the package imports this module; ReadFile lives there

    return ReadFile(display, kind, error=why)


def _members(archive: zipfile.ZipFile, display: str, budget: _Budget, depth: int) -> Iterator:
    limits = budget.limits
    # Folder order (depth first, sorted per level), so a zip reads like the folder it was made from.
    infos = sorted((info for info in archive.infolist() if not info.is_dir()),
                   key=lambda info: info.filename.replace("\\", "/").split("/"))
    for count, info in enumerate(infos):
        name = display_name(info.filename).replace("\\", "/")
        where = f"{display}{SEPARATOR}{name}"
        if count == limits.members:
            yield _refused(display, f"{counted(len(infos) - count, 'more member')} not read: a bundle is read up to "
                                    f"{limits.members:,} members")
            return
        why = _refusal_for_member(info, budget)
        if why is None and is_bundle(info.filename):
            if depth >= limits.depth:
                why = "a zip inside a zip inside a zip is not opened (nesting limit); unzip the outer ones first"
            elif info.file_size > limits.nested_bytes:
                why = (f"a zip inside the bundle is opened in memory up to {_size(limits.nested_bytes)}; this one is "
                       f"{_size(info.file_size)}: unzip the outer bundle first")
        if why is not None:
            yield _refused(where, why)
            continue
        budget.used += info.file_size
        if is_bundle(info.filename):
            yield from _nested(archive, info, where, budget, depth)
        else:
            yield EvidenceFile(where, _opener(archive, info), info.file_size)


def _nested(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, budget: _Budget, depth: int) -> Iterator:
    try:
        with _opener(archive, info)() as stream:
            inner = _opened(io.BytesIO(stream.read(budget.limits.nested_bytes + 1)), budget.limits)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        inner = f"not a readable zip file: {getattr(error, 'strerror', None) or error}"
    if isinstance(inner, str):
        yield _refused(where, inner, "unreadable" if inner.startswith("not a readable") else KIND_REFUSED)
        return
    yield from _members(inner, where, budget, depth + 1)
