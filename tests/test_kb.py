"""The knowledge base: every rule's twin cases, the lint, and a loader that refuses bad files."""
from __future__ import annotations

import shutil

import pytest

from httperr_doctor.engine.inference import RuleEngine
from httperr_doctor.engine.knowledge import KB_DIR, KBError, default_kb, load_kb
from httperr_doctor.engine.lint import lint

KB = default_kb()
CASES = [(rule_id, case) for rule_id, cases in sorted(KB.cases.items()) for case in cases.cases]
ENGINE = RuleEngine(KB.rules.values(), {n: s.type for n, s in KB.facts.items()})


@pytest.mark.parametrize("rule_id,case", CASES, ids=[f"{r}:{c.name}" for r, c in CASES])
def test_rule_case(rule_id, case):
    fired = rule_id in ENGINE.run(case.facts).fired
    assert fired == case.fires, f"{rule_id} {'did not fire' if case.fires else 'fired'} for case {case.name!r}"


def test_kb_lint_is_clean():
    assert [str(p) for p in lint(KB)] == []


def test_every_named_cause_id_exists():
    public = {
        "nonpaged-pool-exhausted", "pool-leak-driver", "boot-3gb-switch", "logging-timeout-under-load",
        "app-not-sending-response", "app-pool-rapid-fail", "request-queue-full", "worker-process-failure",
        "site-connection-limit", "slow-clients", "idle-connections-benign", "malformed-requests",
    }
    assert public <= KB.causes.keys()


@pytest.fixture
def kb_copy(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(KB_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def test_loader_lists_every_bad_file_with_its_line(kb_copy):
    rule = kb_copy / "rules" / "noise" / "ONLY_IDLE_TIMEOUTS.yaml"
    rule.write_text(rule.read_text().replace("certainty: 0.8", "certainty: 1.8"))
    cause = kb_copy / "causes" / "slow-clients.yaml"
    cause.write_text(cause.read_text().replace("category: client", "category: client\nseverity: high"))
    (kb_copy / "questions" / "broken.yaml").write_text("id: broken\nfact: [unclosed\n")
    with pytest.raises(KBError) as caught:
        load_kb(kb_copy)
    text = str(caught.value)
    assert "ONLY_IDLE_TIMEOUTS.yaml:" in text and "certainty" in text
    assert "slow-clients.yaml:4: severity: Extra inputs are not permitted" in text
    assert "broken.yaml:" in text and "not valid YAML" in text
    assert len(caught.value.problems) == 3


def test_yaml_tags_cannot_build_objects(kb_copy):
    (kb_copy / "questions" / "evil.yaml").write_text("id: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(KBError, match="evil.yaml"):
        load_kb(kb_copy)


def test_a_condition_needs_exactly_one_operator(kb_copy):
    rule = kb_copy / "rules" / "limits" / "CONNLIMIT_LOGGED.yaml"
    rule.write_text(rule.read_text().replace("at_least: 1}", "at_least: 1, below: 3}"))
    with pytest.raises(KBError, match="exactly one of"):
        load_kb(kb_copy)


def test_lint_finds_unknown_facts_and_impossible_conditions(kb_copy):
    rule = kb_copy / "rules" / "limits" / "CONNLIMIT_LOGGED.yaml"
    rule.write_text(rule.read_text().replace(
        "- {fact: httperr.reason.ConnLimit.count, at_least: 1}",
        "- {fact: httperr.reason.ConnLimit.count, at_least: 5}\n- {fact: httperr.reason.ConnLimit.count, below: 3}\n- {fact: no.such.fact, present: true}"))
    problems = [str(p) for p in lint(load_kb(kb_copy))]
    assert any("CONNLIMIT_LOGGED.yaml:1: rule CONNLIMIT_LOGGED uses unknown fact 'no.such.fact'" in p for p in problems)
    assert any("can never fire" in p for p in problems)
