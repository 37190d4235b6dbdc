"""`{{ fact.name }}` placeholders in KB text, and nothing more.

No expressions, filters or code: PowerShell `$` and braces in remediation text stay
literal, and a placeholder naming an unknown fact is an error, never a blank.
"""
from __future__ import annotations

from typing import Any, Mapping

from httperr_doctor.kb.schema import PLACEHOLDER

from .conditions import holds
from .plurals import number_text, singular_after_one


class UndefinedFact(KeyError):
    """A placeholder names a fact that is not known for this diagnosis."""


def format_value(value: Any, unit: str | None = None) -> str:
    """Show a fact the way a person would write it; shares (0-1) as percentages.

    >>> format_value(19.0), format_value(0.8125), format_value(True), format_value(1234567)
    ('19', '0.81', 'yes', '1,234,567')
    >>> format_value(0.634, "share"), format_value(0.997, "share"), format_value(0.001, "share")
    ('63%', 'more than 99%', 'less than 1%')
    """
    if unit == "share" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return share_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return number_text(value)
    return str(value)


def share_text(value: float) -> str:
    """A share as a percentage that never rounds a part up to all, or a little down to none."""
    if 0.995 <= value < 1:
        return "more than 99%"
    if 0 < value < 0.005:
        return "less than 1%"
    return f"{value:.0%}"


def placeholders(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)


def render(template: str, facts: Mapping[str, Any], units: Mapping[str, str | None] | None = None) -> str:
    """Fill placeholders from `facts` (name -> value); `units` picks the display form.

    >>> render("{{ memory.npp_free_mb }} MB free; cost ${x}", {"memory.npp_free_mb": 19})
    '19 MB free; cost ${x}'
    >>> render("WAS logged {{ n }} events; {{ m }} requests", {"n": 1, "m": 2})
    'WAS logged 1 event; 2 requests'
    >>> render("{{ s }} of the lines", {"s": 0.998}, {"s": "share"})
    'More than 99% of the lines'
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
    opening = PLACEHOLDER.match(template)
    if opening and units.get(opening.group(1)) == "share":
        out[1] = out[1][:1].upper() + out[1][1:]  # "More than 99% of ..." opens the sentence
    return "".join(out)


def _is_one(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 1


def pick_sentence(sentences: list, facts: Mapping[str, Any], units: Mapping[str, str | None] | None = None,
                  defaults: Mapping[str, Any] | None = None) -> tuple[int, str] | None:
    """The first sentence the facts support, with its index, rendered.

    A fact that is unknown, or known with a value the sentence's claim does not fit
    (a registry value at its default), skips the sentence for the next one; so does a
    fact at its `defaults` value (nothing configured, nothing logged) unless the
    sentence's `when` tests that fact and so speaks of the default on purpose.
    """
    defaults = defaults or {}
    for number, sentence in enumerate(sentences):
        if not all(holds(c, c.fact in facts, facts.get(c.fact)) for c in sentence.when):
            continue
        spoken_of = {c.fact for c in sentence.when}
        if any(name in defaults and name in facts and facts[name] == defaults[name] and name not in spoken_of
               for name in sentence.facts):
            continue
        try:
            return number, render(sentence.text, facts, units)
        except UndefinedFact:
            continue
    return None


def first_rendered(sentences: list, facts: Mapping[str, Any], units: Mapping[str, str | None] | None = None,
                   defaults: Mapping[str, Any] | None = None) -> str | None:
    picked = pick_sentence(sentences, facts, units, defaults)
    return None if picked is None else picked[1]


def render_sentence(sentences: list, facts: Mapping[str, Any], units: Mapping[str, str | None] | None = None,
                    defaults: Mapping[str, Any] | None = None) -> str:
    """A cause's summary: the first sentence its facts support, else its last (plain) one."""
    shown = first_rendered(sentences, facts, units, defaults)
    return sentences[-1].text if shown is None else shown
