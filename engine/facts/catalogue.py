"""Every fact the facts step can set, with its kind: what `kb lint` checks rules against."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .combine import DERIVATIONS, SOURCES

if TYPE_CHECKING:
    from ..knowledge import KnowledgeBase


def catalogue(kb: KnowledgeBase) -> dict[str, str]:
    """fact name -> kind ("number", "bool", "string"), templates expanded with the KB's
    reason phrases, families and groups.

    Raises ValueError when two steps declare one fact with different kinds.
    """
    names = {"phrase": list(kb.phrases), "family": list(kb.families), "group": list(kb.phrase_groups)}
    found: dict[str, str] = {}
    for step in (*SOURCES, *DERIVATIONS):
        for template, kind in step.produces.items():
            for name in _expand(template, names):
                if found.setdefault(name, kind) != kind:
                    raise ValueError(f"{step.name} declares {name} as a {kind}, another step as a {found[name]}")
    return found


_settings: dict[int, tuple[KnowledgeBase, dict[str, str]]] = {}


def sources_setting(kb: KnowledgeBase) -> dict[str, str]:
    """fact name -> the evidence source (`Source.name`) whose files set it; derived facts are
    left out. Worked out once per knowledge base: every diagnosis asks."""
    entry = _settings.get(id(kb))
    if entry is None or entry[0] is not kb:
        names = {"phrase": list(kb.phrases), "family": list(kb.families), "group": list(kb.phrase_groups)}
        setting = {name: step.name for step in SOURCES for template in step.produces for name in _expand(template, names)}
        entry = _settings[id(kb)] = (kb, setting)
    return entry[1]


def _expand(template: str, names: dict[str, list[str]]) -> list[str]:
    for slot, values in names.items():
        if "{" + slot + "}" in template:
            return [template.replace("{" + slot + "}", value) for value in values]
    return [template]
