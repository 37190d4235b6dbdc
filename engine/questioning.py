"""Which question to ask next: the one whose answer would best separate the leading causes.

A help-desk person's time is the scarce thing, so the wizard never follows a fixed
script. For every question whose fact is still unknown, the real rules are run on
each answer it could get (yes and no, each choice, or one number per band between
the thresholds the rules test), and the confidences that come out are compared with
the current ones. The question with the largest expected separation (the mean over
its answers of `standing.separation`, the measure the report's next steps use: how
far the leading causes move against each other, with a bonus for a new first cause
or a leading one ruled out) is asked first; in bench/wizard_bench.py it reaches the
right first cause in fewer questions than the earlier measure of how much every
cause's confidence moved. When no single answer can move anything yet (a
rule needs two more facts), the question that completes the most of the rules still
in play for a cause in the running comes first (a ranked cause, or one the main
HTTPERR reason points at). With no cause in the running (the person could not read
the HTTPERR log), completing rules is no reason to ask: that would walk a person
through every question the KB has (25 on a quiet server's case), and only a question
one of whose answers moves the ranking is asked.

Speed: a hypothetical answer only changes a few facts, and only the rules that test
those facts can fire differently. Those rules run on their own small compiled engine
(built once per set of rules) and their firings replace the current ones; everything
else is reused, so one question choice costs a few milliseconds.

"I don't know" is not an answer: its question is skipped and the fact stays missing,
exactly as if the question had never been asked.
"""
from __future__ import annotations

import bisect
from typing import Any, Iterable, Mapping

from httperr_doctor.kb.schema import Question

from .assessment import engine_for
from .facts import Facts, with_answers
from .knowledge import KnowledgeBase, default_kb
from .needs import collectable, held_by_rule, rule_in_play, settled_by_evidence
from .rule_engines import InferenceResult, RuleEngine, new_engine
from .standing import Candidate, Option, Outcome, Standing, leading_causes, separation, standing_of
from .templates import format_value

# Below this expected separation a question is not worth a help-desk person's time.
WORTH_ASKING = 0.1
_MISSING = object()
# Numbers tried for a number question before the bands between thresholds are pinned down.
_GRID = [0.0] + [m * 10.0 ** e for e in range(-2, 7) for m in (1, 2, 5)]


def _band_labels(bounds: list[float], show) -> list[str]:
    """A label for each band from one bound to the next. A band only as wide as the bisection's
    precision is a threshold met exactly: "exactly 5", and the next band starts from it
    ("5 to 50"), never "5 to 5.00" and "5.00 to 50".

    >>> _band_labels([0.0, 5, 5.001, 50], str)
    ['under 5', 'exactly 5', '5 to 50', '50 or more']
    """
    labels, start = [], None
    for i, low in enumerate(bounds):
        high = bounds[i + 1] if i + 1 < len(bounds) else None
        shown_low, start = show(low if start is None else start), None
        if high is None:
            labels.append(f"{shown_low} or more")
        elif i == 0:
            labels.append(f"under {show(high)}")
        elif high - low <= max(2e-3, abs(low) * 2e-4):
            labels.append(f"exactly {show(low)}")
            start = low
        else:
            labels.append(f"{shown_low} to {show(high)}")
    return labels


class _KnownApart:
    """The facts known in `values` apart from `reach` (those the answer would set or change)."""

    def __init__(self, values: Mapping[str, Any], reach: set[str]):
        self.values, self.reach = values, reach

    def __contains__(self, name: object) -> bool:
        return name in self.values and name not in self.reach


class Questioner:
    """Chooses questions for one knowledge base; keeps its compiled engines between calls."""

    def __init__(self, kb: KnowledgeBase | None = None):
        self.kb = kb or default_kb()
        self._types = self.kb.fact_types
        self._rules_on: dict[str, list[str]] = {}
        self._thresholds: dict[str, list[float]] = {}
        for rule in self.kb.rules.values():
            for condition in rule.when:
                self._rules_on.setdefault(condition.fact, [])
                if rule.id not in self._rules_on[condition.fact]:
                    self._rules_on[condition.fact].append(rule.id)
                operand = condition.operand
                if isinstance(operand, (int, float)) and not isinstance(operand, bool):
                    bisect.insort(self._thresholds.setdefault(condition.fact, []), float(operand))
        self._derived: dict[str, list[str]] = {}
        for name, spec in self.kb.facts.items():
            for source in spec.derived_from:
                self._derived.setdefault(source, []).append(name)
        self._feeds = {name: self._downstream(name) for name in self.kb.facts}
        # What else a number question's bands depend on: the other inputs of the facts it feeds.
        self._band_inputs = {name: sorted({src for d in feeds for src in self.kb.facts[d].derived_from if src not in feeds}
                                          | {d for d in feeds if d != name})
                             for name, feeds in self._feeds.items()}
        self._options: dict[tuple, list[Option]] = {}
        self._all_rules = frozenset(self.kb.rules)
        self._engines: dict[frozenset[str], RuleEngine] = {}
        self._runs: dict[tuple, InferenceResult] = {}
        self._referenced: dict[frozenset[str], frozenset[str]] = {}

    # -- what a question can reach -------------------------------------------------
    def _downstream(self, fact: str) -> set[str]:
        """`fact` and every fact worked out from it (kb/facts.yaml `derived_from`)."""
        found, todo = {fact}, [fact]
        while todo:
            for name in self._derived.get(todo.pop(), ()):
                if name not in found:
                    found.add(name)
                    todo.append(name)
        return found

    def reaches_rules(self, question: Question) -> bool:
        return any(name in self._rules_on for name in self._feeds.get(question.fact, {question.fact}))

    def askable(self, facts: Mapping[str, Any], skipped: Iterable[str] = ()) -> list[Question]:
        """Questions whose fact is unknown (neither computed nor settled by the evidence), not
        skipped, and that some rule can use."""
        skipped = set(skipped)
        return [q for q in self.kb.questions.values()
                if q.fact not in facts and not settled_by_evidence(self.kb, q.fact, facts)
                and q.id not in skipped and q.fact not in skipped and self.reaches_rules(q)]

    # -- running the rules -----------------------------------------------------------
    def _key(self, rule_ids: frozenset[str], values: Mapping[str, Any], engine: RuleEngine | None = None) -> tuple:
        referenced = self._referenced.get(rule_ids)
        if referenced is None:
            engine = engine or self._engines.get(rule_ids) or engine_for(self.kb)
            referenced = self._referenced[rule_ids] = frozenset(engine.referenced_facts)
        return rule_ids, tuple((name, values[name]) for name in sorted(referenced & set(values)))

    def _run(self, rule_ids: frozenset[str], values: Mapping[str, Any]) -> InferenceResult:
        engine = self._engines.get(rule_ids)
        if engine is None and rule_ids == self._all_rules:
            engine = self._engines[rule_ids] = engine_for(self.kb)
        elif engine is None:
            engine = self._engines[rule_ids] = new_engine([self.kb.rules[r] for r in sorted(rule_ids)], self._types)
        key = self._key(rule_ids, values, engine)
        wanted = [name for name, _ in key[1]]
        result = self._runs.get(key)
        if result is None:
            if len(self._runs) > 20000:
                self._runs.clear()
            result = self._runs[key] = engine.run({name: values[name] for name in wanted})
        return result

    def infer(self, values: Mapping[str, Any]) -> InferenceResult:
        """The full rule run on these facts (cached: the same facts give the same firings)."""
        return self._run(self._all_rules, values)

    def standing(self, values: Mapping[str, Any]) -> Standing:
        return standing_of(self.infer(values), self.kb, values)

    def _touched(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
        """The rules that test a fact whose value (or presence) differs between the two."""
        changed = {n for n in set(before) | set(after) if before.get(n, _MISSING) != after.get(n, _MISSING)}
        return {r for n in changed for r in self._rules_on.get(n, ())}

    def _what_if(self, base: InferenceResult, after: Mapping[str, Any], touched: frozenset[str]) -> Standing:
        """The ranking if the facts were `after`: only `touched` rules re-run, the rest keep their firings."""
        if not touched:
            return standing_of(base, self.kb, after)
        partial = self._run(touched, after)
        merged = InferenceResult(
            firings=sorted([f for f in base.firings if f.rule_id not in touched] + partial.firings, key=lambda f: f.rule_id),
            conditions_held={held for held in base.conditions_held if held[0] not in touched} | partial.conditions_held)
        # Exactly what the full run would give on `after`: when that answer is given, the
        # next step's full run is a cache hit.
        self._runs.setdefault(self._key(self._all_rules, after), merged)
        return standing_of(merged, self.kb, after)

    # -- the answers a question could get --------------------------------------------
    def vocabulary(self, question: Question) -> list[str]:
        """Every value a person could type for a choice question beyond its listed choices.

        The listed choices stay short enough for a 24-line terminal; the rest comes from the
        values the rules test, and for the HTTPERR reason from every reason phrase the KB
        knows that is not background noise.
        """
        if question.kind != "choice" or self.kb.facts.get(question.fact, None) is None \
                or self.kb.facts[question.fact].type != "string":
            return []
        values = {str(c.value) for c in question.choices}
        for rule_id in self._rules_on.get(question.fact, ()):
            for condition in self.kb.rules[rule_id].when:
                if condition.fact == question.fact and condition.operator in ("equals", "in"):
                    operand = condition.operand
                    values |= {str(v) for v in (operand if isinstance(operand, list) else [operand])}
        if question.fact == "httperr.top_reason":
            values |= {name for name, phrase in self.kb.phrases.items() if not phrase.benign}
        return sorted(values, key=str.lower)


    def options(self, question: Question, evidence: Facts, answers: Mapping[str, Any],
                values: Mapping[str, Any] | None = None) -> list[Option]:
        if question.kind == "yesno":
            return [Option(True, "yes"), Option(False, "no")]
        if question.kind == "choice":
            return [Option(c.value, c.label) for c in question.choices]
        # The bands only move when the other inputs of the facts this number feeds change.
        values = values if values is not None else with_answers(evidence, answers, self.kb).values()
        key = (question.id, tuple((n, values.get(n)) for n in self._band_inputs.get(question.fact, ())))
        found = self._options.get(key)
        if found is None:
            found = self._options[key] = self._number_options(question, evidence, answers)
        return found

    def _band(self, question: Question, evidence: Facts, answers: Mapping[str, Any], value: float) -> tuple:
        """Which side of every rule threshold this answer puts the facts on (and whether it is possible)."""
        values = with_answers(evidence, {**answers, question.fact: value}, self.kb).values()
        possible = True
        key: list[tuple] = []
        for name in sorted(self._feeds.get(question.fact, {question.fact})):
            current = values.get(name, _MISSING)
            if current is _MISSING or name not in self._rules_on:
                key.append((name, current is _MISSING))
            elif isinstance(current, (int, float)) and not isinstance(current, bool):
                # A worked-out amount below zero (more pool in use than the ceiling) cannot happen.
                possible = possible and (name == question.fact or current >= 0)
                cuts = self._thresholds.get(name, [])
                key.append((name, bisect.bisect_left(cuts, current), bisect.bisect_right(cuts, current)))
            else:
                key.append((name, current))
        return (possible, *key)

    def _number_options(self, question: Question, evidence: Facts, answers: Mapping[str, Any]) -> list[Option]:
        """One representative number per band the rules tell apart (bands found by bisection).

        When the evidence bounds the answer (pool in use cannot exceed the ceiling), each
        band is weighted by its width: a uniform prior over the possible values, so a
        narrow band just under the ceiling does not count as much as the rest.
        """
        band = lambda v: self._band(question, evidence, answers, v)  # noqa: E731
        grid = sorted(set(_GRID) | {t for t in self._thresholds.get(question.fact, []) if t >= 0})
        keys = [band(v) for v in grid]
        edges: list[float] = []
        for (lo, k_lo), (top, k_top) in zip(zip(grid, keys), zip(grid[1:], keys[1:])):
            while k_lo != k_top and len(edges) < 12:
                hi = top
                for _ in range(40):
                    if hi - lo <= max(1e-3, abs(hi) * 1e-4):
                        break
                    mid = (lo + hi) / 2
                    if band(mid) == k_lo:
                        lo = mid
                    else:
                        hi = mid
                edge = round(hi, 3) if hi < 10 else round(hi)
                if not edges or edge != edges[-1]:
                    # A threshold met exactly is a band of its own; rounded, it would read "115 MB to 115 MB".
                    edges.append(edge)
                lo, k_lo = hi, band(hi)
        bounds = [0.0] + edges
        unit = f" {question.unit}" if question.unit else ""
        bands = []
        for i, (low, label) in enumerate(zip(bounds, _band_labels(bounds, lambda v: f"{format_value(v)}{unit}"))):
            high = bounds[i + 1] if i + 1 < len(bounds) else None
            value = low if label.startswith("exactly") else (low + high) / 2 if high is not None else max(low * 1.1, low + 1)
            value = round(value) if value >= 10 else round(value, 3)
            if band(value)[0]:
                bands.append((value, label, None if high is None else high - low))
        bounded = bands and bands[-1][2] is not None
        return [Option(value, label, width if bounded else 1.0) for value, label, width in bands]

    def leading(self, values: Mapping[str, Any], now: Standing) -> set[str]:
        """The causes in the running: ranked ones, and those the KB links to the main HTTPERR reason."""
        leading = {c for c, p in now.confidences.items() if p > 0}
        phrase = self.kb.phrases.get(values.get("httperr.top_reason"))
        if phrase is not None:
            leading |= set(phrase.causes) - now.ruled_out
        return leading

    # -- choosing ------------------------------------------------------------------------
    def _progress(self, question: Question, values: Mapping[str, Any], base: InferenceResult,
                  standing: Standing, afters: list[Mapping[str, Any]], unavailable: frozenset[str]) -> tuple[float, list[str]]:
        """How much of the rules still in play this question's fact would complete, and their causes.

        A fact worked out from this one that is known now and that no answer changes is not
        reached, nor what is worked out from it alone: on an x64 server the pool ceiling comes
        from the RAM, so /3GB cannot move it or the free pool. A rule that also needs what the
        person said they cannot give (`unavailable`: the pool in use, answered "I don't know")
        cannot be completed, so it earns no question either."""
        reach, todo = {question.fact}, [question.fact]
        while todo:
            for name in self._derived.get(todo.pop(), ()):
                unmoved = name in values and all(after.get(name, _MISSING) == values[name] for after in afters)
                if name not in reach and not unmoved:
                    reach.add(name)
                    todo.append(name)
        known = _KnownApart(values, reach)
        held = held_by_rule(base)
        total = 0.0
        causes: list[str] = []
        for rule_id in sorted({r for name in reach for r in self._rules_on.get(name, ())}):
            rule = self.kb.rules[rule_id]
            play = None if rule.cause in standing.ruled_out else rule_in_play(self.kb, rule, base, known, held)
            if play is not None and not any(self._waits_for(c.fact, known, unavailable, question.fact)
                                            for c in play.unknown):
                total += play.weight
                causes.append(rule.cause)
        return total, sorted(set(causes))

    def _waits_for(self, fact: str, known: _KnownApart, unavailable: frozenset[str], asked: str) -> bool:
        """Whether `fact` waits, beyond the question `asked`, only for what the person said they
        cannot give. (Every input a derivation may use is listed, though not every one is needed:
        the /3GB switch is not on x64, so one unavailable input among others does not block.)"""
        rest = set(collectable(self.kb, fact, known)) - {asked}
        return bool(rest) and rest <= unavailable

    def candidates(self, evidence: Facts, answers: Mapping[str, Any] | None = None,
                   skipped: Iterable[str] = ()) -> list[Candidate]:
        """Every question still worth asking, best first."""
        answers = dict(answers or {})
        values = with_answers(evidence, answers, self.kb).values()
        base = self.infer(values)
        now = standing_of(base, self.kb, values)
        found = []
        leading = self.leading(values, now)
        # Told apart: the leading ranked causes, else those the main HTTPERR reason points at.
        apart = leading_causes(now) or sorted(leading)
        skipped = set(skipped)
        unavailable = frozenset(self.kb.questions[s].fact if s in self.kb.questions else s for s in skipped)
        for question in self.askable(values, skipped):
            options = self.options(question, evidence, answers, values)
            afters = [with_answers(evidence, {**answers, question.fact: o.value}, self.kb).values() for o in options]
            outcomes = []
            for option, after in zip(options, afters):
                # Only the rules this answer touches re-run: small engines run far faster than one big one.
                result = self._what_if(base, after, frozenset(self._touched(values, after)))
                outcomes.append(Outcome(option, result, separation(now, result, apart)))
            weight = sum(o.option.weight for o in outcomes)
            score = sum(o.separation * o.option.weight for o in outcomes) / weight if weight else 0.0
            progress, helps = self._progress(question, values, base, now, afters, unavailable)
            if score >= WORTH_ASKING or (progress > 0 and leading & set(helps)):
                found.append(Candidate(question, round(score, 4), round(progress, 4), outcomes, now, helps))
        return sorted(found, key=lambda c: (-c.score, -c.progress, c.question.id))

    def prefetch(self, evidence: Facts, answers: Mapping[str, Any], skipped: Iterable[str], asked: Candidate) -> None:
        """Work out the next question for each answer `asked` could get (and for "don't know").

        Meant to run while the question is on screen: afterwards every engine and rule run
        the next step needs is cached, so the answer is followed by the next question at once.
        """
        skipped = set(skipped)
        for outcome in asked.outcomes:
            self.candidates(evidence, {**answers, asked.question.fact: outcome.option.value}, skipped)
        self.candidates(evidence, answers, skipped | {asked.question.id})

    def next_question(self, evidence: Facts, answers: Mapping[str, Any] | None = None,
                      skipped: Iterable[str] = ()) -> Candidate | None:
        """The question to ask now, or None when no answer could change the ranking."""
        found = self.candidates(evidence, answers, skipped)
        return found[0] if found else None
