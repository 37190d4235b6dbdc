"""Rank causes from rule firings with MYCIN-style certainty factors.

Each fired rule adds its certainty (-1..1) to its cause; evidence for and against is
combined with the classic formula, which is order-independent, so the ranking is
deterministic and every number in it can be explained by listing the rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce

from httperr_doctor.kb.schema import Rule

from .rule_engines import InferenceResult
from .knowledge import KnowledgeBase


def combine(a: float, b: float) -> float:
    """Combine two certainty factors (Shortliffe & Buchanan, MYCIN).

    >>> round(combine(0.9, 0.5), 3)
    0.95
    >>> round(combine(0.8, -0.5), 3)
    0.6
    >>> round(combine(-0.4, -0.5), 3)
    -0.7
    """
    if a >= 0 and b >= 0:
        return a + b * (1 - a)
    if a < 0 and b < 0:
        return a + b * (1 + a)
    return (a + b) / (1 - min(abs(a), abs(b)))


@dataclass
class CauseScore:
    cause: str
    certainty: float = 0.0
    supporting: list[Rule] = field(default_factory=list)
    opposing: list[Rule] = field(default_factory=list)
    ruled_out_by: list[Rule] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        return round(max(0.0, self.certainty), 3)

    def explain(self) -> str:
        """The combination written out, strongest evidence first.

        >>> from httperr_doctor.kb.schema import Rule
        >>> r = lambda i, cf: Rule(id=i, cause="c", title=i, when=[{"fact": "f", "present": True}], certainty=cf, because="x")
        >>> score = CauseScore("c", supporting=[r("AA", 0.85), r("BB", 0.5)], opposing=[r("CC", -0.6)])
        >>> score.explain()
        'AA +0.85 -> 0.850; CC -0.60 -> 0.625; BB +0.50 -> 0.812'
        """
        rules = sorted(self.supporting + self.opposing, key=lambda r: (-abs(r.certainty), r.id))
        steps, value = [], 0.0
        for rule in rules:
            value = combine(value, rule.certainty)
            steps.append(f"{rule.id} {rule.certainty:+.2f} -> {value:.3f}")
        return "; ".join(steps)


@dataclass
class Ranking:
    ranked: list[CauseScore]
    ruled_out: list[CauseScore]
    # Causes with no fired rule at all: not supported, not excluded.
    unevaluated: list[str]


def rank(kb: KnowledgeBase, inference: InferenceResult) -> Ranking:
    scores: dict[str, CauseScore] = {}
    for firing in inference.firings:
        rule = kb.rules[firing.rule_id]
        score = scores.setdefault(rule.cause, CauseScore(rule.cause))
        (score.supporting if rule.certainty > 0 else score.opposing).append(rule)
        if rule.rules_out:
            score.ruled_out_by.append(rule)
    for score in scores.values():
        score.certainty = reduce(combine, [r.certainty for r in score.supporting + score.opposing], 0.0)
    ranked = sorted((s for s in scores.values() if s.certainty > 0 and not s.ruled_out_by),
                    key=lambda s: (-s.certainty, s.cause))
    ruled_out = sorted((s for s in scores.values() if s.ruled_out_by or s.certainty <= 0),
                       key=lambda s: (s.certainty, s.cause))
    unevaluated = sorted(c for c in kb.causes if c not in scores)
    return Ranking(ranked, ruled_out, unevaluated)
