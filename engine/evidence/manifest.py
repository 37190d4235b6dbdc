"""`MANIFEST.txt` that `collect/Collect-HttpErrEvidence.ps1` puts in every zip it writes.

It says nothing about the server's health, only about the collection: which file came
from which command or path, and which steps were skipped or failed and why. Reading it
keeps a collected zip free of "unknown" inputs, and puts what the collector could not
gather (no poolmon.exe, bcdedit refused without elevation) next to the evidence.

Sample input::

    httperr-doctor evidence bundle
    collector: Collect-HttpErrEvidence.ps1 1.0
    server: WEB05

    status   file                           what it came from | detail
    ok       systeminfo.txt                 systeminfo | 46 lines
    skipped  poolsnap-1.log                 poolmon /b /n poolsnap-1.log | poolmon.exe not found

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("MANIFEST.txt", [
...     "httperr-doctor evidence bundle",
...     "server: WEB05",
...     "",
...     "status   file                           what it came from | detail",
...     "ok       systeminfo.txt                 systeminfo | 46 lines",
...     "skipped  poolsnap-1.log                 poolmon /b /n poolsnap-1.log | poolmon.exe not found",
... ]))
>>> result.host, [(r.data.status, r.data.file) for r in result.records]
('WEB05', [('ok', 'systeminfo.txt'), ('skipped', 'poolsnap-1.log')])
>>> result.notes
['the collector skipped poolsnap-1.log (poolmon /b /n poolsnap-1.log): poolmon.exe not found']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .base import Lines, NotThisKind, ParseResult, Record, Skip

KIND = "manifest"
TITLE = "httperr-doctor evidence bundle"
TABLE_HEADER = re.compile(r"^status\s+file\s+what it came from \| detail\s*$")
ROW = re.compile(r"^(?P<status>ok|skipped|failed)\s+(?P<file>\S+)\s+(?P<source>.*?)(?: \| (?P<detail>.*))?$")
SETTING = re.compile(r"^(?P<key>[a-z][a-z ]*):\s*(?P<value>.*)$")
MAX_NOTES = 20


@dataclass(frozen=True, slots=True)
class ManifestRow:
    """One step of the collection (a record's `data`)."""

    # ok, skipped or failed.
    status: str
    file: str
    # The command or path the file came from.
    source: str
    # Why it was skipped or failed, or what it holds; "" when the row says nothing more.
    detail: str


def sniff(head: str) -> bool:
    return head.lstrip().startswith(TITLE)


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    settings: dict[str, str] = {}
    in_table = False
    for number, line in lines:
        text = line.strip()
        if not text or (not in_table and text == TITLE):
            continue
        if not in_table:
            if TABLE_HEADER.match(text):
                in_table = True
            elif match := SETTING.match(text):
                settings[match.group("key")] = match.group("value")
            continue
        result.data_lines += 1
        row = ROW.match(text)
        if not row:
            result.skips.append(Skip(number, "not a manifest row (status file source | detail)"))
            continue
        data = ManifestRow(*(row.group(name) or "" for name in ("status", "file", "source", "detail")))
        result.records.append(Record(KIND, lines.ref(number), data))
    if not in_table:
        raise NotThisKind("no table of collected files")
    missed = [r.data for r in result.records if r.data.status != "ok"]
    for step in missed[:MAX_NOTES]:
        detail = f": {step.detail}" if step.detail else ""
        result.notes.append(f"the collector {step.status} {step.file} ({step.source}){detail}")
    if len(missed) > MAX_NOTES:
        result.notes.append(f"and {len(missed) - MAX_NOTES} more steps the collector skipped or that failed")
    if settings.get("server"):
        result.host = settings["server"].strip().upper() or None
    return result
