"""Where the causes stand after a rule run, and how far an answer would separate the
leading ones.

The wizard compares the standing now with the standing each possible answer would
give, and the report's next steps with the standing each finding would give; both
weigh the change with `separation`, and the wizard shows which causes an answer tells
apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

from httperr_doctor.kb.schema import Question, Rule

from .rule_engines import InferenceResult
from .knowledge import KnowledgeBase
from .ranking import PROBLEM_FLOOR, Ranking, rank, score_of

MEANINGFUL = 0.005
# The causes an answer or a next step has to tell apart: the first three ranked that are
# more than background noise (the first three whatever they are when none is).
LEADING = 3


@dataclass(frozen=True)
class Option:
    """One answer a question could get."""

    value: Any
    label: str
    weight: float = 1.0


@dataclass
class Standing:
    """Where the causes stand: confidence of every ranked cause, and what is ruled out."""

    confidences: dict[str, float]
    ruled_out: frozenset[str]

    @cached_property
    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.confidences.items(), key=lambda item: (-item[1], item[0]))

    @property
    def top(self) -> str | None:
        ranked = self.ranked
        return ranked[0][0] if ranked else None

    @property
    def clear_top(self) -> str | None:
        """The first cause when it is first alone (a tie has no clear leader)."""
        ranked = self.ranked
        if not ranked or (len(ranked) > 1 and ranked[1][1] >= ranked[0][1]):
            return None
        return ranked[0][0]


@dataclass
class Outcome:
    option: Option
    standing: Standing
    separation: float


@dataclass
class Candidate:
    """A question worth asking, with what each of its answers would do."""

    question: Question
    score: float
    progress: float
    outcomes: list[Outcome] = field(default_factory=list)
    now: Standing | None = None
    # Causes of the rules in play that this question's fact would help complete.
    helps: list[str] = field(default_factory=list)

    @property
    def separates(self) -> list[str]:
        """Causes whose confidence depends on the answer, the most affected first."""
        spread: dict[str, float] = {}
        for outcome in self.outcomes:
            for cause in set(outcome.standing.confidences) | outcome.standing.ruled_out:
                values = [o.standing.confidences.get(cause, 0.0) for o in self.outcomes]
                ruled = [cause in o.standing.ruled_out for o in self.outcomes]
                spread[cause] = max(values) - min(values) + (0.01 if any(ruled) and not all(ruled) else 0.0)
        return [c for c, s in sorted(spread.items(), key=lambda item: (-item[1], item[0])) if s > MEANINGFUL]


def standing_of(inference: InferenceResult, kb: KnowledgeBase, facts: Mapping[str, Any] | None = None) -> Standing:
    """Where the causes stand; `facts` weigh the rules by their symptom's strength, as the report does."""
    return standing_from(rank(kb, inference, facts))


def standing_from(ranking: Ranking) -> Standing:
    return Standing({s.cause: s.confidence for s in ranking.ranked}, frozenset(s.cause for s in ranking.ruled_out))


def standing_after(ranking: Ranking, rule: Rule, facts: Mapping[str, Any], now: Standing | None = None) -> Standing:
    """`standing_of` the same run with `rule` fired too, from its `ranking`: a cause's score
    comes from its own rules alone (`score_of`), so only the rule's cause is scored again and
    the rest is copied from `now` (`standing_from(ranking)`, which next steps, weighing
    dozens of rules a server, pass in)."""
    before = next((s for s in (*ranking.ranked, *ranking.ruled_out) if s.cause == rule.cause), None)
    after = score_of(rule.cause, [*before.supporting, *before.opposing, rule] if before else [rule], facts)
    now = now or standing_from(ranking)
    confidences = dict(now.confidences)
    confidences.pop(rule.cause, None)
    if after.stands:
        confidences[rule.cause] = after.confidence
        return Standing(confidences, now.ruled_out - {rule.cause})
    return Standing(confidences, now.ruled_out | {rule.cause})


def leading_causes(standing: Standing) -> list[str]:
    """The causes to tell apart: the first three ranked above background noise."""
    ranked = standing.ranked
    above_noise = [cause for cause, confidence in ranked if confidence >= PROBLEM_FLOOR]
    return (above_noise or [cause for cause, _ in ranked])[:LEADING]


# Separating the leading causes: how far an answer moves them against each other counts
# fully, the same move for all of them only this much (it confirms, it does not separate).
TOGETHER = 0.25
# Putting another cause first, or ruling a leading one out, changes what the person does next.
TOP_CHANGE = 0.5
LEADING_RULED_OUT = 0.25


def separation(before: Standing, after: Standing, leading: list[str] | set[str] | frozenset[str]) -> float:
    """How much an answer changes the leading causes' standing against each other (0 = not at all).

    Each pair of leading causes counts by how much its gap moves (a ruled-out cause
    stands at 0), so raising the first cause and the second alike separates nothing;
    a leading cause confirmed or weakened on its own counts a quarter; a new first
    cause alone at the top (one from outside included), or a leading one ruled out,
    adds a bonus. A cause from outside that stays below the first, or only ties it,
    separates nothing. With no leading cause yet, every cause counts as leading.

    >>> now = Standing({"leak": 0.88, "exhausted": 0.92}, frozenset())
    >>> separation(now, Standing({"leak": 0.97, "exhausted": 0.92}, frozenset()), ["exhausted", "leak"])
    0.6125
    >>> separation(now, Standing({"exhausted": 0.92}, frozenset({"leak"})), ["exhausted", "leak"])
    1.35
    >>> separation(now, Standing({"leak": 0.9, "exhausted": 0.94}, frozenset()), ["exhausted", "leak"])
    0.01
    >>> separation(now, Standing({"leak": 0.88, "exhausted": 0.92, "idle": 0.3}, frozenset()), ["exhausted", "leak"])
    0.0
    """
    leading = set(leading) or set(before.confidences) | set(after.confidences) | (after.ruled_out - before.ruled_out)
    was = lambda c: before.confidences.get(c, 0.0)  # noqa: E731
    now = lambda c: after.confidences.get(c, 0.0)  # noqa: E731
    pairs = sorted(leading)
    moved = sum(abs((now(a) - now(b)) - (was(a) - was(b))) for i, a in enumerate(pairs) for b in pairs[i + 1:])
    moved += TOGETHER * sum(abs(now(c) - was(c)) for c in leading)
    if after.clear_top not in (None, before.clear_top):
        moved += TOP_CHANGE
    moved += LEADING_RULED_OUT * len((after.ruled_out - before.ruled_out) & leading)
    return round(moved, 4)
