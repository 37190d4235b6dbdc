"""A next step's reason reads as a plain sentence: a question's findings are introduced by
the answer that would give them ("if the answer is no, ..."), evidence's by what it would
show, in a clause ("if it shows that the non-paged pool ran empty"), and a finding that
needs evidence from another step says what ("together with non-paged pool in use")."""
from __future__ import annotations

import re

import pytest

from conftest import EXAMPLES, ROOT
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.needs import collectable
from httperr_doctor.engine.steps_words import answer_words, finding_clause, mid_sentence

KB = default_kb()
QUESTIONS = sorted(KB.questions.values() if isinstance(KB.questions, dict) else KB.questions, key=lambda q: q.id)
# A finite verb: what makes a rule title a clause after "shows that" rather than a heading.
VERB = re.compile(r"\b(is|are|was|were|has|have|holds|grows|rose|ran|reached|stayed|answered|logged|came|comes|"
                  r"crashed|disabled|cannot|could|keep|keeps|grew|sits|stands|hands|ended|closed|timed|rejected|reported|"
                  r"overran|says|sees|found|reports|stopped|shows|sends|get|gets|makes|point|points|enforces|"
                  r"shuts|takes|dropped|recycled|exceeded|hit|did|do|does|stay|stays|set|happened|gather|come)\b")
# Words of the engine's bookkeeping, not of the finding: who answered, how the rule was written.
AWKWARD = re.compile(r"the person|someone|\bif it shows that the answer|: ")
BUNDLES = sorted(p.parent for p in (ROOT / "tests" / "cases").glob("*/expected.yaml")) + [
    EXAMPLES / "connections-refused", EXAMPLES / "connection-dropped"]


def _rules_reading(fact: str):
    return [rule for rule in KB.rules.values()
            if fact in {f for c in rule.when for f in collectable(KB, c.fact, set())}]


def _reads_as_a_clause(words: str) -> bool:
    """The part before any "while ..." has a verb of its own."""
    return bool(VERB.search(re.split(r"\bwhile\b", words)[0]))


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_every_question_s_findings_are_introduced_by_the_answer_in_a_plain_clause(question):
    rules = _rules_reading(question.fact)
    assert rules, f"no rule reads {question.fact}: the question could never be a step"
    for rule in rules:
        clause = finding_clause(KB, rule, [question.fact])
        assert not AWKWARD.search(clause), (rule.id, clause)
        direct = [c for c in rule.when if c.fact == question.fact]
        if direct and all(answer_words(question, c) for c in direct):
            assert clause == "if the answer is " + " and ".join(answer_words(question, c) for c in direct)
        else:
            assert clause.startswith("if the answer shows that ") and _reads_as_a_clause(clause[25:]), (rule.id, clause)


def test_a_yes_no_question_is_answered_yes_or_no_and_a_number_with_its_unit():
    app_errors = next(q for q in QUESTIONS if q.fact == "answer.app_errors_at_drops")
    npp = next(q for q in QUESTIONS if q.fact == "memory.npp_used_mb")
    clauses = {finding_clause(KB, rule, [app_errors.fact]) for rule in _rules_reading(app_errors.fact)}
    assert clauses == {"if the answer is yes", "if the answer is no"}
    floor = KB.rules["NPP_BELOW_HTTPSYS_FLOOR"]
    assert finding_clause(KB, floor, [npp.fact]) == "if the answer shows that free non-paged pool is below the http.sys floor"


def test_every_rule_title_reads_as_a_clause_after_shows_that():
    """Evidence steps say "if it shows that <rule title>": each title must be a clause."""
    headings = [(rule.id, rule.title) for rule in KB.rules.values()
                if not _reads_as_a_clause(mid_sentence(rule.title)) or ": " in rule.title]
    assert headings == []


def test_every_reason_in_the_case_library_is_a_plain_sentence():
    questions = {q.fact for q in QUESTIONS}
    asked = 0
    for bundle in BUNDLES:
        for server in diagnose([str(bundle)]).servers:
            for step in server.next_steps:
                assert re.match(r"^(Tells|Could) [^:]+: if .+\.$", step.why), step.why
                assert not AWKWARD.search(step.why.split(": ", 1)[1]), step.why
                if set(step.facts) <= questions:
                    asked += 1
                    assert "if it shows" not in step.why and "if the answer " in step.why, step.why
                assert not re.search(r"together with steps? \d", step.why), "steps are numbered anew in a fleet"
    assert asked >= 10


def test_on_dropped_connections_the_question_s_reason_says_which_answer_does_what():
    first = diagnose([str(EXAMPLES / "connection-dropped")]).servers[0].next_steps[0]
    assert first.facts == ["answer.app_errors_at_drops"]
    assert ("if the answer is no, an application that never sends its response would be ruled out; "
            "if the answer is yes, an application that never sends its response would go from 30% to ") in first.why
