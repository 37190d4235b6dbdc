"""Next steps: only evidence that is missing, ranked by how well it would separate the
leading causes, one step per command, each with its command and its reason in words."""
from __future__ import annotations

import re
import shutil
from collections import defaultdict

import pytest

from conftest import EXAMPLES, ROOT
from httperr_doctor.engine.assessment import engine_for
from httperr_doctor.engine.diagnosis import diagnose, read_inputs
from httperr_doctor.engine.facts import evidence_facts
from httperr_doctor.engine.facts.catalogue import sources_setting
from httperr_doctor.engine.facts.combine import SOURCES
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.nextsteps import WORTH_COLLECTING, open_steps, weigh
from httperr_doctor.engine.render import html, markdown, text
from httperr_doctor.engine.ranking import rank
from httperr_doctor.engine.rule_engines import Firing, InferenceResult
from httperr_doctor.engine.standing import standing_after, standing_of

KB = default_kb()
REFUSED, DROPPED = EXAMPLES / "connections-refused", EXAMPLES / "connection-dropped"
BUNDLES = sorted(p.parent for p in (ROOT / "tests" / "cases").glob("*/expected.yaml")) + [REFUSED, DROPPED]


def _without(tmp_path, example, *names):
    target = tmp_path / example.name
    shutil.copytree(example, target)
    for name in names:
        (target / name).unlink()
    return target


def test_without_poolmon_the_poolmon_snapshots_come_first_and_tell_the_leak_from_plain_exhaustion(tmp_path):
    server = diagnose([str(_without(tmp_path, REFUSED, "poolmon-b.txt"))]).servers[0]
    assert {"nonpaged-pool-exhausted", "pool-leak-driver"} <= {c.id for c in server.causes[:3]}
    first = server.next_steps[0]
    assert {"poolmon.top_npp_tag", "poolmon.growth_tag"} <= set(first.facts), "one command, one step"
    assert set(first.tells_apart[:2]) == {"pool-leak-driver", "nonpaged-pool-exhausted"}
    assert first.why.startswith("Tells a leaking driver apart from plain non-paged pool exhaustion: if it shows that ")
    assert "a leaking driver would go from 60% to" in first.why
    assert "`poolmon /b /n poolsnap-1.log`" in first.how
    assert {n.fact for n in server.needs if n.step == 1} == set(first.facts)


def test_on_dropped_connections_asking_about_application_errors_comes_first():
    server = diagnose([str(DROPPED)]).servers[0]
    assert [c.id for c in server.causes[:2]] == ["logging-timeout-under-load", "app-not-sending-response"]
    first = server.next_steps[0]
    assert first.facts == ["answer.app_errors_at_drops"]
    assert first.tells_apart[:2] == ["app-not-sending-response", "logging-timeout-under-load"]
    assert first.why.startswith("Tells an application that never sends its response apart from "
                                "responses reaching http.sys too late under load")
    assert "an application that never sends its response would be ruled out" in first.why
    separations = [s.separation for s in server.next_steps]
    assert separations == sorted(separations, reverse=True) and separations[-1] >= WORTH_COLLECTING


def test_a_step_that_cannot_move_the_leading_causes_is_not_listed():
    files = read_inputs([str(REFUSED)])
    facts = evidence_facts([f.result for f in files if f.result is not None], KB)
    inference = engine_for(KB).run(facts.values())
    # Every open step, ruled-out causes included, to show the measure is what leaves them out.
    steps = open_steps(KB, inference, facts)
    weigh(steps, rank(KB, inference, facts.values()), facts.values())
    # The idle timeout speaks only to background noise, ESTABLISHED connections only to a cause ruled out.
    idle = next(s for s in steps if "netsh.idle_timeout_s" in s.facts)
    established = next(s for s in steps if "netstat.established" in s.facts)
    assert idle.findings and established.findings
    assert idle.value < WORTH_COLLECTING and established.value < WORTH_COLLECTING
    listed = {fact for step in diagnose([str(REFUSED)]).servers[0].next_steps for fact in step.facts}
    assert listed and not listed & {"netsh.idle_timeout_s", "netstat.established", "answer.many_connections_expected"}


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.name)
def test_each_finding_is_weighed_as_a_whole_new_rule_run_would_weigh_it(bundle):
    """`standing_after` scores only the new rule's cause again: the same standing as ranking
    every firing over, for every rule still in play (ruled-out causes' rules included)."""
    facts = evidence_facts([f.result for f in read_inputs([str(bundle)]) if f.result is not None], KB)
    inference = engine_for(KB).run(facts.values())
    ranking = rank(KB, inference, facts.values())
    rules = [finding.rule for step in open_steps(KB, inference, facts) for finding in step.findings]
    assert rules
    for rule in rules:
        again = InferenceResult(firings=[*inference.firings, Firing(rule.id, tuple(c.fact for c in rule.when))])
        assert standing_after(ranking, rule, facts.values()) == standing_of(again, KB, facts.values()), rule.id


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.name)
def test_a_full_bundle_is_asked_for_nothing_it_supplied(bundle):
    report = diagnose([str(bundle)])
    given = {i.kind for i in report.inputs}
    kinds = {source.name: set(source.kinds) for source in SOURCES}
    setting = sources_setting(KB)
    for server in report.servers:
        for step in server.next_steps:
            for fact in step.facts:
                assert fact not in server.facts
                assert not kinds.get(setting.get(fact), set()) & given, f"{fact} comes from a file given"
            assert step.separation >= WORTH_COLLECTING and step.why and step.how
        numbers = {n.step for n in server.needs}
        assert numbers == {s.number for s in server.next_steps}


def test_every_collection_text_names_one_command_per_file_and_the_guide_has_it():
    """Facts one file gives share one collection text (so they are one step), and every command
    in it is the guide's, word for word."""
    guide = (ROOT / "docs" / "COLLECTING.md").read_text(encoding="utf-8")
    setting = sources_setting(KB)
    texts = defaultdict(set)
    for name, spec in KB.facts.items():
        if spec.how and name in setting:
            texts[setting[name]].add(spec.how)
            for command in re.findall(r"`([^`]+)`", spec.how):
                assert command in guide, f"{name}: `{command}` is not in docs/COLLECTING.md"
    assert len(texts) >= 8
    for source, found in texts.items():
        assert len(found) <= (2 if source == "eventlog" else 1), f"{source}: {sorted(found)}"


def test_every_cause_has_a_short_name_for_running_text():
    for cause in KB.causes.values():
        assert cause.short and cause.short[0].islower() and not cause.short.endswith("."), cause.id


def test_a_fleet_merges_the_servers_steps_by_command(tmp_path):
    report = diagnose([str(REFUSED), str(DROPPED)])
    assert len(report.servers) == 2
    hows = [s.how for s in report.next_steps]
    assert len(hows) == len(set(hows)) and [s.number for s in report.next_steps] == list(range(1, len(hows) + 1))
    for server in report.servers:
        for step in server.next_steps:
            merged = next(s for s in report.next_steps if s.how == step.how)
            assert merged.separation >= step.separation


@pytest.mark.parametrize("render", [text.render_text, markdown.render_markdown, html.render_html])
def test_every_form_shows_each_step_with_why_and_how(render):
    report = diagnose([str(DROPPED)])
    shown = render(report)
    assert "Next steps" in shown and "would speak to" not in shown
    first = report.next_steps[0]
    for words in (first.asks[0][:40], "never sends its response apart from", "Event Viewer"):
        assert words in shown


def test_the_aggressive_memory_setting_is_not_asked_for_as_if_it_could_show_the_pool_below_the_floor(tmp_path):
    """Whether free pool is below the http.sys floor is worked out from the pool in use
    whatever EnableAggressiveMemoryUsage says (unset, the floor is 20 MB): the registry value
    alone can never show it, and the pool figure needs nothing beside it."""
    server = diagnose([str(_without(tmp_path, REFUSED, "poolmon-b.txt", "npp-typeperf.csv"))]).servers[0]
    pool_step = next(s for s in server.next_steps if "memory.npp_used_mb" in s.facts)
    assert "below the http.sys floor" in pool_step.why and "EnableAggressiveMemoryUsage" not in pool_step.why
    for step in server.next_steps:
        assert "httpsys.aggressive_memory_usage" not in step.facts, step.why
    assert KB.facts["memory.npp_below_floor"].derived_from == ["memory.npp_free_mb", "memory.npp_floor_mb"]
    assert "httpsys.aggressive_memory_usage" in KB.facts["memory.npp_floor_mb"].derived_from
