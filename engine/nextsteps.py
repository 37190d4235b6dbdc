"""What to collect next: only missing evidence, ranked by how well it would separate the
leading causes, one step per command.

A person's next step is worth taking only when what it could show would change how the
leading causes stand against each other. What a step could show is read from the rule
base itself: every rule still in play (`needs.rule_in_play`) whose missing facts a person
can collect is one thing the step could find, and the ranking is worked out again, with
the same combination the report uses (`standing.standing_after`), as if that rule fired.
`standing.separation` says how far that moves the leading causes apart; a step is worth
its best finding. A rule that also needs evidence from another step counts for that
share only. Steps whose findings cannot move the leading causes are left out, and the
facts one command collects (the same collection text in the KB) are one step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Container, Mapping

from httperr_doctor.kb.schema import Rule

from . import report as out
from .knowledge import KnowledgeBase
from .facts.catalogue import sources_setting
from .ranking import Ranking, rank
from .needs import collectable, held_by_rule, need_for, rule_in_play, supplied_check
from .rule_engines import InferenceResult
from .standing import Standing, leading_causes, separation, standing_after, standing_from
from .symptoms import causes_in_reach, collects_symptoms, shows_symptoms
from .steps_words import Told, describe, finding_clause, other_evidence

# Below this a finding changes nothing worth a person's time among the leading causes.
WORTH_COLLECTING = 0.01
# Findings described in a step's reason.
FINDINGS_TOLD = 2


@dataclass
class Finding:
    """One thing a step could show: a rule still in play that its evidence would let fire."""

    rule: Rule
    # The share of that rule's missing evidence this step collects (1 = all of it).
    share: float
    # The facts that rule needs from this step, and from other steps.
    facts: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    after: Standing | None = None
    separation: float = 0.0


@dataclass
class Step:
    """Facts one command collects, and what collecting them could show."""

    how: str
    facts: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def value(self) -> float:
        return max((f.separation for f in self.findings), default=0.0)

    @property
    def total(self) -> float:
        return sum(f.separation for f in self.findings)


_texts: dict[int, tuple[KnowledgeBase, dict[str, str]]] = {}


def collection_texts(kb: KnowledgeBase) -> dict[str, str]:
    """fact -> what a person does to get it: its question's or its own collection text,
    else the one its evidence source's other facts give (the HTTPERR log gives every
    HTTPERR figure). A fact nobody can collect has none. Worked out once per KB."""
    entry = _texts.get(id(kb))
    if entry is None or entry[0] is not kb:
        entry = _texts[id(kb)] = (kb, _collection_texts(kb))
    return entry[1]


def _collection_texts(kb: KnowledgeBase) -> dict[str, str]:
    setting = sources_setting(kb)
    by_source: dict[str, str] = {}
    for name in sorted(kb.facts):
        if kb.facts[name].how and name in setting:
            by_source.setdefault(setting[name], kb.facts[name].how)
    texts = {}
    for name, spec in kb.facts.items():
        question = kb.question_for(name)
        how = question.how.strip() if question else spec.how or by_source.get(setting.get(name, ""), "")
        if how:
            texts[name] = how
    return texts


def open_steps(kb: KnowledgeBase, inference: InferenceResult, known: Container[str],
               excluded: Container[str] = ()) -> list[Step]:
    """Every step that could let a rule still in play fire, with the findings it could give.

    A rule whose missing evidence includes something already supplied (its file was
    read and did not have it), or something no one can collect, cannot fire on new
    evidence and gives no finding; nor does a rule for an `excluded` cause (one a rule
    ruled out stays out whatever else is found).
    """
    held = held_by_rule(inference)
    supplied = supplied_check(kb, known)
    texts = collection_texts(kb)
    steps: dict[str, Step] = {}
    for rule in kb.rules.values():
        play = None if rule.cause in excluded else rule_in_play(kb, rule, inference, known, held)
        if play is None or not play.unknown:
            continue
        missing = list(dict.fromkeys(f for c in play.unknown for f in collectable(kb, c.fact, known)))
        if not missing or any(supplied(f) or f not in texts for f in missing):
            continue
        keys = {fact: texts[fact] for fact in missing}
        for key in dict.fromkeys(keys.values()):
            step = steps.setdefault(key, Step(key))
            mine = [f for f, k in keys.items() if k == key]
            step.facts += [f for f in mine if f not in step.facts]
            others = [f for f, k in keys.items() if k != key]
            step.findings.append(Finding(rule, 1 / len(set(keys.values())), mine, others))
    return list(steps.values())


def weigh(steps: list[Step], ranking: Ranking, values: Mapping[str, Any], reach: Container[str] | None = None) -> None:
    """Work out each finding's ranking and its separation from the standing now (`ranking`'s).

    A finding about a cause outside `reach` (when given) separates nothing: it would put a
    cause first that the symptom shown cannot come from, and the causes the evidence
    supports would stand against each other as they do now."""
    now = standing_from(ranking)
    leading = leading_causes(now)
    for step in steps:
        for finding in step.findings:
            if reach is not None and finding.rule.cause not in reach:
                continue  # it separates nothing, so no ranking after it is worked out or told
            finding.after = standing_after(ranking, finding.rule, values, now)
            finding.separation = round(finding.share * separation(now, finding.after, leading), 4)
        step.findings.sort(key=lambda f: (-f.separation, f.rule.id))


def targeted_steps(kb: KnowledgeBase, inference: InferenceResult, known: Container[str],
                   values: Mapping[str, Any]) -> tuple[list[out.Need], list[out.NextStep]]:
    """The next steps worth taking, best first, and the facts each would find out."""
    ranking = rank(kb, inference, values)
    now = standing_from(ranking)
    steps = open_steps(kb, inference, known, {s.cause for s in ranking.ruled_out if s.ruled_out_by})
    # With no problem shown, the steps look for one anywhere ("if users still see errors").
    about_symptom = not ranking.no_problem_found and shows_symptoms(known)
    weigh(steps, ranking, values, causes_in_reach(kb, ranking, inference, values) if about_symptom else None)
    # With nothing that can show a symptom, what can show one comes first, whatever else would tell more.
    symptom_first = not shows_symptoms(known)
    worth = sorted((s for s in steps if s.value >= WORTH_COLLECTING),
                   key=lambda s: (symptom_first and not collects_symptoms(kb, s.facts), -s.value, -s.total,
                                  -len(s.findings), s.facts[0]))
    needs: list[out.Need] = []
    shown: list[out.NextStep] = []
    for number, step in enumerate(worth, start=1):
        useful = [f for f in step.findings if f.separation >= WORTH_COLLECTING]
        asks, facts = [], []
        # What the best findings need first: a report shows only a step's first few.
        for fact in dict.fromkeys(fact for f in useful for fact in f.facts):
            rules = [f.rule for f in useful if fact in f.facts]
            need = need_for(kb, fact, list(dict.fromkeys(r.cause for r in rules)), [r.id for r in rules])
            need.step = number
            needs.append(need)
            asks.append(need.ask)
            facts.append(fact)
        told = [Told(finding_clause(kb, f.rule, f.facts), other_evidence(kb, f.others), f.after)
                for f in useful[:FINDINGS_TOLD]]
        apart, why = describe(kb, now, told, leading_causes(now))
        shown.append(out.NextStep(number=number, how=step.how, facts=facts, asks=asks,
                                  tells_apart=apart, why=why, separation=round(step.value, 3)))
    return needs, shown

