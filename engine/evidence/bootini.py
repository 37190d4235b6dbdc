"""`C:\\boot.ini` of Windows XP / Server 2003 (switches such as /3GB, /USERVA=, /PAE).

Sample input::

    [boot loader]
    timeout=30
    default=multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS
    [operating systems]
    multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS="Windows Server 2003, Enterprise" /fastdetect /3GB

Only the entry that `default=` points at decides what the running system booted
with; other entries are reported but do not count.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("boot.ini", [
...     "[boot loader]",
...     "default=multi(0)disk(0)rdisk(0)partition(1)\\\\WINDOWS",
...     "[operating systems]",
...     'multi(0)disk(0)rdisk(0)partition(1)\\\\WINDOWS="Windows Server 2003, Enterprise" /fastdetect /3GB /userva=3030',
... ]))
>>> entry = result.records[0].data
>>> entry.is_default, entry.switch_3gb, entry.userva_mb
(True, True, 3030)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .base import Lines, NotThisKind, ParseResult, Record, Skip

KIND = "bootini"
ENTRY = re.compile(r'^(?P<path>[^=\s]+)=(?:"(?P<name>[^"]*)")?(?P<switches>.*)$')
USERVA = re.compile(r"/userva=(\d+)", re.IGNORECASE)


@dataclass(slots=True)
class BootEntry:
    """One operating-system line of boot.ini (a record's `data`)."""

    arc_path: str
    name: str
    switches: list[str]
    switch_3gb: bool
    userva_mb: int | None
    pae: bool
    # The entry `default=` points at (else the first one): what the server booted.
    is_default: bool = False


def sniff(head: str) -> bool:
    lowered = head.lower()
    return "[boot loader]" in lowered or "[operating systems]" in lowered or bool(
        re.search(r"^multi\(\d\)disk\(\d\)rdisk\(\d\)partition\(\d\)\\\S+=\"", head, re.MULTILINE | re.IGNORECASE)
    )


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    section = None
    default = None
    entries: list[Record] = []
    for number, line in lines:
        text = line.strip()
        if not text or text.startswith(";"):
            continue
        if text.startswith("[") and text.endswith("]"):
            section = text[1:-1].strip().lower()
            continue
        if section == "boot loader" or (section is None and text.lower().startswith(("timeout=", "default="))):
            key, _, value = text.partition("=")
            if key.strip().lower() == "default":
                default = value.strip().lower()
            continue
        match = ENTRY.match(text)
        if not match or not re.match(r"^(multi|scsi|signature|c:\\)", text, re.IGNORECASE):
            result.data_lines += 1
            result.skips.append(Skip(number, "not a boot.ini entry (ARC path=\"name\" /switches)"))
            continue
        result.data_lines += 1
        switches = match.group("switches")
        lowered = switches.lower()
        userva = USERVA.search(switches)
        entries.append(Record(KIND, lines.ref(number), BootEntry(
            arc_path=match.group("path"),
            name=match.group("name") or "",
            switches=switches.split(),
            switch_3gb=bool(re.search(r"(^|\s)/3gb(\s|$)", lowered)),
            userva_mb=int(userva.group(1)) if userva else None,
            pae=bool(re.search(r"(^|\s)/pae(\s|$)", lowered)),
        )))
    if not entries:
        raise NotThisKind("no boot.ini operating-system entry found")
    for entry in entries:
        entry.data.is_default = default is not None and entry.data.arc_path.lower() == default
    if default is None or not any(e.data.is_default for e in entries):
        entries[0].data.is_default = True
        result.notes.append("no default= line matched an entry; the first entry is taken as the one booted")
    result.records = entries
    return result
