"""`httperr-doctor kb lint` and `kb coverage`: checks that span files, which the schema alone cannot see.

Each problem names the file and line, so a rule author can go straight to it. The
lint also runs every rule's twin cases through the real engine, because a rule
whose cases no longer fire as written is as broken as one with a typo.
"""
from __future__ import annotations

import re

import yaml

from httperr_doctor.kb.schema import Condition, Rule

from .facts import catalogue
from .knowledge import CASES_SUFFIX, KnowledgeBase, Problem, line_of
from .templates import placeholders

REASON_FACT = re.compile(r"^httperr\.reason\.(?P<phrase>.+)\.(?:count|lines|peak_per_minute)$")
FAMILY_FACT = re.compile(r"^httperr\.family\.(?P<family>[a-z\-]+)\.lines$")
GROUP_FACT = re.compile(r"^httperr\.(?P<group>[a-z_]+)\.lines$")
NUMERIC = ("at_least", "at_most", "above", "below")


def phrase_usage(kb: KnowledgeBase) -> dict[str, list[tuple[str, str]]]:
    """phrase -> [(rule id, how the rule reaches it)], for every known reason phrase."""
    usage: dict[str, list[tuple[str, str]]] = {name: [] for name in kb.phrases}

    def note(phrase: str, rule: Rule, via: str) -> None:
        if phrase in usage and (rule.id, via) not in usage[phrase]:
            usage[phrase].append((rule.id, via))

    for rule in sorted(kb.rules.values(), key=lambda r: r.id):
        for condition in rule.when:
            fact = condition.fact
            if (m := REASON_FACT.match(fact)) is not None:
                note(m.group("phrase"), rule, fact)
            elif (m := FAMILY_FACT.match(fact)) is not None:
                for name, phrase in kb.phrases.items():
                    if phrase.family == m.group("family") and not phrase.benign:
                        note(name, rule, fact)
            elif (m := GROUP_FACT.match(fact)) is not None and m.group("group") in kb.phrase_groups:
                for name in sorted(kb.phrase_groups[m.group("group")]):
                    note(name, rule, fact)
            elif fact == "httperr.top_reason" and condition.operator in ("equals", "in"):
                values = condition.operand if condition.operator == "in" else [condition.operand]
                for value in values:
                    note(str(value), rule, f"httperr.top_reason = {value}")
    return usage


def _can_hold(conditions: list[Condition], kind: str | None) -> str | None:
    """Why these conditions on one fact can never all hold, or None."""
    ops = {c.operator for c in conditions}
    if "absent" in ops and len(ops) > 1:
        return "is both absent and tested"
    low = max((c.operand for c in conditions if c.operator in ("at_least", "above")), default=None)
    high = min((c.operand for c in conditions if c.operator in ("at_most", "below")), default=None)
    if low is not None and high is not None:
        strict = any(c.operator == "above" and c.operand == low for c in conditions) or \
            any(c.operator == "below" and c.operand == high for c in conditions)
        if low > high or (low == high and strict):
            return f"must be at least {low:g} and at most {high:g}"
    equal = {repr(c.operand) for c in conditions if c.operator == "equals"}
    if len(equal) > 1:
        return f"must equal {' and '.join(sorted(equal))} at once"
    for c in conditions:
        if c.operator == "equals":
            if any(o.operator == "not_equals" and o.operand == c.operand for o in conditions):
                return f"must equal and not equal {c.operand!r}"
            if any(o.operator == "in" and c.operand not in o.operand for o in conditions):
                return f"must equal {c.operand!r}, which is not in its `in` list"
    valid = {"bool": lambda v: isinstance(v, bool),
             "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
             "string": lambda v: isinstance(v, str)}.get(kind or "")
    for c in conditions:
        values = c.operand if c.operator == "in" else [c.operand] if c.operator in ("equals", "not_equals") else []
        if valid is not None and not all(valid(v) for v in values):
            return f"is a {'yes/no fact' if kind == 'bool' else kind} but is compared with {values!r}"
    return None


def _providable(kb: KnowledgeBase, fact: str, produced: dict[str, str], seen: frozenset[str] = frozenset()) -> bool:
    """True when some parser, derivation, question or documented step can supply the fact."""
    spec = kb.facts.get(fact)
    if spec is None:
        return False
    if spec.how or spec.constant or kb.question_for(fact) is not None or fact in produced:
        return True
    if spec.derived_from and fact not in seen:
        return all(_providable(kb, source, produced, seen | {fact}) for source in spec.derived_from)
    return False


def _facts_rules_need(kb: KnowledgeBase) -> set[str]:
    """Every fact a rule tests, plus everything those facts are derived from."""
    todo = [c.fact for rule in kb.rules.values() for c in rule.when]
    seen: set[str] = set()
    while todo:
        fact = todo.pop()
        if fact not in seen:
            seen.add(fact)
            spec = kb.facts.get(fact)
            todo.extend(spec.derived_from if spec else [])
    return seen


def _case_lines(kb: KnowledgeBase, rule_id: str) -> list[int]:
    path, _ = kb.origin.get(("cases", rule_id), ("", 0))
    full = kb.root.parent / path
    try:
        node = yaml.compose(full.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return []
    count = len(kb.cases[rule_id].cases)
    return [line_of(node, ("cases", i)) for i in range(count)]


def _check_cases(kb: KnowledgeBase, problems: list[Problem]) -> None:
    from .inference import FactTypeError, RuleEngine

    types = kb.fact_types
    for rule_id, cases in sorted(kb.cases.items()):
        rule = kb.rules.get(rule_id)
        if rule is None:
            continue
        path, _ = kb.origin.get(("cases", rule_id), ("kb", 0))
        lines = _case_lines(kb, rule_id)
        engine = RuleEngine([rule], types)
        for index, case in enumerate(cases.cases):
            line = lines[index] if index < len(lines) else 0
            unknown = sorted(set(case.facts) - kb.facts.keys())
            if unknown:
                problems.append(Problem(path, line, f"case {case.name!r} uses unknown fact(s) {', '.join(unknown)}"))
                continue
            try:
                fired = rule_id in engine.run(case.facts).fired
            except FactTypeError as error:
                problems.append(Problem(path, line, f"case {case.name!r}: {error}"))
                continue
            if fired != case.fires:
                problems.append(Problem(path, line, f"case {case.name!r}: rule {rule_id} {'fired' if fired else 'did not fire'}, the case says it {'must' if case.fires else 'must not'}"))


def lint(kb: KnowledgeBase, run_cases: bool = True) -> list[Problem]:
    problems: list[Problem] = []
    produced = catalogue(kb)

    def at(kind: str, key: str, message: str) -> None:
        path, line = kb.origin.get((kind, key), ("kb", 0))
        problems.append(Problem(path, line, message))

    for rule in kb.rules.values():
        if rule.cause not in kb.causes:
            at("rule", rule.id, f"rule {rule.id} names unknown cause {rule.cause!r}")
        facts_used = {c.fact for c in rule.when}
        for fact in sorted(facts_used - kb.facts.keys()):
            at("rule", rule.id, f"rule {rule.id} uses unknown fact {fact!r} (add it to kb/facts.yaml)")
        for fact in sorted(f for f in facts_used & kb.facts.keys() if not _providable(kb, f, produced)):
            at("rule", rule.id, f"rule {rule.id} is unreachable: no parser, derivation, question or `how` provides {fact!r}")
        for name in placeholders(rule.because):
            if name not in facts_used:
                at("rule", rule.id, f"rule {rule.id}: `because` uses {{{{ {name} }}}}, which is not among its conditions' facts")
        for ref in rule.references:
            if ref not in kb.references:
                at("rule", rule.id, f"rule {rule.id} cites unknown reference {ref!r}")
        if not rule.references:
            at("rule", rule.id, f"rule {rule.id} cites no reference")
        for condition in rule.when:
            spec = kb.facts.get(condition.fact)
            if spec is None:
                continue
            if condition.operator in NUMERIC and spec.type != "number":
                at("rule", rule.id, f"rule {rule.id}: {condition.operator} on {condition.fact}, which is a {spec.type}")
            if condition.operator == "matches" and spec.type != "string":
                at("rule", rule.id, f"rule {rule.id}: matches on {condition.fact}, which is a {spec.type}")
            if spec.constant and len(rule.when) == 1 and condition.operator != "absent":
                at("rule", rule.id, f"rule {rule.id} tests only the constant {condition.fact}: it would fire on every server")
        by_fact: dict[str, list[Condition]] = {}
        for condition in rule.when:
            by_fact.setdefault(condition.fact, []).append(condition)
        for fact, conditions in by_fact.items():
            why = _can_hold(conditions, getattr(kb.facts.get(fact), "type", None))
            if why:
                at("rule", rule.id, f"rule {rule.id} can never fire: {fact} {why}")
        if rule.id not in kb.cases:
            at("rule", rule.id, f"rule {rule.id} has no twin file {rule.id}{CASES_SUFFIX} with a firing and a silent case")

    signatures: dict[tuple, str] = {}
    for rule in sorted(kb.rules.values(), key=lambda r: r.id):
        key = (rule.cause, tuple(sorted(c.model_dump_json() for c in rule.when)))
        if key in signatures:
            at("rule", rule.id, f"rule {rule.id} repeats the conditions of {signatures[key]} for the same cause (its certainty would count twice)")
        else:
            signatures[key] = rule.id

    for cause in kb.causes.values():
        rules = kb.rules_for(cause.id)
        if not any(r.certainty > 0 for r in rules):
            at("cause", cause.id, f"cause {cause.id} has no rule that can support it")
        if not any(r.certainty < 0 for r in rules):
            at("cause", cause.id, f"cause {cause.id} has no rule with evidence against it (negative certainty)")
        for ref in cause.references:
            if ref not in kb.references:
                at("cause", cause.id, f"cause {cause.id} cites unknown reference {ref!r}")
        for template in cause.summary:
            for name in placeholders(template):
                if name not in kb.facts:
                    at("cause", cause.id, f"cause {cause.id}: summary uses unknown fact {name!r}")
        if not any(step.command or step.expect for step in cause.remediation):
            at("cause", cause.id, f"cause {cause.id}: no remediation step gives a command or a good result to expect")
        if not cause.escalation.strip():
            at("cause", cause.id, f"cause {cause.id} has no escalation point")

    used = _facts_rules_need(kb)
    asked: dict[str, str] = {}
    for question in kb.questions.values():
        spec = kb.facts.get(question.fact)
        if spec is None:
            at("question", question.id, f"question {question.id} asks for unknown fact {question.fact!r}")
            continue
        if not question.how.strip():
            at("question", question.id, f"question {question.id} does not say how to find the answer (`how`)")
        if question.fact in asked:
            at("question", question.id, f"question {question.id} asks for {question.fact}, as {asked[question.fact]} already does")
        asked.setdefault(question.fact, question.id)
        if question.kind == "number" and spec.type != "number":
            at("question", question.id, f"question {question.id} asks a number for {question.fact}, a {spec.type}")
        elif question.kind == "yesno" and spec.type != "bool":
            at("question", question.id, f"question {question.id} asks yes/no for {question.fact}, a {spec.type}")
        elif question.kind == "choice":
            wrong = [c.value for c in question.choices if _can_hold([Condition(fact=question.fact, equals=c.value)], spec.type)]
            if wrong:
                at("question", question.id, f"question {question.id} offers {wrong!r}, not valid {spec.type} values for {question.fact}")
        if question.fact not in used:
            at("question", question.id, f"question {question.id} asks for {question.fact}, which no rule uses")

    usage = phrase_usage(kb)
    for name, phrase in kb.phrases.items():
        for ref in phrase.references:
            if ref not in kb.references:
                at("phrase", name, f"reason phrase {name} cites unknown reference {ref!r}")
        if not phrase.references and phrase.documented:
            at("phrase", name, f"reason phrase {name} is marked documented but cites no reference")
        for cause_id in phrase.causes:
            if cause_id not in kb.causes:
                at("phrase", name, f"reason phrase {name} names unknown cause {cause_id!r}")
        if not usage[name]:
            at("phrase", name, f"reason phrase {name} is used by no rule, so it cannot influence a diagnosis")
        linked = {kb.rules[rule_id].cause for rule_id, _ in usage[name]}
        for cause_id in phrase.causes:
            if cause_id in kb.causes and cause_id not in linked:
                at("phrase", name, f"reason phrase {name} names cause {cause_id}, but no rule links them")

    if run_cases:
        _check_cases(kb, problems)
    return problems
