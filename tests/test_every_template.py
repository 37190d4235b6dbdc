"""Every cause's every template (its summary sentences, what its runbook steps say the
evidence already showed, and its rules' `because` sentences), rendered with each fact it uses missing, at its default (nothing configured,
nothing logged) and present: no sentence claims what the facts do not say.

- missing: the sentence shown does not use the fact;
- default: the sentence shown does not use the fact, unless its `when` tests the fact
  and holds at the default (it speaks of the default on purpose);
- present: this sentence (or an earlier one its facts also support) is shown, with the
  value in it;
- contradicted: a value its `when` rejects (a registry value at the default the sentence
  says was lowered) never shows it;
- always: no "None", no leftover placeholder, no raw boolean, counts agree with nouns,
  and a sentence that states how something is set has a `when` on the fact behind it.

A rule's sentence is rendered only when the rule fires, so a state its conditions
reject cannot reach the report and is not tried.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from httperr_doctor.engine.conditions import holds
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.plurals import disagreements
from httperr_doctor.engine.templates import format_value, pick_sentence
from httperr_doctor.kb.schema import Cause, Condition, Rule, Sentence

KB = default_kb()
STATES = ("missing", "default", "present")
# Words that state how something is configured or how it compares with a limit: only a
# sentence whose `when` tests a fact may say them.
SETTING_CLAIMS = re.compile(r"\b(set (below|above)|below the [\d,]+-byte default|at or above|lowered|raised|"
                            r"limit is below|below the real load)\b", re.IGNORECASE)
NOT_SAID = re.compile(r"\bNone\b|\{\{|\}\}|\bnan\b|\binf\b|\bTrue\b|\bFalse\b")
SAMPLES = {"number": 7, "string": "SamplePool", "bool": True}


@dataclass(frozen=True)
class Template:
    """One list of sentences tried in order: a cause's summary, or a rule's `because`."""

    owner: str
    sentences: tuple[Sentence, ...]
    gate: tuple[Condition, ...] = ()  # the rule's conditions: a state they reject is never rendered
    defaults_apply: bool = True

    def shown(self, facts: dict) -> tuple[int, str] | None:
        defaults = KB.fact_defaults if self.defaults_apply else None
        return pick_sentence(list(self.sentences), facts, KB.fact_units, defaults)

    def reachable(self, facts: dict) -> bool:
        return all(holds(c, c.fact in facts, facts.get(c.fact)) for c in self.gate)


def templates(kb=KB) -> list[Template]:
    found = [Template(f"cause {c.id} summary", tuple(c.summary)) for c in kb.causes.values()]
    found += [Template(f"cause {c.id} step {step.title!r} given", tuple(step.given))
              for c in kb.causes.values() for step in c.remediation if step.given]
    found += [Template(f"rule {r.id} because", tuple(r.because), tuple(r.when), defaults_apply=False)
              for r in kb.rules.values()]
    return found


def _satisfying(condition: Condition) -> object:
    op, operand = condition.operator, condition.operand
    if op in ("equals", "at_most"):
        value = operand
    elif op == "in":
        value = operand[0]
    elif op in ("at_least", "above"):
        value = operand + 7  # clear of a default of 0 that `at_least: 0` lets through
    elif op == "below":
        value = operand - 1
    else:
        value = SAMPLES[KB.facts[condition.fact].type]
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _present(template: Template, sentence: Sentence) -> dict:
    """Facts at values no default shares that make the sentence and its rule hold."""
    facts = {name: SAMPLES[KB.facts[name].type] for name in sentence.facts}
    for condition in (*template.gate, *sentence.when):
        if condition.operator != "absent":
            facts.setdefault(condition.fact, None)
            if not holds(condition, True, facts[condition.fact]):
                facts[condition.fact] = _satisfying(condition)
    return {name: value for name, value in facts.items() if value is not None}


def _state(facts: dict, name: str, state: str) -> dict | None:
    if state == "present":
        return facts
    if state == "missing":
        return {k: v for k, v in facts.items() if k != name}
    if name not in KB.fact_defaults:
        return None
    return {**facts, name: KB.fact_defaults[name]}


def problems(template: Template, number: int) -> list[str]:
    """What is wrong with one sentence of a template, in every state of every fact it uses."""
    sentence = template.sentences[number]
    found = []
    if SETTING_CLAIMS.search(sentence.text) and not (sentence.when or template.gate):
        found.append("states a setting no `when` checks")
    facts = _present(template, sentence)
    for name in sentence.facts:
        for state in STATES:
            given = _state(facts, name, state)
            if given is None or not template.reachable(given):
                continue
            picked = template.shown(given)
            where = f"{name} {state}"
            if picked is None:
                if state == "present":
                    found.append(f"{where}: nothing is shown")
                continue
            index, text = picked
            chosen = template.sentences[index]
            if NOT_SAID.search(text) or disagreements(text):
                found.append(f"{where}: {text!r}")
            if state == "missing" and name in chosen.facts:
                found.append(f"{where}: shown anyway: {text!r}")
            speaks = any(c.fact == name and holds(c, True, given[name]) for c in chosen.when)
            if state == "default" and name in chosen.facts and not speaks:
                found.append(f"{where}: shown at the default: {text!r}")
            if state == "present" and index > number:
                found.append(f"{where}: a later sentence is shown: {text!r}")
            if state == "present" and index == number and name in chosen.text and format_value(
                    given[name], KB.fact_units.get(name)) not in text:
                found.append(f"{where}: the value is not in {text!r}")
    found += [f"{c.fact} contradicted ({value!r}): shown anyway" for c, value in _contradictions(sentence)
              if template.reachable({**facts, c.fact: value})
              and (template.shown({**facts, c.fact: value}) or (None,))[0] == number]
    return found


def _contradictions(sentence: Sentence) -> list[tuple[Condition, object]]:
    """Each `when` condition with a value it rejects: the other boolean, the far side of a bound."""
    found = []
    for condition in sentence.when:
        op, operand = condition.operator, condition.operand
        if op == "equals":
            value = (not operand) if isinstance(operand, bool) else f"not {operand}" if isinstance(operand, str) else -12345
        else:
            value = {"at_least": lambda: operand - 1, "above": lambda: operand, "at_most": lambda: operand + 1,
                     "below": lambda: operand}.get(op, lambda: None)()
        if value is not None:
            found.append((condition, value))
    return found


CASES = [(t, n) for t in templates() for n in range(len(t.sentences))]


@pytest.mark.parametrize(("template", "number"), CASES, ids=[f"{t.owner}-{n + 1}" for t, n in CASES])
def test_no_sentence_claims_what_its_facts_do_not_say(template, number):
    assert problems(template, number) == []


def test_every_state_of_every_fact_is_tried():
    """The enumeration is complete: each sentence's facts times the three states."""
    tried = sum(len(t.sentences[n].facts) for t, n in CASES)
    given = sum(len(step.given) for c in KB.causes.values() for step in c.remediation)
    assert len(CASES) == (sum(len(c.summary) for c in KB.causes.values()) + sum(len(r.because) for r in KB.rules.values())
                          + given)
    assert tried > 200 and sum(1 for t, n in CASES for name in t.sentences[n].facts if name in KB.fact_defaults) > 100


def test_a_broken_template_is_caught():
    """Sentences that claim too much, as a careless author would write them."""
    cause = Cause.model_validate({
        "id": "broken", "title": "t", "category": "limits", "verify": ["v"], "escalation": "e", "references": ["R1"],
        "remediation": [{"title": "t", "do": "d", "expect": "e"}],
        "summary": [
            "HTTP.sys refused {{ httperr.reason.ConnLimit.count }} requests while maxConnections is "
            "{{ config.max_connections_min }}: the limit is below the real load.",
            "Plain."]})
    assert problems(Template("cause broken summary", tuple(cause.summary)), 0) == ["states a setting no `when` checks"]
    rule = Rule.model_validate({"id": "BROKEN", "cause": "broken", "title": "t", "certainty": 0.5,
                                "when": [{"fact": "event.was_crash.count", "at_least": 0}],
                                "because": "WAS logged {{ event.was_crash.count }} crashes."})
    found = problems(Template("rule BROKEN because", tuple(rule.because), tuple(rule.when), defaults_apply=False), 0)
    assert found == ["event.was_crash.count default: shown at the default: 'WAS logged 0 crashes.'"]


@pytest.mark.parametrize("cause", sorted(KB.causes))
def test_with_no_facts_the_plain_sentence_is_shown(cause):
    template = Template(cause, tuple(KB.causes[cause].summary))
    assert template.shown({}) == (len(template.sentences) - 1, template.sentences[-1].text)
