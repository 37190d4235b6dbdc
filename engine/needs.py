"""What is still open after a rule run: the rules still in play, and the unknown facts
that would complete them (read by the report's next steps, `nextsteps.py`; a way to
settle each cause no rule spoke to; the wizard's measure of how far a question gets)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Container, Mapping

from httperr_doctor.kb.schema import Condition, Rule

from . import report as out
from .conditions import holds
from .facts.model import Fact
from .rule_engines import InferenceResult
from .facts.catalogue import sources_setting
from .knowledge import KnowledgeBase


@dataclass(frozen=True)
class InPlay:
    """A rule that has not fired and that no known fact contradicts."""

    rule: Rule
    # How many of its conditions already hold on evidence (constants, known on every
    # server, and `absent` conditions, which hold for want of evidence, do not count).
    evidence_held: int
    # Its conditions on facts not known yet (an `absent` condition needs nothing).
    unknown: tuple[Condition, ...]

    @property
    def weight(self) -> float:
        """How much completing this rule would matter: its certainty, more the more of it holds."""
        return abs(self.rule.certainty) * (1 + self.evidence_held) / len(self.rule.when)


def held_by_rule(inference: InferenceResult) -> dict[str, set[int]]:
    """rule id -> indices of its conditions that held."""
    held: dict[str, set[int]] = defaultdict(set)
    for rule_id, index in inference.conditions_held:
        held[rule_id].add(index)
    return held


def rule_in_play(kb: KnowledgeBase, rule: Rule, inference: InferenceResult, known: Container[str],
                 held: dict[str, set[int]] | None = None) -> InPlay | None:
    """The rule's standing when it is still in play, else None (it fired, or one of its
    conditions on a `known` fact failed). `held` is `held_by_rule(inference)`, when the
    caller asks about many rules."""
    if rule.id in inference.fired:
        return None
    held_here = (held if held is not None else held_by_rule(inference)).get(rule.id, set())
    if any(c.fact in known and i not in held_here for i, c in enumerate(rule.when)):
        return None
    evidence_held = sum(1 for i in held_here if rule.when[i].operator != "absent"
                        and not getattr(kb.facts.get(rule.when[i].fact), "constant", False))
    unknown = tuple(c for c in rule.when if c.fact not in known and c.operator != "absent")
    return InPlay(rule, evidence_held, unknown)


def collectable(kb: KnowledgeBase, fact: str, known: Container[str]) -> list[str]:
    """The unknown facts a person can actually provide behind `fact` (derived facts expand)."""
    spec = kb.facts.get(fact)
    if spec is None or not spec.derived_from:
        return [fact]
    found: list[str] = []
    for source in spec.derived_from:
        if source not in known:
            found += [f for f in collectable(kb, source, known) if f not in found]
    return found


def supplied_check(kb: KnowledgeBase, known: Container[str]):
    """A test of whether asking for a fact would ask for evidence already given: the
    files its source reads were read (and did not have it), or evidence the KB says
    settles it (`settled_by`) is known."""
    read = getattr(known, "sources_read", None) or set()
    setting = sources_setting(kb) if read else {}

    def supplied(fact: str) -> bool:
        return setting.get(fact) in read or settled_by_evidence(kb, fact, known)
    return supplied


def settled_by_evidence(kb: KnowledgeBase, fact: str, known: Mapping[str, Any]) -> bool:
    """Whether evidence the KB says settles `fact` (kb/facts.yaml `settled_by`) says so here:
    every condition of one of its settlements holds on what is known (facts or their values).
    Then asking for the fact would ask for what the evidence already says; evidence that is
    known but settles nothing (no WAS 5002 in the System log given) leaves the question open."""
    spec = kb.facts.get(fact)
    return spec is not None and any(
        all(c.fact in known and holds(c, True, _value(known[c.fact])) for c in settle.when) for settle in spec.settled_by)


def _value(found: Any) -> Any:
    return found.value if isinstance(found, Fact) else found


def need_for(kb: KnowledgeBase, fact: str, causes: list[str] | None = None, rules: list[str] | None = None) -> out.Need:
    question = kb.question_for(fact)
    spec = kb.facts.get(fact)
    return out.Need(
        fact=fact,
        ask=question.text if question else (spec.description if spec else fact),
        how=question.how.strip() if question else (spec.how if spec else ""),
        question=question.id if question else None,
        causes=list(causes or []), rules=list(rules or []),
    )


def settle_unevaluated(kb: KnowledgeBase, inference: InferenceResult, known: Container[str],
                       causes: list[str]) -> list[out.NotEvaluated]:
    """For each cause no rule spoke to: the fewest unknown facts that would let one of its rules fire.

    Only a supporting rule still in play settles it, and only with evidence not given
    yet (a rule that needs HTTPERR lines of some reason the HTTPERR log read has none of
    does not).
    """
    held = held_by_rule(inference)
    supplied = supplied_check(kb, known)
    found = []
    for cause in causes:
        options = []
        for rule in kb.rules_for(cause):
            play = rule_in_play(kb, rule, inference, known, held) if rule.certainty > 0 else None
            if play is None:
                continue
            missing = [f for c in play.unknown for f in collectable(kb, c.fact, known)]
            if not missing or any(supplied(f) for f in missing):
                continue
            options.append((len(set(missing)), -rule.certainty, rule.id, list(dict.fromkeys(missing))))
        settle = []
        if options:
            _, _, rule_id, missing = min(options)
            settle = [need_for(kb, fact, [cause], [rule_id]) for fact in missing[:3]]
        found.append(out.NotEvaluated(id=cause, title=kb.causes[cause].title, settle=settle))
    return found
