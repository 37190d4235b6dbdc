"""Evidence parsers, one module per format, and the code that finds and reads files.

Detection is by content, never by file name: each parser's `sniff` looks at the
first few KB, and `parse` may still refuse with `NotThisKind`, in which case the
next parser is tried.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from . import (
    appconfig, bcdedit, bootini, bundle, eventlog, evtxfile, httperr, iislog, iplisten, manifest, netsh, netstat, perfmon,
    poolmon, regquery, systeminfo, urlacl,
)
from .base import NotThisKind, ParseResult, Skip, SkipList, merged_skips, skipped_lines
from .reader import EvidenceFile, display_name, looks_binary

# Binary formats first (they sniff raw bytes); the loosest text sniffs (netstat) last.
PARSERS = (
    evtxfile, manifest, httperr, iislog, poolmon, bootini, bcdedit, systeminfo, perfmon, eventlog, netsh, urlacl, iplisten, appconfig,
    regquery, netstat,
)


@dataclass
class ReadFile:
    """What became of one input file."""

    path: str
    kind: str
    encoding: str | None = None
    result: ParseResult | None = None
    error: str | None = None
    skips: list[Skip] = field(default_factory=SkipList)


SPECIAL_FILES = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def iter_files(paths: list[str]) -> Iterator[EvidenceFile | ReadFile]:
    """Files under the given paths (folders recursively, sorted; zip bundles opened in place).

    Nothing is dropped silently: missing paths, empty folders, special files (FIFOs
    and devices are never opened, so they cannot block the run), broken links, link
    loops, folder links inside a folder and file links that leave the folder given (not
    followed: a link must not make the tool read /etc/shadow or another server's files)
    each become a `ReadFile` saying why they were not read. The walk keeps its own stack, so however deep a
    folder tree goes it cannot exhaust Python's recursion limit.
    """
    for raw in paths:
        stack: list[tuple[Path, bool]] = [(Path(raw), True)]
        inside = os.path.realpath(raw)
        while stack:
            path, top = stack.pop()
            shown = display_name(path)
            try:
                info = path.stat()
            except OSError as error:
                yield _unstatable(path, shown, error)
                continue
            if not top and path.is_symlink():
                if stat.S_ISDIR(info.st_mode):
                    yield ReadFile(shown, "skipped", error="a link to a folder; links inside a folder are not followed "
                                                          "(name the folder itself to include it)")
                    continue
                if not _within(os.path.realpath(path), inside):
                    yield ReadFile(shown, "skipped", error="a link to a file outside the folder given; not followed "
                                                          "(name the file itself to include it)")
                    continue
            if stat.S_ISDIR(info.st_mode):
                try:
                    children = sorted(os.listdir(path))
                except OSError as error:
                    yield ReadFile(shown, "unreadable", error=f"cannot list the folder: {error.strerror or error}")
                    continue
                if not children:
                    yield ReadFile(shown, "empty", error="the folder holds no files")
                stack.extend((path / name, False) for name in reversed(children))
            elif stat.S_ISREG(info.st_mode):
                if bundle.is_bundle(path):
                    yield from bundle.iter_bundle(path, shown)
                else:
                    yield EvidenceFile.from_path(path, shown, info.st_size)
            else:
                what = next((name for test, name in SPECIAL_FILES if test(info.st_mode)), "not a regular file")
                yield ReadFile(shown, "special", error=f"{what}, not a regular file; not read")


def _within(path: str, folder: str) -> bool:
    """True when the real path `path` is `folder` or lies under it."""
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives on Windows
        return False


def _unstatable(path: Path, shown: str, error: OSError) -> ReadFile:
    if error.errno == errno.ELOOP:
        return ReadFile(shown, "unreadable", error="a loop of symbolic links; not followed")
    if path.is_symlink():
        # Not where it points: that name may be a host or share the report must not show (--redact).
        return ReadFile(shown, "unreadable", error="a broken symbolic link (what it points to does not exist)")
    if isinstance(error, FileNotFoundError):
        return ReadFile(shown, "missing", error="no such file or folder")
    return ReadFile(shown, "unreadable", error=f"cannot read: {error.strerror or error}")


def read(file: EvidenceFile) -> ReadFile:
    """Detect the file's kind and parse it; never raises for bad content."""
    try:
        head = file.head_text()
        encoding = file.encoding
    except OSError as error:
        return ReadFile(file.display_path, "unreadable", error=f"cannot read: {error.strerror or error}")
    if file.size == 0 or not file.head_bytes():
        return ReadFile(file.display_path, "empty", encoding, error="the file is empty")
    refusals = []
    for parser in PARSERS:
        sniff_bytes = getattr(parser, "sniff_bytes", None)
        if not (sniff_bytes(file.head_bytes()) if sniff_bytes else parser.sniff(head)):
            continue
        try:
            result = parser.parse(file.lines())
        except NotThisKind as why:
            refusals.append(f"{parser.KIND}: {why}")
            continue
        except OSError as error:
            return ReadFile(file.display_path, parser.KIND, encoding, error=f"cannot read: {error.strerror or error}")
        # Lines the reader withheld (over-long, unreadable) are data lines the parser never saw.
        result.data_lines += skipped_lines(file.skips)
        skips = merged_skips(file.skips, result.skips)
        result.skips = skips
        return ReadFile(file.display_path, parser.KIND, encoding, result=result, skips=skips)
    reason = "not a known evidence format"
    binary = looks_binary(file.head_bytes(), encoding)
    if binary:
        reason += f": {binary}"
    if refusals:
        reason += " (" + "; ".join(refusals) + ")"
    return ReadFile(file.display_path, "unknown", encoding, error=reason)
