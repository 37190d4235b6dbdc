"""`httperr-doctor kb lint`: checks that span files, which the schema alone cannot see.

Each problem names the file and line, so a rule author can go straight to it.
"""
from __future__ import annotations

from .knowledge import KnowledgeBase, Problem
from .templates import placeholders


def lint(kb: KnowledgeBase) -> list[Problem]:
    problems: list[Problem] = []

    def at(kind: str, key: str, message: str) -> None:
        path, line = kb.origin.get((kind, key), ("kb", 0))
        problems.append(Problem(path, line, message))

    for rule in kb.rules.values():
        if rule.cause not in kb.causes:
            at("rule", rule.id, f"rule {rule.id} names unknown cause {rule.cause!r}")
        facts_used = {c.fact for c in rule.when}
        for fact in sorted(facts_used - kb.facts.keys()):
            at("rule", rule.id, f"rule {rule.id} uses unknown fact {fact!r} (add it to kb/facts.yaml)")
        for name in placeholders(rule.because):
            if name not in facts_used:
                at("rule", rule.id, f"rule {rule.id}: `because` uses {{{{ {name} }}}}, which is not among its conditions' facts")
        for ref in rule.references:
            if ref not in kb.references:
                at("rule", rule.id, f"rule {rule.id} cites unknown reference {ref!r}")
        for condition in rule.when:
            spec = kb.facts.get(condition.fact)
            if spec is None:
                continue
            numeric = condition.operator in ("at_least", "at_most", "above", "below")
            if numeric and spec.type != "number":
                at("rule", rule.id, f"rule {rule.id}: {condition.operator} on {condition.fact}, which is a {spec.type}")
            if condition.operator == "matches" and spec.type != "string":
                at("rule", rule.id, f"rule {rule.id}: matches on {condition.fact}, which is a {spec.type}")
        by_fact: dict[str, list] = {}
        for condition in rule.when:
            by_fact.setdefault(condition.fact, []).append(condition)
        for fact, conditions in by_fact.items():
            ops = {c.operator for c in conditions}
            if "absent" in ops and len(ops) > 1:
                at("rule", rule.id, f"rule {rule.id} can never fire: {fact} is both absent and tested")
            low = max((c.operand for c in conditions if c.operator in ("at_least", "above")), default=None)
            high = min((c.operand for c in conditions if c.operator in ("at_most", "below")), default=None)
            if low is not None and high is not None and low >= high:
                at("rule", rule.id, f"rule {rule.id} can never fire: {fact} must be at least {low} and below {high}")
        if rule.id not in kb.cases:
            at("rule", rule.id, f"rule {rule.id} has no twin file {rule.id}.cases.yaml with a firing and a silent case")

    for cause in kb.causes.values():
        if not any(r.cause == cause.id and r.certainty > 0 for r in kb.rules.values()):
            at("cause", cause.id, f"cause {cause.id} has no rule that can support it")
        for ref in cause.references:
            if ref not in kb.references:
                at("cause", cause.id, f"cause {cause.id} cites unknown reference {ref!r}")
        for template in cause.summary:
            for name in placeholders(template):
                if name not in kb.facts:
                    at("cause", cause.id, f"cause {cause.id}: summary uses unknown fact {name!r}")

    for question in kb.questions.values():
        if question.fact not in kb.facts:
            at("question", question.id, f"question {question.id} asks for unknown fact {question.fact!r}")
        elif question.kind == "number" and kb.facts[question.fact].type != "number":
            at("question", question.id, f"question {question.id} asks a number for {question.fact}, a {kb.facts[question.fact].type}")
        elif question.kind == "yesno" and kb.facts[question.fact].type != "bool":
            at("question", question.id, f"question {question.id} asks yes/no for {question.fact}, a {kb.facts[question.fact].type}")

    for name, phrase in kb.phrases.items():
        for ref in phrase.references:
            if ref not in kb.references:
                at("phrase", name, f"reason phrase {name} cites unknown reference {ref!r}")
    return problems
