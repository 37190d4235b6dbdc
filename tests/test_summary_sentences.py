"""Every summary sentence of every cause, rendered against its facts missing, contradicted
(a setting at its default) and present: a sentence is shown only when its facts say it."""
from __future__ import annotations

import re

import pytest

from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.conditions import holds
from httperr_doctor.engine.templates import render, render_sentence

KB = default_kb()
SENTENCES = [(cause, number) for cause in sorted(KB.causes) for number in range(len(KB.causes[cause].summary))]
# Words that state how something is configured: only a sentence whose `when` tests a fact may say them.
SETTING_CLAIMS = re.compile(r"\b(set (below|above)|below the [\d,]+-byte default|at or above|lowered|raised)\b", re.IGNORECASE)
SAMPLES = {"number": 7, "string": "SamplePool", "bool": True}


def _satisfying(condition) -> object:
    op, operand = condition.operator, condition.operand
    value = {"equals": operand, "in": operand[0] if isinstance(operand, list) else operand, "at_least": operand,
             "at_most": operand, "above": (operand or 0) + 1, "below": (operand or 0) - 1}.get(op)
    if value is None:
        value = SAMPLES[KB.facts[condition.fact].type]
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _breaking(condition) -> object:
    """A value the condition rejects: the other boolean, the far side of a bound."""
    op, operand = condition.operator, condition.operand
    if op == "equals" and isinstance(operand, bool):
        return not operand
    return {"at_least": operand - 1, "above": operand, "at_most": operand + 1, "below": operand,
            "equals": f"not {operand}" if isinstance(operand, str) else -12345}.get(op, None)


def _present(sentence) -> dict:
    facts = {name: SAMPLES[KB.facts[name].type] for name in sentence.facts}
    facts.update({c.fact: _satisfying(c) for c in sentence.when})
    assert all(holds(c, True, facts[c.fact]) for c in sentence.when)
    return facts


@pytest.mark.parametrize(("cause", "number"), SENTENCES, ids=[f"{c}-{n + 1}" for c, n in SENTENCES])
def test_a_sentence_is_shown_only_when_its_facts_say_it(cause, number):
    sentences = KB.causes[cause].summary
    sentence = sentences[number]
    facts = _present(sentence)
    own = render(sentence.text, facts, KB.fact_units)
    assert "{{" not in own and "}}" not in own
    # Present: this sentence, or an earlier one that its facts also support.
    shown = render_sentence(sentences, facts, KB.fact_units)
    earlier = [render(s.text, facts, KB.fact_units) for s in sentences[:number]
               if set(s.facts) <= set(facts) and all(holds(c, True, facts[c.fact]) for c in s.when)]
    assert shown == own or shown in earlier
    # Missing: without any one of its facts, never this sentence.
    for name in sentence.facts:
        less = {k: v for k, v in facts.items() if k != name}
        assert render_sentence(sentences, less, KB.fact_units) != own, name
    # Contradicted (a setting at its default): never this sentence.
    for condition in sentence.when:
        broken = _breaking(condition)
        if broken is not None:
            assert render_sentence(sentences, {**facts, condition.fact: broken}, KB.fact_units) != own, condition.fact
    # A claim about a setting needs a fact tested in `when`.
    if SETTING_CLAIMS.search(sentence.text):
        assert sentence.when, f"{cause} summary {number + 1} states a setting no condition checks"


@pytest.mark.parametrize("cause", sorted(KB.causes))
def test_with_no_facts_the_plain_sentence_is_shown(cause):
    sentences = KB.causes[cause].summary
    assert render_sentence(sentences, {}, KB.fact_units) == sentences[-1].text
