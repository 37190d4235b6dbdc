"""Checks of each rule: what it names exists, it can be reached and can fire, and it says why."""
from __future__ import annotations

from typing import Iterator

from httperr_doctor.kb.schema import Condition, Rule

from ..knowledge import CASES_SUFFIX, Problem
from ..templates import placeholders
from .base import ERROR, Checked, Validator, optional_without_fallback
from .conditions import NUMERIC, why_never


def providable(checked: Checked, fact: str, seen: frozenset[str] = frozenset()) -> bool:
    """True when some parser, derivation, question or documented step can supply the fact."""
    kb = checked.kb
    spec = kb.facts.get(fact)
    if spec is None:
        return False
    if spec.how or spec.constant or kb.question_for(fact) is not None or fact in checked.produced:
        return True
    if spec.derived_from and fact not in seen:
        return all(providable(checked, source, seen | {fact}) for source in spec.derived_from)
    return False


def unknown_cause(checked: Checked, rule: Rule) -> Iterator[str]:
    if rule.cause not in checked.kb.causes:
        yield f"rule {rule.id} names unknown cause {rule.cause!r}"


def unknown_fact(checked: Checked, rule: Rule) -> Iterator[str]:
    for fact in sorted({c.fact for c in rule.when} - checked.kb.facts.keys()):
        yield f"rule {rule.id} uses unknown fact {fact!r} (add it to kb/facts.yaml)"


def unreachable(checked: Checked, rule: Rule) -> Iterator[str]:
    for fact in sorted(f for f in {c.fact for c in rule.when} & checked.kb.facts.keys() if not providable(checked, f)):
        yield f"rule {rule.id} is unreachable: no parser, derivation, question or `how` provides {fact!r}"


def because_placeholders(checked: Checked, rule: Rule) -> Iterator[str]:
    """Each `because` sentence uses its conditions' facts, and optional ones only with a later fallback."""
    tested = {c.fact for c in rule.when}
    for number, sentence in enumerate(rule.because, start=1):
        for name in placeholders(sentence.text):
            if name not in tested and name not in sentence.optional:
                yield (f"rule {rule.id}: `because` {number} uses {{{{ {name} }}}}, which is not among its conditions' "
                       "facts (or list it under `optional` with a later sentence that does without it)")
    for number, name in optional_without_fallback(rule.because):
        yield f"rule {rule.id}: `because` {number} has optional {name} but no later sentence without it"


def references(checked: Checked, rule: Rule) -> Iterator[str]:
    for ref in rule.references:
        if ref not in checked.kb.references:
            yield f"rule {rule.id} cites unknown reference {ref!r}"
    if not rule.references:
        yield f"rule {rule.id} cites no reference"


def operator_kinds(checked: Checked, rule: Rule) -> Iterator[str]:
    for condition in rule.when:
        spec = checked.kb.facts.get(condition.fact)
        if spec is not None and condition.operator in NUMERIC and spec.type != "number":
            yield f"rule {rule.id}: {condition.operator} on {condition.fact}, which is a {spec.type}"
        if spec is not None and condition.operator == "matches" and spec.type != "string":
            yield f"rule {rule.id}: matches on {condition.fact}, which is a {spec.type}"


def only_constant(checked: Checked, rule: Rule) -> Iterator[str]:
    for condition in rule.when:
        spec = checked.kb.facts.get(condition.fact)
        if spec is not None and spec.constant and len(rule.when) == 1 and condition.operator != "absent":
            yield f"rule {rule.id} tests only the constant {condition.fact}: it would fire on every server"


def never_fires(checked: Checked, rule: Rule) -> Iterator[str]:
    by_fact: dict[str, list[Condition]] = {}
    for condition in rule.when:
        by_fact.setdefault(condition.fact, []).append(condition)
    for fact, conditions in by_fact.items():
        why = why_never(conditions, getattr(checked.kb.facts.get(fact), "type", None))
        if why:
            yield f"rule {rule.id} can never fire: {fact} {why}"


def twin_cases(checked: Checked, rule: Rule) -> Iterator[str]:
    if rule.id not in checked.kb.cases:
        yield f"rule {rule.id} has no twin file {rule.id}{CASES_SUFFIX} with a firing and a silent case"


def repeated_conditions(checked: Checked) -> Iterator[Problem]:
    signatures: dict[tuple, str] = {}
    for rule in sorted(checked.kb.rules.values(), key=lambda r: r.id):
        key = (rule.cause, tuple(sorted(c.model_dump_json() for c in rule.when)))
        if key in signatures:
            yield checked.at("rule", rule.id, f"rule {rule.id} repeats the conditions of {signatures[key]} for the same cause (its certainty would count twice)")
        else:
            signatures[key] = rule.id


VALIDATORS = (
    Validator("rule-unknown-cause", ERROR, unknown_cause, "rule"),
    Validator("rule-unknown-fact", ERROR, unknown_fact, "rule"),
    Validator("rule-unreachable", ERROR, unreachable, "rule"),
    Validator("rule-because-placeholders", ERROR, because_placeholders, "rule"),
    Validator("rule-references", ERROR, references, "rule"),
    Validator("rule-operator-kinds", ERROR, operator_kinds, "rule"),
    Validator("rule-only-constant", ERROR, only_constant, "rule"),
    Validator("rule-never-fires", ERROR, never_fires, "rule"),
    Validator("rule-twin-cases", ERROR, twin_cases, "rule"),
    Validator("rule-repeated-conditions", ERROR, repeated_conditions),
)
