"""Registry values from `reg query` output or a `.reg` export (regedit / `reg export`).

What a help desk collects is `reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters`::

    HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters
        EnableAggressiveMemoryUsage    REG_DWORD    0x1
        MaxConnections    REG_DWORD    0x1388
        UrlSegmentMaxLength    REG_DWORD    0x0

or the same key exported to a file::

    Windows Registry Editor Version 5.00

    [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters]
    "MaxFieldLength"=dword:0000fffe

Each value becomes one record (a `RegValue`: key, name, type, value; DWORDs as numbers).
On most servers nobody changed HTTP.sys, and `reg query` then prints the key and its
subkeys only: that is read too, with no records and a note that every value is at its
default; the key all listed keys share is the file's `summary` (a `RegListing`).

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("http-params.txt", [
...     "HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\CurrentControlSet\\\\Services\\\\HTTP\\\\Parameters",
...     "    EnableAggressiveMemoryUsage    REG_DWORD    0x1",
...     "    MaxConnections    REG_DWORD    0x1388",
... ]))
>>> [(r.data.name, r.data.value) for r in result.records]
[('EnableAggressiveMemoryUsage', 1), ('MaxConnections', 5000)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .base import Lines, NotThisKind, ParseResult, Record, Skip

KIND = "regquery"
KEY = re.compile(r"^\[?(?P<key>(HKEY_[A-Z_]+|HK(LM|CU|CR|U|CC))(\\[^\]]*)?)\]?\s*$", re.IGNORECASE)
QUERY_VALUE = re.compile(r"^\s+(?P<name>.*?)\s{2,}(?P<type>REG_[A-Z_]+)(?:\s{2,}(?P<value>.*?))?\s*$|^\s+(?P<name2>.*?)\s+(?P<type2>REG_[A-Z_]+)\s*(?P<value2>\S.*?)?\s*$")
EXPORT_VALUE = re.compile(r'^(?P<name>"(?:[^"\\]|\\.)*"|@)=(?P<raw>.*)$')


@dataclass(frozen=True, slots=True)
class RegValue:
    """One registry value (a record's `data`)."""

    key: str
    # "" for the key's default value, `(Default)` in reg query and `@` in exports.
    name: str
    type: str
    # REG_DWORD and REG_QWORD as numbers; other types as written.
    value: int | str


@dataclass(frozen=True, slots=True)
class RegListing:
    """What the file says as a whole (a result's `summary`): which key was listed."""

    # The key all listed keys share: the one queried, even when only its subkeys were printed.
    queried_key: str


def sniff(head: str) -> bool:
    return head.lstrip().startswith(("Windows Registry Editor", "REGEDIT4")) or bool(
        re.search(r"^HKEY_[A-Z_]+\\", head, re.MULTILINE) and re.search(r"\sREG_[A-Z_]+\s", head)) or _only_keys(head)


def _only_keys(head: str) -> bool:
    """`reg query` of a key without values: key lines only (and reg.exe 3.0's banner)."""
    lines = [line for line in head.splitlines() if line.strip() and not line.startswith("! REG.EXE")]
    return bool(lines) and all(line.startswith("HKEY_") and KEY.match(line.strip()) for line in lines)


def _common_key(keys: list[str]) -> str:
    """The key all listed keys share (the one queried, when only its subkeys were printed)."""
    parts = [key.split("\\") for key in keys]
    shared = []
    for level in zip(*parts):
        if any(part.lower() != level[0].lower() for part in level):
            break
        shared.append(level[0])
    return "\\".join(shared)


def _number(type_: str, value: str):
    if type_ in ("REG_DWORD", "REG_QWORD"):
        try:
            return int(value, 16) if value.lower().startswith("0x") else int(value)
        except ValueError:
            return value
    return value


def _export_value(raw: str):
    if raw.lower().startswith("dword:"):
        return "REG_DWORD", int(raw[6:], 16)
    if raw.startswith('"'):
        return "REG_SZ", raw.strip('"').replace('\\\\', '\\')
    if raw.lower().startswith("hex(b):"):
        data = bytes(int(b, 16) for b in raw[7:].split(",") if b.strip())
        return "REG_QWORD", int.from_bytes(data, "little")
    return "REG_BINARY", raw


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    key: str | None = None
    keys: list[str] = []
    for number, line in lines:
        if not line.strip() or line.startswith(("Windows Registry Editor", "REGEDIT4", ";")):
            continue
        found = KEY.match(line.strip())
        if found and not line[:1].isspace():
            key = found.group("key")
            keys.append(key)
            continue
        if key is None:
            continue
        result.data_lines += 1
        match = QUERY_VALUE.match(line)
        if match:
            name = match.group("name") if match.group("name") is not None else match.group("name2")
            type_ = match.group("type") or match.group("type2")
            value = match.group("value") if match.group("type") else match.group("value2")
            name = "" if name == "(Default)" else name
            result.records.append(Record(KIND, lines.ref(number), RegValue(key, name, type_.upper(), _number(type_.upper(), value or ""))))
            continue
        match = EXPORT_VALUE.match(line.strip())
        if match:
            try:
                type_, value = _export_value(match.group("raw").strip())
            except ValueError:
                result.skips.append(Skip(number, f"value {match.group('raw').strip()[:40]!r} is not a valid number for its type"))
                continue
            name = "" if match.group("name") == "@" else match.group("name")[1:-1]
            result.records.append(Record(KIND, lines.ref(number), RegValue(key, name, type_, value)))
            continue
        result.skips.append(Skip(number, "not a registry value line (name  REG_TYPE  value, or \"name\"=dword:...)"))
    if keys:
        result.summary = RegListing(_common_key(keys))
    if not result.records:
        if keys and not result.skips:
            result.notes.append(f"keys listed but no values: nothing under {_common_key(keys)} was changed from its default")
            return result
        raise NotThisKind("no registry values found")
    return result
