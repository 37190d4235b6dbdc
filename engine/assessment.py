"""One server's differential diagnosis: run the rules on its facts and explain each
ranked cause with its evidence, reasoning, remediation and references."""
from __future__ import annotations

from typing import Any, Iterable

from . import report as out
from .facts import Facts
from .hosts import UNNAMED_HOST
from .knowledge import KnowledgeBase
from .needs import settle_unevaluated
from .nextsteps import targeted_steps
from .placeholders import fill_step, fills_for
from .ranking import CauseScore, Strength, rank
from .rule_engines import RuleEngine, engine_name, new_engine
from .symptoms import shows_symptoms
from .templates import first_rendered, format_value, render_sentence

_engines: dict[tuple[int, str], tuple[KnowledgeBase, RuleEngine]] = {}


def engine_for(kb: KnowledgeBase) -> RuleEngine:
    """One compiled engine per knowledge base and rule engine, built on first use."""
    key = (id(kb), engine_name())
    entry = _engines.get(key)
    if entry is None or entry[0] is not kb:
        entry = _engines[key] = (kb, new_engine(kb.rules.values(), kb.fact_types, engine=key[1]))
    return entry[1]


def assess(facts: Facts, kb: KnowledgeBase, host: str = UNNAMED_HOST,
           inputs: Iterable[str] = (), timeline: out.Timeline | None = None) -> out.ServerDiagnosis:
    """Run the rules on facts and build one server's differential diagnosis."""
    inference = engine_for(kb).run(facts.values())
    values = facts.values()
    ranking = rank(kb, inference, values)
    causes = [_cause_out(kb, score, facts) for score in ranking.ranked]
    needs, next_steps = targeted_steps(kb, inference, facts, values)
    ruled_out = [out.RuledOut(id=s.cause, title=kb.causes[s.cause].title,
                              reasons=[_step(kb, r, values) for r in (s.ruled_out_by or s.opposing)])
                 for s in ranking.ruled_out if s.cause in kb.causes]
    return out.ServerDiagnosis(
        host=host,
        causes=causes,
        ruled_out=ruled_out,
        not_evaluated=ranking.unevaluated,
        needs=needs,
        next_steps=next_steps,
        inputs=list(inputs),
        facts={name: values[name] for name in sorted(values)},
        unused_facts=sorted(inference.unused_facts),
        timeline=timeline,
        not_evaluated_detail=settle_unevaluated(kb, inference, facts, ranking.unevaluated),
        no_problem_found=ranking.no_problem_found,
        symptom_evidence=shows_symptoms(facts),
        conflicts=[_conflict_out(kb, c) for c in facts.conflicts],
    )


# Which side of a conflict the rules used, and why, in the report's words.
EVIDENCE_USED = ("the evidence was used: a value worked out from the files wins over an answer "
                 "unless the answer overrides it on purpose")
# The answer replaces a fact worked out under the same name; an answer to a question the
# evidence only settles is used beside that evidence, which its own rules still read.
ANSWER_REPLACED = "your answer was used in place of the value worked out from the files, as you chose"
ANSWER_BESIDE = ("your answer was used, as you chose; the figure from the files still counts "
                 "wherever a rule reads it")


def conflict_used(conflict) -> str:
    if conflict.kept == "evidence":
        return EVIDENCE_USED
    return ANSWER_REPLACED if conflict.evidence_fact == conflict.fact else ANSWER_BESIDE


def conflict_sides(kb: KnowledgeBase, conflict) -> tuple[str, str]:
    """Both sides of an answer against the evidence, in words: the answer and the fact it
    was for, and what the evidence worked out, with how. The report and the wizard say both."""
    spec = kb.facts.get(conflict.fact)
    answered = f"{value_words(kb, conflict.fact, conflict.answered)} to \"{spec.description if spec else conflict.fact}\""
    return answered, fact_words(kb, conflict.evidence_fact, conflict.evidence_value, conflict.evidence_how)


def value_words(kb: KnowledgeBase, name: str, value: Any) -> str:
    """A fact's value as a person writes it, with its unit: '5.62 times', '63%', '19 MB'."""
    unit = kb.fact_units.get(name)
    return format_value(value, unit) + (f" {unit}" if unit and unit != "share" else "")


def fact_words(kb: KnowledgeBase, name: str, value: Any, how: str = "") -> str:
    """'What the fact is: its value (how it was worked out)'."""
    spec = kb.facts.get(name)
    text = f"{spec.description if spec else name}: {value_words(kb, name, value)}"
    return f"{text} ({how})" if how else text


def _conflict_out(kb: KnowledgeBase, conflict) -> out.Conflict:
    answered, computed = conflict_sides(kb, conflict)
    text = f"You answered {answered}, but the evidence says otherwise - {computed}; {conflict_used(conflict)}."
    return out.Conflict(fact=conflict.fact, answered=conflict.answered, evidence_fact=conflict.evidence_fact,
                        evidence_value=conflict.evidence_value, text=text, kept=conflict.kept)


def _fact_text(kb: KnowledgeBase, facts: Facts, name: str) -> out.Evidence:
    fact = facts[name]
    return out.Evidence(fact=name, value=fact.value, text=fact_words(kb, name, fact.value, fact.how),
                        sources=[str(s) for s in fact.sources])


def _step(kb: KnowledgeBase, rule, values: dict[str, Any], facts: Facts | None = None,
          strength: Strength | None = None) -> out.ReasoningStep:
    text = first_rendered(rule.because, values, kb.fact_units) or rule.title
    words = facts[strength.fact].how if strength is not None and facts is not None and strength.fact in facts else ""
    return out.ReasoningStep(rule=rule.id, title=rule.title, text=text, certainty=rule.certainty,
                             direction="for" if rule.certainty > 0 else "against", references=rule.references,
                             strength=round(strength.value, 3) if strength is not None else None, strength_text=words)


def _evidence(kb: KnowledgeBase, rules, facts: Facts) -> list[out.Evidence]:
    names = []
    for rule in rules:
        for condition in rule.when:
            if condition.fact in facts and condition.fact not in names:
                names.append(condition.fact)
    return [_fact_text(kb, facts, name) for name in names]


def runbook(kb: KnowledgeBase, cause, values: dict[str, Any]) -> list[out.RemediationStep]:
    """The cause's remediation steps for this evidence: a step whose facts the evidence
    already holds says what they showed, with no command to run again, or is left out;
    a placeholder takes the value the evidence names (`<pool>`: the pool the events name)."""
    steps: list[out.RemediationStep] = []
    fills = fills_for(cause, values)
    for step in cause.remediation:
        # A KB model iterates as its fields: no serializer is built for a plain copy.
        shown = {name: value for name, value in step if name not in ("collects", "given")}
        if step.collects and all(fact in values for fact in step.collects):
            said = first_rendered(step.given, values, kb.fact_units, kb.fact_defaults)
            if said is None:
                continue
            shown.update(do=said, command=None, expect=None)
        steps.append(out.RemediationStep(number=len(steps) + 1, **fill_step(shown, cause, fills, kb.facts)))
    return steps


def _cause_out(kb: KnowledgeBase, score: CauseScore, facts: Facts) -> out.CauseOut:
    cause = kb.causes[score.cause]
    values = facts.values()
    refs = list(dict.fromkeys(cause.references + [r for rule in score.supporting for r in rule.references]))
    return out.CauseOut(
        id=cause.id,
        title=cause.title,
        category=cause.category,
        confidence=score.confidence,
        certainty_factor=round(score.certainty, 3),
        certainty_explained=score.explain(),
        summary=render_sentence(cause.summary, values, kb.fact_units, kb.fact_defaults),
        evidence=_evidence(kb, score.supporting, facts),
        evidence_against=_evidence(kb, score.opposing, facts),
        reasoning=[_step(kb, r, values, facts, score.weighing(r)) for r in score.rules_by_weight()],
        remediation=runbook(kb, cause, values),
        verify=cause.verify,
        escalation=cause.escalation,
        references=[out.ReferenceOut(id=r, title=kb.references[r].title if r in kb.references else r,
                                     url=kb.references[r].url if r in kb.references else None) for r in refs],
        triggered_by=list(score.triggered_by),
    )
