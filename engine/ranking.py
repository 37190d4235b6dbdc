"""Rank causes from rule firings with MYCIN-style certainty factors.

Each fired rule adds its certainty (-1..1) to its cause; evidence for and against is
combined with the classic formula, which is order-independent, so the ranking is
deterministic and every number in it can be explained by listing the rules.

A rule's certainty assumes its symptom is plainly there. When a supporting rule rests
on a count of HTTPERR lines (`httperr.reason.QueueFull.count at_least 1`), MYCIN's
"certainty of the premise" applies: what the rules reading that symptom conclude
together is multiplied by the strength of the symptom (`...strength`, 0..1, worked
out from volume, rate, burst and share of traffic), so one line in two days is worth
a look, never a root cause, however many rules read it. A rule that tests a strength
fact itself has already weighed it and is not weighed again; evidence against is
never weakened.

Causes can name the causes they lead to (`leads_to` in the cause file: a memory limit
leads to rapid-fail protection). When the trigger is credible it is ranked just above
the mechanism it set off, so its remedy is read first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Iterable, Mapping

from httperr_doctor.kb.schema import Rule

from .rule_engines import InferenceResult
from .knowledge import KnowledgeBase

# A symptom fact (a count of HTTPERR lines) and the strength fact that weighs it.
SYMPTOM = re.compile(r"^(httperr\.(?:reason\.[^.]+|family\.[^.]+|[a-z_]+))\.(?:count|lines)$")
# Conditions asking for more than this many lines already weigh the volume themselves.
WEIGHED_UP_TO = 20
# Facts about one series that are only as strong as the series itself.
SERIES_FACTS = (("httperr.top_reason", "httperr.top_reason.strength"),
                ("httperr.dropped.", "httperr.reason.Connection_Dropped.strength"),
                ("load.", "httperr.reason.Connection_Dropped.strength"))
# Below this no problem cause is worth more than a look: "no problem found".
PROBLEM_FLOOR = 0.30
# A symptom this plain weighs nothing: its rules count one by one, as written.
FULL_STRENGTH = 0.995
# A trigger is put above the mechanism it set off only when it is this credible.
TRIGGER_FLOOR = 0.5


@dataclass(frozen=True)
class Strength:
    """The strength of the symptom a supporting rule rests on (the rule is weighed by it)."""

    value: float
    fact: str


def strength_fact(rule: Rule) -> str | None:
    """The strength fact that weighs a supporting rule, or None when the rule stands as written.

    >>> r = lambda *conds: Rule(id="RR", cause="c", title="t", when=list(conds), certainty=0.7, because="x")
    >>> strength_fact(r({"fact": "httperr.reason.ConnLimit.count", "at_least": 1}))
    'httperr.reason.ConnLimit.strength'
    >>> strength_fact(r({"fact": "httperr.queue_timer.lines", "at_least": 1}))
    'httperr.queue_timer.strength'
    >>> strength_fact(r({"fact": "httperr.reason.NotFound.count", "at_least": 500})) is None
    True
    >>> strength_fact(r({"fact": "httperr.top_reason", "in": ["FieldLength"]}))
    'httperr.top_reason.strength'
    >>> strength_fact(r({"fact": "httperr.reason.Connection_Dropped.count", "at_least": 1},
    ...                 {"fact": "httperr.reason.Connection_Dropped.strength", "below": 0.3})) is None
    True
    """
    if rule.certainty <= 0 or any(c.fact.endswith(".strength") for c in rule.when):
        return None
    for condition in rule.when:
        match = SYMPTOM.match(condition.fact)
        low = condition.at_least if condition.at_least is not None else condition.above
        if match and low is not None and low <= WEIGHED_UP_TO:
            return f"{match.group(1)}.strength"
    for condition in rule.when:
        for prefix, strength in SERIES_FACTS:
            if condition.fact.startswith(prefix):
                return strength
    return None


def strength_of(rule: Rule, facts: Mapping[str, Any]) -> Strength | None:
    name = strength_fact(rule)
    value = facts.get(name) if name else None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return Strength(min(max(float(value), 0.0), 1.0), name)


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
class Step:
    """One term of a cause's combination: a rule on its own, or rules reading one symptom.

    Rules that rest on the same symptom are different readings of one fact, so they
    are combined first and the result is weighed once by that symptom's strength.
    """

    rules: list[Rule]
    value: float
    strength: Strength | None = None

    def text(self) -> str:
        if self.strength is None:
            return f"{self.rules[0].id} {self.value:+.2f}"
        inner = ", ".join(f"{r.id} {r.certainty:+.2f}" for r in self.rules)
        raw = reduce(combine, [r.certainty for r in self.rules], 0.0)
        return f"[{inner}] {raw:+.2f} x strength {self.strength.value:.2f} = {self.value:+.2f}"


@dataclass
class CauseScore:
    cause: str
    certainty: float = 0.0
    supporting: list[Rule] = field(default_factory=list)
    opposing: list[Rule] = field(default_factory=list)
    ruled_out_by: list[Rule] = field(default_factory=list)
    # rule id -> strength of the symptom that rule rests on (supporting rules only).
    strengths: dict[str, Strength] = field(default_factory=dict)
    # Credible causes ranked above this one because they set it off.
    triggered_by: list[str] = field(default_factory=list)

    def steps(self) -> list[Step]:
        """The terms of the combination, the one that counts most first."""
        groups: dict[str, list[Rule]] = {}
        steps = []
        for rule in self.supporting + self.opposing:
            strength = self.weighing(rule)
            if strength is None:
                steps.append(Step([rule], rule.certainty))
            else:
                groups.setdefault(strength.fact, []).append(rule)
        for fact, rules in groups.items():
            strength = self.strengths[rules[0].id]
            rules.sort(key=lambda r: (-r.certainty, r.id))
            raw = reduce(combine, [r.certainty for r in rules], 0.0)
            steps.append(Step(rules, round(raw * strength.value, 3), strength))
        return sorted(steps, key=lambda step: (-abs(step.value), step.rules[0].id))

    def weighing(self, rule: Rule) -> Strength | None:
        """The strength that weighed this rule's conclusion (None when it counted as written)."""
        strength = self.strengths.get(rule.id)
        return strength if strength is not None and strength.value < FULL_STRENGTH else None

    def combined(self) -> float:
        return reduce(combine, [step.value for step in self.steps()], 0.0)

    @property
    def confidence(self) -> float:
        return round(max(0.0, self.certainty), 3)

    @property
    def stands(self) -> bool:
        """Ranked (some belief and nothing rules it out), rather than ruled out."""
        return self.certainty > 0 and not self.ruled_out_by

    def explain(self) -> str:
        """The combination written out, strongest evidence first.

        >>> from httperr_doctor.kb.schema import Rule
        >>> r = lambda i, cf: Rule(id=i, cause="c", title=i, when=[{"fact": "f", "present": True}], certainty=cf, because="x")
        >>> score = CauseScore("c", supporting=[r("AA", 0.85), r("BB", 0.5)], opposing=[r("CC", -0.6)])
        >>> score.explain()
        'AA +0.85 -> 0.850; CC -0.60 -> 0.625; BB +0.50 -> 0.812'
        >>> score.strengths = {"AA": Strength(0.2, "s"), "BB": Strength(0.2, "s")}
        >>> score.explain()
        'CC -0.60 -> -0.600; [AA +0.85, BB +0.50] +0.93 x strength 0.20 = +0.18 -> -0.509'
        """
        steps, value = [], 0.0
        for step in self.steps():
            value = combine(value, step.value)
            steps.append(f"{step.text()} -> {value:.3f}")
        return "; ".join(steps)

    def rules_by_weight(self) -> list[Rule]:
        """Supporting and opposing rules, those that counted most first."""
        return [rule for step in self.steps() for rule in step.rules]


@dataclass
class Ranking:
    ranked: list[CauseScore]
    ruled_out: list[CauseScore]
    # Causes with no fired rule at all: not supported, not excluded.
    unevaluated: list[str]
    # No cause outside the benign category reaches PROBLEM_FLOOR: only background noise.
    no_problem_found: bool = False


def score_of(cause: str, rules: Iterable[Rule], facts: Mapping[str, Any]) -> CauseScore:
    """One cause's score from its fired rules alone: no other cause's rules change it."""
    score = CauseScore(cause)
    for rule in rules:
        (score.supporting if rule.certainty > 0 else score.opposing).append(rule)
        strength = strength_of(rule, facts)
        if strength is not None:
            score.strengths[rule.id] = strength
        if rule.rules_out:
            score.ruled_out_by.append(rule)
    score.certainty = score.combined()
    return score


def rank(kb: KnowledgeBase, inference: InferenceResult, facts: Mapping[str, Any] | None = None) -> Ranking:
    """Rank the causes of the fired rules; `facts` (name -> value) weigh rules by their symptom's strength."""
    fired: dict[str, list[Rule]] = {}
    for firing in inference.firings:
        rule = kb.rules[firing.rule_id]
        fired.setdefault(rule.cause, []).append(rule)
    scores = [score_of(cause, rules, facts or {}) for cause, rules in fired.items()]
    ranked = trigger_first(kb, sorted((s for s in scores if s.stands), key=lambda s: (-s.certainty, s.cause)))
    ruled_out = sorted((s for s in scores if not s.stands), key=lambda s: (s.certainty, s.cause))
    unevaluated = sorted(c for c in kb.causes if c not in fired)
    quiet = not any(s.certainty >= PROBLEM_FLOOR and kb.causes[s.cause].category != "benign" for s in ranked)
    return Ranking(ranked, ruled_out, unevaluated, no_problem_found=quiet)


def trigger_first(kb: KnowledgeBase, ranked: list[CauseScore]) -> list[CauseScore]:
    """Move each credible trigger just above the first mechanism it leads to.

    >>> from types import SimpleNamespace as NS
    >>> kb = NS(causes={"limit": NS(leads_to=["rapid"]), "rapid": NS(leads_to=[]), "other": NS(leads_to=[])})
    >>> order = [CauseScore("rapid", 0.95), CauseScore("other", 0.7), CauseScore("limit", 0.6)]
    >>> [s.cause for s in trigger_first(kb, order)], order[0].triggered_by
    (['limit', 'rapid', 'other'], ['limit'])
    """
    order = list(ranked)
    for trigger in sorted(ranked, key=lambda s: -s.certainty):
        if trigger.certainty < TRIGGER_FLOOR:
            continue
        led = [s for s in order if s.cause in getattr(kb.causes.get(trigger.cause), "leads_to", ())]
        for mechanism in led:
            mechanism.triggered_by.append(trigger.cause)
        if led and order.index(led[0]) < order.index(trigger):
            order.remove(trigger)
            order.insert(order.index(led[0]), trigger)
    return order
