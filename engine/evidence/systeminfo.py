"""Output of `systeminfo` (host name, OS, architecture, RAM, boot time, time zone).

Sample input::

    Host Name:                 WEB01
    OS Name:                   Microsoft(R) Windows(R) Server 2003, Enterprise Edition
    OS Version:                5.2.3790 Service Pack 2 Build 3790
    System Type:               X86-based PC
    Total Physical Memory:     4,095 MB
    Time Zone:                 (GMT-06:00) Central Time (US & Canada)

`Key:<padding>Value` lines; multi-line values (Hotfix(s), Processor(s)) continue on
indented lines and are kept with their key.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> info = parse(Lines("systeminfo.txt", [
...     "Host Name:                 WEB01",
...     "OS Name:                   Microsoft(R) Windows(R) Server 2003, Enterprise Edition",
...     "OS Version:                5.2.3790 Service Pack 2 Build 3790",
...     "System Type:               X86-based PC",
...     "Total Physical Memory:     4,095 MB",
... ])).records[0].data
>>> info.host, info.arch, info.os_family, info.ram_mb
('WEB01', 'x86', '2003', 4095)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .base import Lines, NotThisKind, ParseResult, Record

KIND = "systeminfo"
KEY_VALUE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9 ().'/-]*?):\s+(?P<value>.*)$")


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """What systeminfo says about the server (a record's `data`)."""

    host: str
    os_name: str
    os_version: str
    # The family the KB's pool table knows (`os_family`), None when unknown.
    os_family: str | None
    arch: str | None
    ram_mb: int | None
    boot_time: str | None
    time_zone: str | None
    # Line of each `Key:` in the file, for file:line sources.
    line_of: dict[str, int]


OS_FAMILIES = (
    ("2003", re.compile(r"Server 2003|^5\.2\.")),
    ("xp", re.compile(r"Windows XP|^5\.1\.")),
    ("2008", re.compile(r"Server 2008(?! R2)|Vista|^6\.0\.")),
    ("2008r2", re.compile(r"Server 2008 R2|Windows 7|^6\.1\.")),
    ("2012", re.compile(r"Server 2012(?! R2)|Windows 8(?!\.1)|^6\.2\.")),
    ("2012r2", re.compile(r"Server 2012 R2|Windows 8\.1|^6\.3\.")),
    ("2016+", re.compile(r"Server 20(16|19|22|25)|Windows 1[01]|^10\.")),
)


def _megabytes(value: str) -> int | None:
    """'4,095 MB' / '4.095 MB' (German grouping) / '511 MB' -> whole megabytes."""
    match = re.match(r"^\s*([\d.,\s\u00a0]+)\s*MB", value)
    if not match:
        return None
    digits = re.sub(r"[^\d]", "", match.group(1))
    return int(digits) if digits else None


def os_family(name: str, version: str) -> str | None:
    """Map OS name/version to a family the KB's pool table knows.

    >>> os_family("Microsoft Windows Server 2008 R2 Enterprise", "6.1.7601")
    '2008r2'
    """
    for family, pattern in OS_FAMILIES:
        if pattern.search(name) or pattern.search(version):
            return family
    return None


def sniff(head: str) -> bool:
    return bool(re.search(r"^Host Name:\s+\S", head, re.MULTILINE) and re.search(r"^OS (Name|Version):", head, re.MULTILINE))


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    values: dict[str, str] = {}
    refs: dict[str, int] = {}
    last_key = None
    for number, line in lines:
        if not line.strip():
            continue
        match = KEY_VALUE.match(line)
        if match and not line.startswith(" "):
            last_key = match.group("key").strip()
            values[last_key] = match.group("value").strip()
            refs[last_key] = number
            result.data_lines += 1
        elif last_key and line.startswith(" "):
            values[last_key] += "\n" + line.strip()
            result.data_lines += 1
    if "Host Name" not in values or not ({"OS Name", "OS Version"} & values.keys()):
        raise NotThisKind("no Host Name / OS Name lines of systeminfo")
    system_type = values.get("System Type", "")
    arch = "x64" if re.search(r"x64|AMD64|Itanium|IA64", system_type, re.I) else "x86" if re.search(r"X86", system_type, re.I) else None
    name = values.get("OS Name", "")
    version = values.get("OS Version", "")
    data = SystemInfo(
        host=values["Host Name"].upper(),
        os_name=name,
        os_version=version,
        os_family=os_family(name, version),
        arch=arch,
        ram_mb=_megabytes(values.get("Total Physical Memory", "")),
        boot_time=values.get("System Boot Time") or values.get("System Up Time"),
        time_zone=values.get("Time Zone"),
        line_of=refs,
    )
    result.records.append(Record(KIND, lines.ref(refs["Host Name"]), data))
    result.host = data.host
    return result
