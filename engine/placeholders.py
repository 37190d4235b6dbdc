"""Runbook commands with the evidence's own names in them: `<pool>` becomes the pool the
events name, `<TAG>` the PoolMon tag that grew, and a placeholder the evidence cannot fill
says what to put there.

A cause's `fill` (kb/causes/*.yaml) names, for each placeholder, the facts that give its
value in that cause's evidence, tried in order, and what it means. The value comes from
files a server wrote, in part from whoever wrote to them (a pool name is what someone
typed; an HTTPERR queue name is whatever the line says), and the command is meant to be
copied into cmd.exe. So a value goes into a command only where cmd.exe reads it as that
one argument and nothing more:
- between double quotes, printable text without `"` (it would end the quotes), `%`
  (cmd expands %NAME% even there) or `!` (and so does delayed expansion);
- anywhere else, only letters, digits and `. _ - : / + * [ ] @ ~` (a tag, an address,
  a URL reservation);
- nowhere a line break, a control or formatting character (a right-to-left mark makes a
  command read otherwise than it runs), nor more than 256 characters.
A value that fails is not filled in anywhere in the runbook: each step keeps the
placeholder and says what to put there, and that the evidence's name was unsafe.

>>> from httperr_doctor.kb.schema import Cause
>>> cause = Cause.model_validate({"id": "stopped", "title": "t", "category": "app-pool", "summary": ["s"],
...     "remediation": [{"title": "Start it", "do": "Start the pool.",
...                      "command": 'appcmd start apppool /apppool.name:"<pool>"'}],
...     "verify": ["v"], "escalation": "e", "references": ["R1"],
...     "fill": [{"placeholder": "pool", "facts": ["event.pool"], "means": "the pool's name"}]})
>>> step = cause.remediation[0].model_dump()
>>> fill_step(step, cause, fills_for(cause, {"event.pool": 'Shop & "x"'}), {})["command"]
'appcmd start apppool /apppool.name:"<pool>"'
>>> fill_step(step, cause, fills_for(cause, {"event.pool": "Shop & Co"}), {})["command"]
'appcmd start apppool /apppool.name:"Shop & Co"'
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping

from httperr_doctor.kb.schema import Cause, FactSpec

PLACEHOLDER = re.compile(r"<([A-Za-z][^<>{}\n]*?)>")
# The texts of a step a placeholder may stand in.
FIELDS = ("do", "command", "expect")
_QUOTED_UNSAFE = frozenset('"%!')
_BARE = re.compile(r"[A-Za-z0-9._:/+*\[\]@~-]+")
_LONGEST = 256


@dataclass(frozen=True)
class Filled:
    """A placeholder's value from the evidence (None: kept), the fact that gave it, and
    whether the evidence named a value that is unsafe in the command."""

    value: str | None = None
    fact: str | None = None
    unsafe: bool = False


def placeholders(text: str | None) -> list[str]:
    """The placeholder names in `text`, in order, each once.

    >>> placeholders('findstr /m /l /c:"<TAG>" *.sys && sigcheck <driver>.sys <TAG>')
    ['TAG', 'driver']
    """
    return list(dict.fromkeys(PLACEHOLDER.findall(text or "")))


def _printable(value: str) -> bool:
    return 0 < len(value) <= _LONGEST and not any(
        unicodedata.category(c)[0] in "CZ" and c != " " for c in value)


def _in_quotes(command: str, at: int) -> bool:
    return command.count('"', 0, at) % 2 == 1


def safe_in(command: str, name: str, value: str) -> bool:
    """Whether every `<name>` in `command` can take `value` and stay one argument.

    >>> safe_in('appcmd list apppool "<pool>"', "pool", "Shop|Pool")
    True
    >>> safe_in("netsh http add iplisten ipaddress=<address>", "address", "10.0.0.5&del x")
    False
    """
    if not _printable(value):
        return False
    for found in re.finditer(re.escape(f"<{name}>"), command):
        if _in_quotes(command, found.start()):
            if _QUOTED_UNSAFE & set(value):
                return False
        elif not _BARE.fullmatch(value):
            return False
    return True


def fills_for(cause: Cause, values: Mapping[str, Any]) -> dict[str, Filled]:
    """Each placeholder of the cause's runbook with its value from these facts, when one is safe."""
    commands = [step.command for step in cause.remediation if step.command]
    found: dict[str, Filled] = {}
    for fill in cause.fill:
        name = fill.placeholder
        fact = next((f for f in fill.facts if isinstance(values.get(f), str) and values[f]), None)
        if fact is None:
            found[name] = Filled()
            continue
        value = values[fact]
        if all(safe_in(command, name, value) for command in commands):
            found[name] = Filled(value, fact)
        else:
            found[name] = Filled(fact=fact, unsafe=True)
    return found


def _the(description: str) -> str:
    """'Application pool named ...' -> 'the application pool named ...'; 'URL ...' stays."""
    if description[:4].lower() == "the ":
        return "the " + description[4:]
    first = description.split(" ", 1)[0]
    lowered = first if first[1:2].isupper() else first[:1].lower() + first[1:]
    return "the " + lowered + description[len(first):]


def fill_step(step: dict[str, Any], cause: Cause, fills: Mapping[str, Filled],
              facts: Mapping[str, FactSpec]) -> dict[str, Any]:
    """The step with its placeholders filled where the evidence names a safe value, and a
    sentence for each placeholder: what the value is, or what to put in its place."""
    names = [n for n in placeholders(" ".join(step.get(f) or "" for f in FIELDS)) if n in fills]
    if not names:
        return step
    step = dict(step)
    means = {fill.placeholder: fill.means for fill in cause.fill}
    notes = []
    for name in names:
        filled = fills[name]
        if filled.value is not None:
            for field in FIELDS:
                if step.get(field):
                    step[field] = step[field].replace(f"<{name}>", filled.value)
            spec = facts.get(filled.fact)
            notes.append(f"{filled.value} is {_the(spec.description)}." if spec is not None and spec.description
                         else f"{filled.value} comes from the evidence.")
        else:
            notes.append(f"In place of <{name}>, put {means[name]}."
                         + (" The name the evidence gives holds characters that are not safe in this command line"
                            " (such as a quote, %, &, | or a line break), so it is not filled in."
                            if filled.unsafe else ""))
    step["do"] = " ".join([step["do"].rstrip(), *notes])
    return step
