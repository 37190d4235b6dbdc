"""Differential tests: durable-rules and the pure-Python reference evaluator agree.

The whole case library (full reports), every rule's twin cases and random fact sets
over the KB's own facts give the same firings, conditions held, unused facts,
certainties and rankings under both engines. Without durable-rules (Windows,
Python 3.13+) these are skipped; the rest of the suite then runs on the reference
engine alone.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import find, given, settings, strategies as st

from httperr_doctor.engine.diagnosis import diagnose_files, read_inputs
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.ranking import rank
from httperr_doctor.engine.rule_engines import DURABLE, REFERENCE, durable_importable, force_engine, new_engine

sys.path.insert(0, str(Path(__file__).resolve().parent / "cases"))
import accuracy  # noqa: E402

pytestmark = pytest.mark.skipif(not durable_importable(), reason="durable-rules is not installed here: nothing to compare")

KB = default_kb()
ENGINES = {name: new_engine(KB.rules.values(), KB.fact_types, engine=name) for name in (DURABLE, REFERENCE)} \
    if durable_importable() else {}
BUNDLES = accuracy.bundles()
CASES = [(rule_id, case) for rule_id, cases in sorted(KB.cases.items()) for case in cases.cases]


@contextmanager
def engine(name: str):
    force_engine(name)
    try:
        yield
    finally:
        force_engine(None)


def both(facts: dict) -> tuple[tuple, tuple]:
    """Everything each engine decides about these facts, and the ranking built on it."""
    results = []
    for name in (DURABLE, REFERENCE):
        result = ENGINES[name].run(facts)
        ranking = rank(KB, result)
        results.append((
            [(f.rule_id, f.facts) for f in result.firings], sorted(result.conditions_held), result.unused_facts,
            [(s.cause, round(s.certainty, 12), [r.id for r in s.supporting], [r.id for r in s.opposing]) for s in ranking.ranked],
            [s.cause for s in ranking.ruled_out], ranking.unevaluated,
        ))
    return results[0], results[1]


def without_engine(report) -> dict:
    data = report.model_dump(mode="json")
    assert data["tool"].pop("engine") in (DURABLE, REFERENCE)
    return data


@pytest.mark.parametrize("folder", BUNDLES, ids=[b.name for b in BUNDLES])
def test_a_case_bundle_gives_the_same_report_on_both_engines(folder):
    import yaml

    answers = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8")).get("answers")
    files = read_inputs([str(p) for p in sorted(folder.iterdir()) if p.name != "expected.yaml"], workers=1)
    reports = {}
    for name in (DURABLE, REFERENCE):
        with engine(name):
            reports[name] = diagnose_files(files, answers)
        assert reports[name].tool.engine == name
    assert reports[DURABLE].causes, "a case bundle with no cause compares nothing"
    assert without_engine(reports[REFERENCE]) == without_engine(reports[DURABLE])


@pytest.mark.parametrize("rule_id,case", CASES, ids=[f"{r}:{c.name}" for r, c in CASES])
def test_a_twin_case_gives_the_same_firings_and_ranking_on_both_engines(rule_id, case):
    on_durable, on_reference = both(case.facts)
    assert on_reference == on_durable
    assert (rule_id in [r for r, _ in on_reference[0]]) == case.fires


# -- random fact sets over the KB's facts --------------------------------------------------
def _operands(kind: str) -> list:
    found = []
    for rule in KB.rules.values():
        for condition in rule.when:
            if KB.fact_types.get(condition.fact) != kind or condition.operator in ("present", "absent"):
                continue
            found += condition.operand if condition.operator == "in" else [condition.operand]
    return sorted(set(found), key=repr)


THRESHOLDS = _operands("number")
# Values at, just below and just above every threshold the KB tests, and any others: tiny and
# huge floats (which durable-rules' JSON reader once refused), infinities and NaN included.
NUMBERS = st.one_of(
    st.sampled_from(THRESHOLDS).flatmap(lambda t: st.sampled_from([t, t - 1, t + 1, t - 0.5, t + 0.001, int(t)])),
    st.integers(-10**6, 10**9),
    st.floats(-1e9, 1e9),
    st.floats(),
    st.sampled_from([1e-05, 1e16, 5e-324, float("inf"), float("nan")]),
)
WORDS = _operands("string")
STRINGS = st.one_of(st.sampled_from(WORDS or [""]), st.text(max_size=12).filter(lambda s: s.isprintable()),
                    st.sampled_from(WORDS or [""]).map(str.lower))
VALUES = {"number": NUMBERS, "bool": st.booleans(), "string": STRINGS}
REFERENCED = sorted({c.fact for rule in KB.rules.values() for c in rule.when})


@st.composite
def fact_sets(draw) -> dict:
    """A twin case's facts (or none) with some dropped, plus facts the rules name with values of their
    declared type near the KB's thresholds, and a few facts no rule names."""
    base = dict(draw(st.sampled_from([{}] + [case.facts for _, case in CASES])))
    for name in draw(st.lists(st.sampled_from(sorted(base)), unique=True)) if base else []:
        del base[name]
    names = draw(st.lists(st.sampled_from(REFERENCED), max_size=30, unique=True))
    others = draw(st.lists(st.sampled_from(sorted(set(KB.fact_types) - set(REFERENCED)) or ["x"]), max_size=3, unique=True))
    base.update({name: draw(VALUES[KB.fact_types.get(name, "number")]) for name in names + others})
    return base


@given(fact_sets())
def test_random_fact_sets_give_the_same_firings_certainties_and_ranking(facts):
    on_durable, on_reference = both(facts)
    assert on_reference == on_durable


def test_the_random_fact_sets_fire_several_rules_at_once():
    """The property above is not vacuous: its fact sets fire several rules at once."""
    assert THRESHOLDS and WORDS
    find(fact_sets(), lambda facts: len(both(facts)[1][0]) >= 3, settings=settings(max_examples=300, database=None))
