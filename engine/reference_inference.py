"""The pure-Python rule engine: the KB's meaning without durable-rules.

It runs wherever durable-rules does not build (Windows, Python 3.13 and later) and
gives what `engine/inference.py` gives on durable-rules, condition by condition:

* a rule fires when every one of its conditions holds; all conditions on one fact
  apply to that fact's one value;
* a fact that is not given is unknown: only `absent` holds for it, so `not_equals`
  never holds for a missing fact;
* `matches` must match the whole value (durable-rules' `$mt`), `in` is any of the
  listed values, numbers compare as numbers (1 equals 1.0);
* NaN is present but never equal, unequal, above or below anything (durable-rules
  treats it so);
* a value is only compared with operands of its own kind (a number never equals a
  word, yes/no is not a number): `kb lint` refuses rules that compare a fact with
  the wrong kind, and every value is checked against the catalogue's type first;
* unused facts are those no single condition of any rule held for (what
  durable-rules refuses as "not handled"), plus those no rule names.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from httperr_doctor.kb.schema import Rule

from .conditions import holds
from .rule_engines import REFERENCE, CompiledRules, Firing, InferenceResult, RuleFailed, finish, grouped_by_fact

class ReferenceEngine:
    """Compiled KB rules evaluated in Python; `run(facts)` is deterministic and re-entrant."""

    name = REFERENCE

    def __init__(self, rules: Iterable[Rule], fact_types: Mapping[str, str] | None = None,
                 on_fire: Callable[[str], None] | None = None):
        self._compiled = CompiledRules.of(rules)
        self._fact_types = dict(fact_types or {})
        self._on_fire = on_fire
        self.referenced_facts = self._compiled.referenced_facts
        self._facts_of = {rule.id: tuple(grouped_by_fact(rule)) for rule in self._compiled.rules.values()}

    def run(self, facts: Mapping[str, Any]) -> InferenceResult:
        """Evaluate every rule on `facts` (name -> value; unknown facts simply missing)."""
        result = InferenceResult()
        rules = self._compiled.rules
        if not rules:
            result.unused_facts = sorted(facts)
            return result
        named, result.unused_facts = self._compiled.checked_split(facts, self._fact_types)
        handled = set()
        firings = []
        for rule in rules.values():
            held_all = True
            for index, condition in enumerate(rule.when):
                known = condition.fact in facts
                if holds(condition, known, facts.get(condition.fact)):
                    result.conditions_held.add((rule.id, index))
                    if known:
                        handled.add(condition.fact)
                else:
                    held_all = False
            if held_all:
                firings.append(Firing(rule.id, self._facts_of[rule.id]))
        result.unused_facts += [name for name in named if name not in handled]
        finish(result, firings)
        if self._on_fire is not None:
            for firing in result.firings:
                try:
                    self._on_fire(firing.rule_id)
                except Exception as error:  # noqa: BLE001 - reported as the rule's failure, as on durable-rules
                    raise RuleFailed(firing.rule_id, error) from error
        return result
