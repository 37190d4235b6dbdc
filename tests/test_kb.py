"""The knowledge base: every rule's twin cases, the lint, and a loader that refuses bad files."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import EXAMPLES, run_cli
from httperr_doctor.engine.knowledge import KB_DIR, KBError, default_kb, load_kb
from httperr_doctor.engine.lint import lint
from httperr_doctor.engine.rule_engines import new_engine

KB = default_kb()
CASES = [(rule_id, case) for rule_id, cases in sorted(KB.cases.items()) for case in cases.cases]
ENGINE = new_engine(KB.rules.values(), KB.fact_types)


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


def test_a_key_given_twice_is_named_not_silently_replaced(kb_copy):
    references = kb_copy / "references.yaml"
    lines = references.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("R1:"))
    lines.insert(at + 1, '  R1: {title: "a second R1 that YAML would keep in place of the first"}')
    references.write_text("\n".join(lines) + "\n")
    with pytest.raises(KBError) as caught:
        load_kb(kb_copy)
    assert [str(p) for p in caught.value.problems] == [
        f"kb/references.yaml:{at + 2}: key 'R1' is given twice in this mapping (first on line {at + 1}): the later one would replace it"]


def test_a_diagnosis_on_an_invalid_kb_names_each_problem_and_exits_4(kb_copy, monkeypatch, capsys):
    """Whoever edited the KB gets file, line and key, as `kb lint` gives them, not an internal error."""
    from httperr_doctor.engine import diagnosis

    rule = kb_copy / "rules" / "noise" / "ONLY_IDLE_TIMEOUTS.yaml"
    lines = rule.read_text().splitlines()
    first = next(n for n, line in enumerate(lines, 1) if line.startswith("certainty:"))
    rule.write_text("\n".join(lines + ["certainty: 0.5"]) + "\n")
    monkeypatch.setattr(diagnosis, "default_kb", lambda: load_kb(kb_copy))
    code, out = run_cli("diagnose", str(EXAMPLES / "connections-refused"))
    assert (code, out) == (4, "")
    assert capsys.readouterr().err.splitlines() == [
        "httperr-doctor: the knowledge base is invalid:",
        f"  kb/rules/noise/ONLY_IDLE_TIMEOUTS.yaml:{len(lines) + 1}: key 'certainty' is given twice in this mapping "
        f"(first on line {first}): the later one would replace it"]


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


def test_yaml_bombs_tags_and_deep_nesting_are_refused_with_every_problem_listed(kb_copy):
    """Nothing in a KB file can run code or exhaust the machine; each problem is named with its line."""
    laughs = "\n".join(["id: lol", "fact: lol", "text: x", "kind: yesno", 'a0: &a0 ["lol", "lol", "lol"]']
                       + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 25)])
    (kb_copy / "questions" / "lol.yaml").write_text(laughs + "\n")
    (kb_copy / "questions" / "deep.yaml").write_text("id: " + "[" * 25 + "\n")
    (kb_copy / "questions" / "abyss.yaml").write_text("id: " + "[" * 100_000 + "\n")
    (kb_copy / "questions" / "tagged.yaml").write_text(
        "id: tagged\nfact: !!python/object/new:subprocess.Popen [['touch', 'pwned']]\ntext: !custom x\nkind: yesno\n")
    (kb_copy / "questions" / "huge.yaml").write_text("id: huge\ntext: " + "x" * 2_000_000 + "\n")
    with pytest.raises(KBError) as caught:
        load_kb(kb_copy)
    text = [str(p) for p in caught.value.problems]
    assert "kb/questions/lol.yaml:5: YAML anchors (&a0) are not allowed in KB files" in text
    assert sum("lol.yaml" in p for p in text) == 20  # capped, not one per alias
    assert any("deep.yaml:1: nested more than 20 levels deep" in p for p in text)
    # PyYAML refuses 100,000 levels itself, in words of its own version: refused at line 1, no crash.
    assert any(p.startswith("kb/questions/abyss.yaml:1:") for p in text)
    assert any("tagged.yaml:2: YAML tags (!!python/object/new:subprocess.Popen)" in p for p in text)
    assert any("tagged.yaml:3: YAML tags (!custom)" in p for p in text)
    assert any("huge.yaml: file is over 1,048,576 bytes" in p for p in text)
    assert not Path("pwned").exists()


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__ }}", "{{ 7*7 }}", "{% import os %}", "{{ memory.npp_free_mb | e }}",
    "{{ memory.npp_free_mb", "{# note #}",
])
def test_templates_are_plain_placeholders_only(kb_copy, template):
    rule = kb_copy / "rules" / "limits" / "CONNLIMIT_LOGGED.yaml"
    text = rule.read_text()
    rule.write_text(text.replace("because: ", f"because: \"{template} \" # ", 1))
    cause = kb_copy / "causes" / "slow-clients.yaml"
    cause.write_text(cause.read_text().replace("summary:", f"summary:\n  - \"{template}\"", 1))
    with pytest.raises(KBError) as caught:
        load_kb(kb_copy)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 2
    assert any("CONNLIMIT_LOGGED.yaml:" in p and "because" in p and "only {{ fact.name }} placeholders" in p for p in problems)
    assert any("slow-clients.yaml:" in p and "summary" in p for p in problems)


def test_malformed_rule_files_are_listed_not_raised(kb_copy):
    rules = kb_copy / "rules" / "limits"
    (rules / "LIST.yaml").write_text("- id: LIST\n- cause: x\n")
    (rules / "BINARY.yaml").write_bytes(b"\x00\xff\xfe\x80 id: BINARY\n")
    (rules / "UTF16.yaml").write_bytes("id: UTF16\n".encode("utf-16"))
    (rules / "EMPTY.yaml").write_text("")
    (rules / "TABS.yaml").write_text("id: TABS\n\twhen: []\n")
    with pytest.raises(KBError) as caught:
        load_kb(kb_copy)
    problems = "\n".join(str(p) for p in caught.value.problems)
    for name in ("LIST", "BINARY", "UTF16", "TABS"):
        assert f"{name}.yaml" in problems, name


def test_every_reason_phrase_reaches_a_rule_and_its_causes(cli):
    from httperr_doctor.engine.lint import phrase_usage

    usage = phrase_usage(KB)
    assert set(usage) == set(KB.phrases) and len(usage) >= 42
    for phrase, uses in usage.items():
        assert uses, f"{phrase} is used by no rule"
        assert set(KB.phrases[phrase].causes) <= {KB.rules[r].cause for r, _ in uses}, phrase
    code, text = cli("kb", "coverage")
    assert code == 0
    assert "42 of 42 reason phrases are used by at least one rule" in text or text.rstrip().endswith("reason phrases are used by at least one rule")
    assert "Timer_HeaderWait  (timer, status -)" in text and "HEADERWAIT_BURST [slow-header-attack]" in text
    assert "NotFound  (parse, status 404, benign, undocumented)" in text


def test_every_cause_has_evidence_for_and_against_and_a_full_runbook():
    for cause in KB.causes.values():
        certainties = [r.certainty for r in KB.rules_for(cause.id)]
        assert any(c > 0 for c in certainties) and any(c < 0 for c in certainties), cause.id
        assert cause.remediation and cause.verify and cause.references and cause.escalation, cause.id


def test_lint_finds_failing_cases_unreachable_facts_and_contradictions(kb_copy):
    cases = kb_copy / "rules" / "limits" / "CONNLIMIT_LOGGED.cases.yaml"
    cases.write_text(cases.read_text().replace("httperr.reason.ConnLimit.count: 2", "httperr.reason.ConnLimit.count: 0"))
    facts = kb_copy / "facts.yaml"
    facts.write_text(facts.read_text() + "  orphan.fact: {type: bool, description: nobody provides this}\n")
    rule = kb_copy / "rules" / "noise" / "ONLY_IDLE_TIMEOUTS.yaml"
    rule.write_text(rule.read_text().replace(
        "- {fact: httperr.non_benign_lines, equals: 0}",
        "- {fact: httperr.non_benign_lines, equals: 0}\n- {fact: orphan.fact, equals: 'yes'}"))
    problems = [str(p) for p in lint(load_kb(kb_copy))]
    assert any(p.startswith("kb/rules/limits/CONNLIMIT_LOGGED.cases.yaml:2: case 'ConnLimit'") and "did not fire" in p for p in problems)
    assert any("ONLY_IDLE_TIMEOUTS is unreachable" in p and "orphan.fact" in p for p in problems)
    assert any("ONLY_IDLE_TIMEOUTS can never fire: orphan.fact is a yes/no fact" in p for p in problems)


def test_lint_finds_questions_without_how_and_phrases_without_rules(kb_copy):
    question = kb_copy / "questions" / "ram.yaml"
    question.write_text("id: ram\nfact: os.ram_mb\nkind: number\ntext: RAM?\n")
    phrases = kb_copy / "reason_phrases.yaml"
    phrases.write_text(phrases.read_text() + "\n  Made_Up:\n    status: '-'\n    family: other\n    benign: false\n"
                       "    meaning: m\n    usual_cause: u\n    check: c\n    causes: [httpsys-internal-error]\n    references: [R1]\n")
    problems = [str(p) for p in lint(load_kb(kb_copy), run_cases=False)]
    assert "kb/questions/ram.yaml:1: question ram does not say how to find the answer (`how`)" in problems
    assert any("reason phrase Made_Up is used by no rule" in p for p in problems)


def test_a_silent_case_that_sets_none_of_its_rules_facts_is_an_error(kb_copy):
    cases = kb_copy / "rules" / "app_pool" / "APPOFFLINE_LOGGED.cases.yaml"
    cases.write_text(cases.read_text().replace("{httperr.reason.AppOffline.count: 0, httperr.reason.QueueFull.count: 3}",
                                               "{httperr.reason.QueueFull.count: 3}"))
    problems = lint(load_kb(kb_copy), run_cases=False)
    found = [p for p in problems if "must stay silent but sets none of the facts rule APPOFFLINE_LOGGED tests" in p.message]
    assert [(p.path, p.line, p.severity) for p in found] == [("kb/rules/app_pool/APPOFFLINE_LOGGED.cases.yaml", 5, "error")]


def test_a_warning_is_shown_but_does_not_fail_the_lint(kb_copy, monkeypatch, cli):
    from httperr_doctor.engine import knowledge

    question = kb_copy / "questions" / "unused.yaml"
    question.write_text("id: unused\nfact: host.name\nkind: choice\ntext: Which server?\nhow: Read Host Name in systeminfo.\n"
                        "choices: [{value: WEB01, label: WEB01}, {value: WEB02, label: WEB02}]\n")
    monkeypatch.setattr(knowledge.load_kb, "__defaults__", (kb_copy,))
    code, text = cli("kb", "lint")
    assert "kb/questions/unused.yaml:1: warning: question unused asks for host.name, which no rule uses" in text
    assert code == 0 and "0 problems, 1 warning" in text


def test_every_validator_has_a_unique_name_and_a_severity():
    from httperr_doctor.engine.lint import ERROR, VALIDATORS, WARNING

    names = [v.name for v in VALIDATORS]
    assert len(names) == len(set(names)) and all(v.severity in (ERROR, WARNING) for v in VALIDATORS)


def test_lint_finds_a_summary_stating_a_fact_no_rule_tests(kb_copy):
    cause = kb_copy / "causes" / "app-pool-stopped.yaml"
    cause.write_text(cause.read_text().replace("    optional: [httperr.reason.Disabled.queues]\n", ""))
    problems = [str(p) for p in lint(load_kb(kb_copy), run_cases=False)]
    assert any("summary 1 uses httperr.reason.Disabled.queues, which no rule for the cause tests" in p for p in problems)
