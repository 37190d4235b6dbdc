"""Both rule engines: durable-rules' quirks hidden, and the same meaning from the reference evaluator."""
from __future__ import annotations

import functools

import pytest

from httperr_doctor.engine.rule_engines import (DURABLE, REFERENCE, FactTypeError, RuleFailed, durable_importable,
                                                new_engine)
from httperr_doctor.kb.schema import Rule

NO_DURABLE = pytest.mark.skipif(not durable_importable(), reason="durable-rules is not installed here")
ENGINES = [pytest.param(DURABLE, marks=NO_DURABLE), REFERENCE]


@pytest.fixture(params=ENGINES)
def make(request):
    return functools.partial(new_engine, engine=request.param)


def rule(rule_id: str, *conditions: dict, cause: str = "c", certainty: float = 0.5) -> Rule:
    return Rule.model_validate({"id": rule_id, "cause": cause, "title": rule_id, "when": list(conditions),
                                "certainty": certainty, "because": "x"})


LOW_POOL = rule("LOW_POOL", {"fact": "npp_free", "below": 20}, {"fact": "refused", "at_least": 1})
NO_POOLMON = rule("NO_POOLMON", {"fact": "refused", "at_least": 1}, {"fact": "poolmon_tag", "absent": True})
TYPES = {"npp_free": "number", "refused": "number", "poolmon_tag": "string"}


def test_two_engines_and_repeated_runs_in_one_process_agree(make):
    first = make([LOW_POOL, NO_POOLMON], TYPES)
    second = make([LOW_POOL, NO_POOLMON], TYPES)
    facts = {"npp_free": 19, "refused": 7}
    runs = [first.run(facts), second.run(facts), first.run(facts), first.run({"npp_free": 50, "refused": 7})]
    assert [sorted(r.fired) for r in runs] == [
        ["LOW_POOL", "NO_POOLMON"], ["LOW_POOL", "NO_POOLMON"], ["LOW_POOL", "NO_POOLMON"], ["NO_POOLMON"],
    ]
    assert [f.facts for f in runs[0].firings] == [("npp_free", "refused"), ("refused", "poolmon_tag")]


def test_a_fact_no_rule_wants_is_reported_not_raised(make):
    result = make([LOW_POOL], TYPES).run({"npp_free": 19, "refused": 7, "host.name": "WEB01"})
    assert result.fired == {"LOW_POOL"}
    assert result.unused_facts == ["host.name"]


def test_unused_facts_are_those_no_pattern_matched_whether_or_not_a_rule_names_them(make):
    """Facts no rule names never reach durable; the answer is what durable itself gave."""
    engine = make([LOW_POOL, NO_POOLMON], {**TYPES, "zzz": "number"})
    result = engine.run({"npp_free": 50, "refused": 7, "host.name": "WEB01", "a.other": 3, "zz.top": True})
    assert result.fired == {"NO_POOLMON"}
    # npp_free is named by LOW_POOL but 50 matches none of its patterns.
    assert result.unused_facts == ["a.other", "host.name", "npp_free", "zz.top"]
    assert result.conditions_held == {("LOW_POOL", 1), ("NO_POOLMON", 0), ("NO_POOLMON", 1)}
    with pytest.raises(FactTypeError, match="zzz"):
        engine.run({"refused": 1, "zzz": "abc"})  # no rule names zzz: its type is still checked


def test_a_failing_rule_raises_with_its_name_and_the_engine_recovers(make):
    def explode(rule_id: str) -> None:
        if rule_id == "LOW_POOL":
            raise ZeroDivisionError("boom")

    engine = make([LOW_POOL, NO_POOLMON], TYPES, on_fire=explode)
    with pytest.raises(RuleFailed) as caught:
        engine.run({"npp_free": 19, "refused": 7})
    assert caught.value.rule_id == "LOW_POOL"
    assert isinstance(caught.value.error, ZeroDivisionError)
    # The next run starts clean: no firings or errors leak from the failed session.
    assert engine.run({"npp_free": 80, "refused": 7}).fired == {"NO_POOLMON"}


def test_absent_does_not_depend_on_assertion_order(make):
    engine = make([NO_POOLMON], TYPES)
    # 'poolmon_tag' sorts after 'refused'; with durable's $not the rule would fire first.
    assert engine.run({"refused": 3, "poolmon_tag": "AvSc"}).fired == set()
    assert engine.run({"refused": 3}).fired == {"NO_POOLMON"}


def test_values_of_the_wrong_type_are_refused_before_durable_compares_them(make):
    with pytest.raises(FactTypeError):
        make([LOW_POOL], TYPES).run({"npp_free": "abc", "refused": 1})
    with pytest.raises(FactTypeError):
        make([LOW_POOL], TYPES).run({"npp_free": True, "refused": 1})  # yes/no is not a number


def test_conditions_held_explain_near_misses(make):
    result = make([LOW_POOL], TYPES).run({"npp_free": 50, "refused": 7})
    assert result.fired == set()
    assert result.conditions_held == {("LOW_POOL", 1)}


def test_operators_compile_and_match(make):
    rules = [
        rule("EQ", {"fact": "s", "equals": "x86"}), rule("NE", {"fact": "s", "not_equals": "x64"}),
        rule("IN", {"fact": "s", "in": ["2003", "x86"]}), rule("GE", {"fact": "n", "at_least": 5}),
        rule("LE", {"fact": "n", "at_most": 5}), rule("GT", {"fact": "n", "above": 5}),
        rule("MT", {"fact": "s", "matches": "x8.*"}), rule("PR", {"fact": "b", "present": True}),
        rule("BT", {"fact": "b", "equals": True}), rule("MT_WHOLE", {"fact": "s", "matches": "x8"}),
        rule("NEN", {"fact": "m", "not_equals": 1}), rule("EQ_FLOAT", {"fact": "n", "equals": 5.0}),
    ]
    fired = make(rules, {"s": "string", "n": "number", "b": "bool", "m": "number"}).run({"s": "x86", "n": 5, "b": True}).fired
    # `matches` is a whole-value match; not_equals never holds for an unknown fact.
    assert fired == {"EQ", "NE", "IN", "GE", "LE", "MT", "PR", "BT", "EQ_FLOAT"}


def test_nan_is_present_but_never_compared(make):
    rules = [rule("PR", {"fact": "n", "present": True}), rule("NE", {"fact": "n", "not_equals": 1}),
             rule("GE", {"fact": "n", "at_least": 5}), rule("LT", {"fact": "n", "below": 5})]
    assert make(rules, {"n": "number"}).run({"n": float("nan")}).fired == {"PR"}


def test_tiny_huge_and_infinite_numbers_compare_as_numbers(make):
    """durable-rules' JSON reader refuses `1e-05` or `1e+16` (no point before the exponent)
    and infinities; the run must not fail and every comparison must still hold."""
    rules = [rule("TINY", {"fact": "n", "below": 0.5}, {"fact": "n", "above": 0}),
             rule("HUGE", {"fact": "n", "at_least": 1000000}), rule("NEG", {"fact": "n", "below": -5})]
    engine = make(rules, {"n": "number"})
    cases = {1e-05: {"TINY"}, 5e-324: {"TINY"}, 1e16: {"HUGE"}, 1e300: {"HUGE"}, float("inf"): {"HUGE"},
             -float("inf"): {"NEG"}, -1e22: {"NEG"}, 0.0: set()}
    assert {value: engine.run({"n": value}).fired for value in cases} == cases


def test_two_conditions_on_one_fact_both_apply_to_the_same_value(make):
    band = rule("BAND", {"fact": "n", "at_least": 1}, {"fact": "n", "at_most": 3})
    engine = make([band], {"n": "number"})
    assert [sorted(engine.run({"n": v}).fired) for v in (0, 1, 3, 4)] == [[], ["BAND"], ["BAND"], []]


def test_no_rules_means_every_fact_is_unused(make):
    assert make([], TYPES).run({"refused": 1, "a": "b"}).unused_facts == ["a", "refused"]


def _resident_mb() -> float:
    import os

    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2


def test_runs_leave_nothing_behind_in_the_engine(make):
    """Every run reuses one durable session: no fact or firing from one run reaches the next,
    and memory stays flat (a new session per run kept ~5 MB each in the C engine, so a
    wizard's look-ahead or a long fuzz run grew to gigabytes)."""
    import os

    from httperr_doctor.engine.knowledge import default_kb

    kb = default_kb()
    engine = make(kb.rules.values(), kb.fact_types)
    cases = [case.facts for cases in kb.cases.values() for case in cases.cases][:60]
    first = [(sorted(engine.run(f).fired), sorted(engine.run(f).conditions_held)) for f in cases]
    second = [(sorted(engine.run(f).fired), sorted(engine.run(f).conditions_held)) for f in reversed(cases)]
    assert second[::-1] == first
    if not os.path.exists("/proc/self/statm"):
        return
    before = _resident_mb()
    for _ in range(3):
        for facts in cases:
            engine.run(facts)
    assert _resident_mb() - before < 60, f"{_resident_mb() - before:.0f} MB more after {3 * len(cases)} runs"


def test_the_engine_can_be_forced_and_a_bad_choice_is_named(monkeypatch):
    from httperr_doctor.engine.rule_engines import ENGINE_ENV, EngineUnavailable, engine_name

    monkeypatch.setenv(ENGINE_ENV, "reference")
    assert engine_name() == REFERENCE
    monkeypatch.setenv(ENGINE_ENV, "auto")
    assert engine_name() == (DURABLE if durable_importable() else REFERENCE)
    monkeypatch.setenv(ENGINE_ENV, "drools")
    with pytest.raises(EngineUnavailable, match="drools"):
        engine_name()
