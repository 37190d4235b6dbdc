"""Checks of the twin case files: each case runs through the real engine and comes out
as it says, and a case that must stay silent sets a fact its rule tests (else nothing
could make it fire, and it proves nothing)."""
from __future__ import annotations

from typing import Iterator

import yaml

from ..knowledge import KnowledgeBase, Problem, line_of, safe_loader
from .base import ERROR, Checked, Validator


def _case_lines(kb: KnowledgeBase, rule_id: str) -> list[int]:
    path, _ = kb.origin.get(("cases", rule_id), ("", 0))
    full = kb.root.parent / path
    try:
        node = yaml.compose(full.read_text(encoding="utf-8"), Loader=safe_loader())
    except (OSError, yaml.YAMLError):
        return []
    return [line_of(node, ("cases", i)) for i in range(len(kb.cases[rule_id].cases))]


def _each_case(checked: Checked):
    """(rule, path, line, case) for every case of a rule the KB has."""
    kb = checked.kb
    for rule_id, cases in sorted(kb.cases.items()):
        rule = kb.rules.get(rule_id)
        if rule is None:
            continue
        path, _ = kb.origin.get(("cases", rule_id), ("kb", 0))
        lines = _case_lines(kb, rule_id)
        for index, case in enumerate(cases.cases):
            yield rule, path, lines[index] if index < len(lines) else 0, case


def outcomes(checked: Checked) -> Iterator[Problem]:
    if not checked.run_cases:
        return
    from ..rule_engines import FactTypeError, RuleEngine, new_engine

    engines: dict[str, RuleEngine] = {}
    for rule, path, line, case in _each_case(checked):
        unknown = sorted(set(case.facts) - checked.kb.facts.keys())
        if unknown:
            yield Problem(path, line, f"case {case.name!r} uses unknown {'fact' if len(unknown) == 1 else 'facts'} {', '.join(unknown)}")
            continue
        engine = engines.setdefault(rule.id, new_engine([rule], checked.kb.fact_types))
        try:
            fired = rule.id in engine.run(case.facts).fired
        except FactTypeError as error:
            yield Problem(path, line, f"case {case.name!r}: {error}")
            continue
        if fired != case.fires:
            yield Problem(path, line, f"case {case.name!r}: rule {rule.id} {'fired' if fired else 'did not fire'}, "
                                      f"the case says it {'must' if case.fires else 'must not'}")


def silent_cases_touch_the_rule(checked: Checked) -> Iterator[Problem]:
    for rule, path, line, case in _each_case(checked):
        tested = {c.fact for c in rule.when}
        if not case.fires and not tested & set(case.facts):
            yield Problem(path, line, f"case {case.name!r} must stay silent but sets none of the facts rule {rule.id} "
                                      f"tests ({', '.join(sorted(tested))}): give one a near-miss value")


VALIDATORS = (
    Validator("case-outcomes", ERROR, outcomes),
    Validator("case-silent-touches-rule", ERROR, silent_cases_touch_the_rule),
)
