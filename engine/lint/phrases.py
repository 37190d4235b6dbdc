"""Checks of the reason-phrase vocabulary: each phrase reaches a rule of the causes it
names, and cites where it is documented; `phrase_usage` is also `kb coverage`."""
from __future__ import annotations

import re
from typing import Iterator

from httperr_doctor.kb.schema import ReasonPhrase, Rule

from ..knowledge import KnowledgeBase
from .base import ERROR, Checked, Validator

REASON_FACT = re.compile(r"^httperr\.reason\.(?P<phrase>.+)\.(?:count|lines|peak_per_minute)$")
FAMILY_FACT = re.compile(r"^httperr\.family\.(?P<family>[a-z\-]+)\.lines$")
GROUP_FACT = re.compile(r"^httperr\.(?P<group>[a-z_]+)\.lines$")


def phrase_usage(kb: KnowledgeBase) -> dict[str, list[tuple[str, str]]]:
    """phrase -> [(rule id, how the rule reaches it)], for every known reason phrase."""
    usage: dict[str, list[tuple[str, str]]] = {name: [] for name in kb.phrases}

    def note(phrase: str, rule: Rule, via: str) -> None:
        if phrase in usage and (rule.id, via) not in usage[phrase]:
            usage[phrase].append((rule.id, via))

    for rule in sorted(kb.rules.values(), key=lambda r: r.id):
        for condition in rule.when:
            for phrase, via in _phrases_reached(kb, condition.fact, condition.operator, condition.operand):
                note(phrase, rule, via)
    return usage


def _phrases_reached(kb: KnowledgeBase, fact: str, operator: str, operand) -> list[tuple[str, str]]:
    """The phrases one condition reads, each with how (the fact, or the value compared)."""
    if (m := REASON_FACT.match(fact)) is not None:
        return [(m.group("phrase"), fact)]
    if (m := FAMILY_FACT.match(fact)) is not None:
        return [(name, fact) for name, phrase in kb.phrases.items() if phrase.family == m.group("family") and not phrase.benign]
    if (m := GROUP_FACT.match(fact)) is not None and m.group("group") in kb.phrase_groups:
        return [(name, fact) for name in sorted(kb.phrase_groups[m.group("group")])]
    if fact == "httperr.top_reason" and operator in ("equals", "in"):
        values = operand if operator == "in" else [operand]
        return [(str(value), f"httperr.top_reason = {value}") for value in values]
    return []


def references(checked: Checked, item: tuple[str, ReasonPhrase]) -> Iterator[str]:
    name, phrase = item
    for ref in phrase.references:
        if ref not in checked.kb.references:
            yield f"reason phrase {name} cites unknown reference {ref!r}"


def documented_with_reference(checked: Checked, item: tuple[str, ReasonPhrase]) -> Iterator[str]:
    name, phrase = item
    if not phrase.references and phrase.documented:
        yield f"reason phrase {name} is marked documented but cites no reference"


def causes_known(checked: Checked, item: tuple[str, ReasonPhrase]) -> Iterator[str]:
    name, phrase = item
    for cause_id in phrase.causes:
        if cause_id not in checked.kb.causes:
            yield f"reason phrase {name} names unknown cause {cause_id!r}"


def used_by_rules(checked: Checked, item: tuple[str, ReasonPhrase]) -> Iterator[str]:
    name, phrase = item
    if "phrase_usage" not in checked.memo:
        checked.memo["phrase_usage"] = phrase_usage(checked.kb)
    uses = checked.memo["phrase_usage"][name]
    if not uses:
        yield f"reason phrase {name} is used by no rule, so it cannot influence a diagnosis"
    linked = {checked.kb.rules[rule_id].cause for rule_id, _ in uses}
    for cause_id in phrase.causes:
        if cause_id in checked.kb.causes and cause_id not in linked:
            yield f"reason phrase {name} names cause {cause_id}, but no rule links them"


VALIDATORS = (
    Validator("phrase-references", ERROR, references, "phrase"),
    Validator("phrase-documented-with-reference", ERROR, documented_with_reference, "phrase"),
    Validator("phrase-causes-known", ERROR, causes_known, "phrase"),
    Validator("phrase-used-by-rules", ERROR, used_by_rules, "phrase"),
)
