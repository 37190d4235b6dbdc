"""The wizard's question choice, without a terminal: engine/questioning.py."""
from __future__ import annotations

import pytest

from conftest import EXAMPLES
from httperr_doctor.engine.diagnosis import read_inputs
from httperr_doctor.engine.facts import evidence_facts, with_answers
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.questioning import WORTH_ASKING, Questioner

REFUSED = EXAMPLES / "connections-refused"
DROPPED = EXAMPLES / "connection-dropped"
CASES = EXAMPLES.parent / "tests" / "cases"


@pytest.fixture(scope="module")
def questioner():
    return Questioner(default_kb())


def evidence(*paths, without=()):
    files = read_inputs([str(p) for p in paths])
    return evidence_facts([f.result for f in files if f.result is not None and f.kind not in without], default_kb())


def test_refused_case_without_memory_evidence_asks_about_the_pool_or_the_3gb_switch_first(questioner):
    facts = evidence(REFUSED, without=("poolmon", "perfmon", "bootini"))
    assert "memory.npp_used_mb" not in facts and "boot.switch_3gb" not in facts
    first = questioner.next_question(facts)
    assert first.question.id in ("npp_used", "boot_3gb")
    assert "nonpaged-pool-exhausted" in first.separates or "boot-3gb-switch" in first.separates


def test_refused_case_with_boot_ini_but_no_poolmon_asks_for_the_pool_figure(questioner):
    first = questioner.next_question(evidence(REFUSED, without=("poolmon", "perfmon")))
    assert first.question.id == "npp_used"
    # 128 MB ceiling (x86 2003 with /3GB): the rules' thresholds at 64 and 20 MB free, and at 90% of the
    # ceiling in use, become bands of MB in use.
    assert [o.option.label for o in first.outcomes] == ["under 64 MB", "64 MB to 108 MB", "108 MB to 115 MB", "115 MB to 128 MB"]
    movement = {o.option.label: o.standing.confidences.get("nonpaged-pool-exhausted", 0) for o in first.outcomes}
    assert movement["108 MB to 115 MB"] > 0.9 and movement["115 MB to 128 MB"] > 0.9 and movement["under 64 MB"] == 0


def test_connection_dropped_only_asks_about_load_or_application_errors(questioner):
    facts = evidence(DROPPED / "HTTPERR")
    assert "httperr.reason.Connection_Dropped.count" in facts
    first = questioner.next_question(facts)
    assert first.question.id in ("heavy_load", "app_errors")
    assert {"logging-timeout-under-load", "app-not-sending-response"} & set(first.separates)


def test_a_fact_known_from_evidence_is_never_asked(questioner):
    facts = evidence(REFUSED)
    known = with_answers(facts, {}, default_kb()).values()
    asked = [c.question for c in questioner.candidates(facts)]
    for question in asked:
        assert question.fact not in known
    assert not {"npp_used", "boot_3gb", "os_arch", "os_family"} & {q.id for q in asked}


def test_dont_know_is_unknown_not_no(questioner):
    facts = evidence(DROPPED / "HTTPERR")
    skipped = questioner.candidates(facts, {}, skipped={"heavy_load"})
    assert "heavy_load" not in [c.question.id for c in skipped]
    # "don't know" leaves the cause where it was; "no" would have ruled it out.
    unknown = questioner.standing(with_answers(facts, {}, default_kb()).values())
    said_no = questioner.standing(with_answers(facts, {"answer.heavy_load_at_drops": False}, default_kb()).values())
    assert unknown.confidences.get("logging-timeout-under-load", 0) > 0
    assert "logging-timeout-under-load" in said_no.ruled_out


def test_what_if_shortcut_agrees_with_a_full_rule_run(questioner):
    """The partial re-run of only the touched rules must give exactly the full run's ranking."""
    for facts in (evidence(REFUSED, without=("poolmon", "perfmon", "bootini")), evidence(DROPPED / "HTTPERR"), evidence()):
        for candidate in questioner.candidates(facts):
            for outcome in candidate.outcomes:
                full = questioner.standing(with_answers(facts, {candidate.question.fact: outcome.option.value}, default_kb()).values())
                assert outcome.standing == full, (candidate.question.id, outcome.option)


def test_nothing_left_to_ask_when_every_question_is_answered_or_skipped(questioner):
    skipped = set(default_kb().questions)
    assert questioner.next_question(evidence(), {}, skipped) is None


def test_with_no_evidence_the_questions_alone_can_find_the_pool_exhaustion(questioner):
    answers = {"os.family": "2003", "os.arch": "x86", "boot.switch_3gb": True, "memory.npp_used_mb": 110}
    standing = questioner.standing(with_answers(evidence(), answers, default_kb()).values())
    assert standing.top == "nonpaged-pool-exhausted"


def test_lookahead_caches_give_the_same_next_question_as_a_fresh_start():
    facts = evidence(DROPPED / "HTTPERR")
    warm = Questioner(default_kb())
    first = warm.next_question(facts)
    warm.prefetch(facts, {}, set(), first)
    for outcome in first.outcomes:
        answers = {first.question.fact: outcome.option.value}
        cached, fresh = warm.next_question(facts, answers), Questioner(default_kb()).next_question(facts, answers)
        assert (cached and cached.question.id, cached and cached.score) == (fresh and fresh.question.id, fresh and fresh.score)


def test_with_the_symptom_unknown_the_wizard_does_not_walk_the_whole_knowledge_base(questioner):
    """A person who cannot read the HTTPERR log but knows the server (systeminfo): nothing is in
    the running, so a question earns its place only when one of its answers moves the ranking.
    Before, every question that completed some rule was asked: 25 of them, none of any use."""
    knows = {"os.arch": "x64", "os.family": "2008r2", "os.ram_mb": 8191}
    answers, skipped, asked = {}, {"httperr_top_reason"}, []
    while (candidate := questioner.next_question(evidence(), answers, skipped)) is not None and len(asked) < 30:
        asked.append(candidate)
        if candidate.question.fact in knows:
            answers[candidate.question.fact] = knows[candidate.question.fact]
        else:
            skipped.add(candidate.question.id)
    assert 1 <= len(asked) <= 3, [c.question.id for c in asked]
    assert all(c.score >= WORTH_ASKING for c in asked)


def test_with_the_symptom_unknown_a_pool_question_chain_still_finds_the_3gb_switch(questioner):
    """Questions that only complete rules are still asked once a cause is in the running."""
    knows = {"os.arch": "x86", "os.family": "2003", "boot.switch_3gb": True}
    answers, skipped = {}, {"httperr_top_reason"}
    for _ in range(10):
        candidate = questioner.next_question(evidence(), answers, skipped)
        if candidate is None or questioner.standing(with_answers(evidence(), answers, default_kb()).values()).clear_top:
            break
        if candidate.question.fact in knows:
            answers[candidate.question.fact] = knows[candidate.question.fact]
        else:
            skipped.add(candidate.question.id)
    assert questioner.standing(with_answers(evidence(), answers, default_kb()).values()).clear_top == "boot-3gb-switch"


def test_a_threshold_met_exactly_reads_exactly_not_as_a_band_of_two_equal_numbers(questioner):
    """perf.queue_peak is tested `at_most: 5`, so 5 itself is a band of its own (a value equal to a
    threshold): it was shown as '5 to 5.00', and the next band as '5.00 to 50'."""
    facts = evidence(EXAMPLES / "connection-dropped")
    options = questioner.options(default_kb().questions["queue_peak"], facts, {})
    assert [o.label for o in options] == ["under 5", "exactly 5", "5 to 50", "50 or more"]
    assert [o.value for o in options][:2] == [2.5, 5.0]


def test_on_an_x64_server_the_3gb_switch_is_not_asked(questioner):
    """systeminfo says x64 with 8 GB: the pool ceiling comes from the RAM, and no answer about
    /3GB can move it or anything worked out from it."""
    facts = evidence(CASES / "iplisten-cloned-server")
    assert with_answers(facts, {}, default_kb()).values()["os.arch"] == "x64"
    assert "boot_3gb" not in [c.question.id for c in questioner.candidates(facts)]


def test_after_dont_know_for_the_pool_in_use_the_questions_that_only_lead_to_it_stop(questioner):
    """The aggressive-memory setting only matters beside the free pool, which needs the pool in
    use: once the person cannot give that, the setting is not asked for."""
    facts = evidence(CASES / "iplisten-cloned-server")
    assert "aggressive_memory" in [c.question.id for c in questioner.candidates(facts)]
    assert "aggressive_memory" not in [c.question.id for c in questioner.candidates(facts, {}, {"npp_used"})]
