"""Output of `bcdedit` / `bcdedit /enum` (Vista / Server 2008 and later boot settings).

Blocks start with a heading underlined by dashes, then `name<spaces>value` lines.
Sample input (real, Windows 10)::

    Windows Boot Loader
    -------------------
    identifier              {current}
    device                  partition=C:
    description             Windows 10
    nx                      OptIn
    increaseuserva          3072

Headings and the `identifier` key are translated on localised Windows
(`Windows-Startladeprogramm` / `Bezeichner`, `Chargeur de démarrage Windows` /
`identificateur`), while other keys such as `increaseuserva` and the `{current}`
alias stay in English, so blocks are found by their shape, not their heading.
The booted entry is the loader whose identifier is `{current}` (or, failing that,
the boot manager's `default`).

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("bcdedit.txt", [
...     "Windows Boot Loader",
...     "-------------------",
...     "identifier              {current}",
...     "path                    \\\\Windows\\\\system32\\\\winload.exe",
...     "increaseuserva          3072",
... ]))
>>> entry = result.records[0].data
>>> entry.identifier, entry.is_current, entry.settings["increaseuserva"]
('{current}', True, '3072')
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .base import Lines, NotThisKind, ParseResult, Record, Skip

KIND = "bcdedit"
DASHES = re.compile(r"^-{5,}\s*$")
# Keys are one word; a long key (allowedinmemorysettings) leaves a single space before its value.
SETTING = re.compile(r"^(?P<key>[^\s{}]\S*)\s+(?P<value>\S.*?)\s*$|^(?P<bare>[^\s{}]\S*)\s*$")
# `identifier` in the languages seen; its value is always a {GUID} or {alias}.
IDENTIFIER_KEYS = {"identifier", "bezeichner", "identificateur", "identificador", "identificatore", "id", "идентификатор", "識別子"}
LOADER_WORDS = ("boot loader", "startladeprogramm", "chargeur", "cargador", "caricatore", "загрузка windows", "ブート ローダー")


@dataclass(slots=True)
class BcdEntry:
    """One block of the output: the boot manager, a loader or another entry (a record's `data`)."""

    heading: str
    # `{current}`, `{bootmgr}` or a {GUID}; a block without one is not kept.
    identifier: str | None = None
    # Lower-cased setting name -> value as written (a multi-line value joined by spaces).
    settings: dict[str, str] = field(default_factory=dict)
    line_of: dict[str, int] = field(default_factory=dict)
    is_loader: bool = False
    # The entry the server booted: `{current}`, else the boot manager's default, else the first loader.
    is_current: bool = False


def sniff(head: str) -> bool:
    lines = head.splitlines()
    for i, line in enumerate(lines[:-2]):
        if DASHES.match(lines[i + 1]) and line.strip() and re.match(r"^\S+\s+\{[\w-]+\}\s*$", lines[i + 2]):
            return True
    return False


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    numbered = list(lines)  # bcdedit output is a few dozen lines
    block: Record[BcdEntry] | None = None
    last_key: str | None = None
    blocks: list[Record[BcdEntry]] = []
    for i, (number, line) in enumerate(numbered):
        if not line.strip() or DASHES.match(line):
            continue
        if i + 1 < len(numbered) and DASHES.match(numbered[i + 1][1]):
            block = Record(KIND, lines.ref(number), BcdEntry(
                line.strip(), is_loader=any(word in line.lower() for word in LOADER_WORDS)))
            blocks.append(block)
            last_key = None
            continue
        if block is None:
            continue  # the command line and anything typed before the first block
        result.data_lines += 1
        if line[:1].isspace() and last_key:
            # A multi-value setting (displayorder, toolsdisplayorder) continues indented.
            block.data.settings[last_key] += " " + line.strip()
            continue
        match = SETTING.match(line)
        if not match:
            result.skips.append(Skip(number, "not a `name   value` line of bcdedit"))
            continue
        key = (match.group("key") or match.group("bare")).strip()
        value = (match.group("value") or "").strip()
        lowered = key.lower()
        if block.data.identifier is None and (lowered in IDENTIFIER_KEYS or re.match(r"^\{[\w-]+\}$", value)):
            block.data.identifier = value
            block.data.is_current = value.lower() == "{current}"
            last_key = None
            continue
        block.data.settings[lowered] = value
        block.data.line_of[lowered] = number
        last_key = lowered
    blocks = [b for b in blocks if b.data.identifier is not None]
    if not blocks:
        raise NotThisKind("no bcdedit block (heading, dashes, identifier {...})")
    for record in blocks:
        # A loader is a block with a winload path or an osdevice, whatever its heading says.
        settings = record.data.settings
        if "winload" in settings.get("path", "").lower() or "osdevice" in settings:
            record.data.is_loader = True
    if not any(b.data.is_current for b in blocks):
        default = next((b.data.settings.get("default") for b in blocks if "default" in b.data.settings), None)
        chosen = next((b for b in blocks if default and b.data.identifier == default), None)
        chosen = chosen or next((b for b in blocks if b.data.is_loader), None)
        if chosen is not None:
            chosen.data.is_current = True
            result.notes.append(f"no {{current}} entry; {chosen.data.identifier} is taken as the one booted")
    result.records = blocks
    return result
