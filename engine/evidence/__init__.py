"""Evidence parsers, one module per format, and the code that finds and reads files.

Detection is by content, never by file name: each parser's `sniff` looks at the
first few KB, and `parse` may still refuse with `NotThisKind`, in which case the
next parser is tried.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from . import bootini, httperr, iislog, poolmon, systeminfo
from .base import NotThisKind, ParseResult, Skip
from .reader import EvidenceFile

PARSERS = (httperr, iislog, poolmon, bootini, systeminfo)


@dataclass
class ReadFile:
    """What became of one input file."""

    path: str
    kind: str
    encoding: str | None = None
    result: ParseResult | None = None
    error: str | None = None
    skips: list[Skip] = field(default_factory=list)


def iter_files(paths: list[str]) -> Iterator[EvidenceFile | ReadFile]:
    """Files under the given paths (folders recursively, sorted); missing paths become ReadFile errors."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    child = Path(root) / name
                    if child.is_file():
                        yield EvidenceFile.from_path(child)
        elif path.is_file():
            yield EvidenceFile.from_path(path)
        elif not path.exists():
            yield ReadFile(str(path), "missing", error="no such file or folder")
        else:
            yield ReadFile(str(path), "unreadable", error="not a regular file or folder")


def read(file: EvidenceFile) -> ReadFile:
    """Detect the file's kind and parse it; never raises for bad content."""
    try:
        head = file.head_text()
        encoding = file.encoding
    except OSError as error:
        return ReadFile(file.display_path, "unreadable", error=f"cannot read: {error.strerror or error}")
    if file.size == 0:
        return ReadFile(file.display_path, "empty", encoding, error="the file is empty")
    refusals = []
    for parser in PARSERS:
        if not parser.sniff(head):
            continue
        try:
            result = parser.parse(file.lines())
        except NotThisKind as why:
            refusals.append(f"{parser.KIND}: {why}")
            continue
        except OSError as error:
            return ReadFile(file.display_path, parser.KIND, encoding, error=f"cannot read: {error}")
        skips = sorted(file.skips + result.skips, key=lambda s: s.line)
        result.skips = skips
        return ReadFile(file.display_path, parser.KIND, encoding, result=result, skips=skips)
    reason = "not a known evidence format"
    if refusals:
        reason += " (" + "; ".join(refusals) + ")"
    return ReadFile(file.display_path, "unknown", encoding, error=reason)
