"""`{{ fact.name }}` placeholders in KB text, and nothing more.

No expressions, filters or code: PowerShell `$` and braces in remediation text stay
literal, and a placeholder naming an unknown fact is an error, never a blank.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from httperr_doctor.kb.schema import PLACEHOLDER

from .conditions import holds


class UndefinedFact(KeyError):
    """A placeholder names a fact that is not known for this diagnosis."""


def format_value(value: Any, unit: str | None = None) -> str:
    """Show a fact the way a person would write it; shares (0-1) as percentages.

    >>> format_value(19.0), format_value(0.8125), format_value(True), format_value(1234567)
    ('19', '0.81', 'yes', '1,234,567')
    >>> format_value(0.634, "share")
    '63%'
    """
    if unit == "share" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.0%}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer():
            value = int(value)
        else:
            return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def placeholders(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)


def render(template: str, facts: Mapping[str, Any], units: Mapping[str, str | None] | None = None) -> str:
    """Fill placeholders from `facts` (name -> value); `units` picks the display form.

    >>> render("{{ memory.npp_free_mb }} MB free; cost ${x}", {"memory.npp_free_mb": 19})
    '19 MB free; cost ${x}'
    >>> render("WAS logged {{ n }} events; {{ m }} requests", {"n": 1, "m": 2})
    'WAS logged 1 event; 2 requests'
    """
    units = units or {}
    out: list[str] = []
    end, one = 0, False
    for match in PLACEHOLDER.finditer(template):
        name = match.group(1)
        if name not in facts:
            raise UndefinedFact(name)
        text = template[end:match.start()]
        out.append(singular_after_one(text) if one else text)
        value = facts[name]
        out.append(format_value(value, units.get(name)))
        one = _is_one(value) and units.get(name) != "share"
        end = match.end()
    rest = template[end:]
    out.append(singular_after_one(rest) if one else rest)
    return "".join(out)


def _is_one(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 1


# Plural nouns KB sentences count, and their singular; "time(s)" style is not used.
PLURALS = {
    "requests": "request", "events": "event", "entries": "entry", "lines": "line", "connections": "connection",
    "crashes": "crash", "failures": "failure", "overruns": "overrun", "recycles": "recycle", "timeouts": "timeout",
    "rules": "rule", "times": "time", "processes": "process", "clients": "client", "minutes": "minute",
    "seconds": "second", "drops": "drop", "URLs": "URL", "tags": "tag", "resets": "reset", "errors": "error",
}
_COUNTED_NOUN = re.compile(r"^(\s+(?:(?!of\b|and\b|or\b|than\b)[A-Za-z0-9/_\-]+\s+){0,3}?)(" + "|".join(PLURALS) + r")\b")


def singular_after_one(text: str) -> str:
    """Turn the counted noun after a 1 into its singular (at most three words on).

    >>> singular_after_one(" refused connections, and 2 events")
    ' refused connection, and 2 events'
    >>> singular_after_one(" WAS / W3SVC events for worker processes")
    ' WAS / W3SVC event for worker processes'
    >>> singular_after_one(" MB free")
    ' MB free'
    """
    return _COUNTED_NOUN.sub(lambda m: m.group(1) + PLURALS[m.group(2)], text, count=1)


def render_sentence(sentences: list, facts: Mapping[str, Any], units: Mapping[str, str | None] | None = None) -> str:
    """The first summary sentence whose `when` holds and whose placeholders are all known.

    A fact that is unknown, or known with a value the sentence's claim does not fit
    (a registry value at its default), skips the sentence for the next one.
    """
    for sentence in sentences:
        if all(holds(c, c.fact in facts, facts.get(c.fact)) for c in sentence.when):
            try:
                return render(sentence.text, facts, units)
            except UndefinedFact:
                continue
    return sentences[-1].text
