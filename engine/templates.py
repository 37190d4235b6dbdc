"""`{{ fact.name }}` placeholders in KB text, and nothing more.

No expressions, filters or code: PowerShell `$` and braces in remediation text stay
literal, and a placeholder naming an unknown fact is an error, never a blank.
"""
from __future__ import annotations

from typing import Any, Mapping

from httperr_doctor.kb.schema import PLACEHOLDER


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
    """
    units = units or {}

    def fill(match) -> str:
        name = match.group(1)
        if name not in facts:
            raise UndefinedFact(name)
        return format_value(facts[name], units.get(name))

    return PLACEHOLDER.sub(fill, template)


def render_first(templates: list[str], facts: Mapping[str, Any], units: Mapping[str, str | None] | None = None) -> str:
    """The first template whose placeholders are all known."""
    for template in templates:
        try:
            return render(template, facts, units)
        except UndefinedFact:
            continue
    return templates[-1]
