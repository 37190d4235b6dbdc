"""Where the causes stand after a rule run, and how much an answer would move them.

The wizard compares the standing now with the standing each possible answer would
give (`movement`), and shows a person which causes an answer tells apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from httperr_doctor.kb.schema import Question

from .rule_engines import InferenceResult
from .knowledge import KnowledgeBase
from .ranking import rank

TOP_CHANGE_BONUS = 0.5
RULED_OUT_BONUS = 0.1
SIDE_TRAIL = 0.25
MEANINGFUL = 0.005


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

    @property
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
    movement: float


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
    ranking = rank(kb, inference, facts)
    return Standing({s.cause: s.confidence for s in ranking.ranked}, frozenset(s.cause for s in ranking.ruled_out))


def movement(before: Standing, after: Standing, leading: set[str] | frozenset[str] = frozenset()) -> float:
    """How much an answer changes the picture (0 = nothing changes).

    Once something points at causes (`leading`: the ranked ones and the causes the
    KB links to the main HTTPERR reason), raising or excluding any other cause counts
    for a quarter: the wizard is there to
    separate the leading causes, not to open new trails (a side trail reaching the top
    earns no bonus). Breaking a tie at the top counts as a new top cause.
    """
    weight = lambda c: 1.0 if not leading or c in leading else SIDE_TRAIL  # noqa: E731
    causes = set(before.confidences) | set(after.confidences)
    moved = sum(weight(c) * abs(after.confidences.get(c, 0.0) - before.confidences.get(c, 0.0)) for c in causes)
    if after.clear_top != before.clear_top and (after.clear_top is None or weight(after.clear_top) == 1.0):
        moved += TOP_CHANGE_BONUS
    moved += sum(RULED_OUT_BONUS * weight(c) for c in after.ruled_out - before.ruled_out)
    return moved
