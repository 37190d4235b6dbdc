"""A next step must be able to change how the causes the evidence supports stand, and must
not ask for what a file given already settles: the library's own bundles, as a help desk
would read their reports."""
from __future__ import annotations

import shutil

import pytest

from conftest import ROOT
from httperr_doctor.engine.diagnosis import diagnose, read_inputs
from httperr_doctor.engine.facts import evidence_facts, with_answers
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.needs import settled_by_evidence
from httperr_doctor.engine.questioning import Questioner

KB = default_kb()
CASES = ROOT / "tests" / "cases"
BUNDLES = sorted(p.parent for p in CASES.glob("*/expected.yaml"))
RAPID_FAIL = ["rapid-fail-crashes", "story-rapid-fail-generic-503", "wsus-private-bytes-rapid-fail"]


def server_of(bundle) -> object:
    return diagnose([str(bundle)]).servers[0]


def facts_of(bundle):
    return with_answers(evidence_facts([f.result for f in read_inputs([str(bundle)]) if f.result is not None], KB), {}, KB)


def test_400_hostname_is_not_told_to_collect_the_system_log_for_a_pool_that_cannot_start():
    """Every HTTPERR line is 400 Hostname (a client sending a whole URL as its Host header);
    a pool whose identity cannot log on answers 503, so WAS 5021 could not explain them."""
    server = server_of(CASES / "story-host-header-slashes")
    assert server.causes[0].id == "malformed-requests" and server.facts["httperr.top_reason"] == "Hostname"
    asked = {fact for step in server.next_steps for fact in step.facts}
    apart = {cause for step in server.next_steps for cause in step.tells_apart}
    assert not {f for f in asked if f.startswith("event.")}, asked
    assert "app-pool-cannot-start" not in apart and "ip-listen-list-excludes-site" not in apart


def test_dropped_connections_are_not_told_to_read_the_boot_switches_or_the_pool():
    """Connection_Dropped and nothing else: the kernel's non-paged pool makes http.sys refuse
    connections, not drop them, so the OS, RAM, /3GB and Task Manager steps cannot help."""
    server = server_of(CASES / "dropped-answers-peak")
    asked = {fact for step in server.next_steps for fact in step.facts}
    assert server.next_steps, "the steps about the drops stay"
    assert not asked & {"os.arch", "os.family", "os.ram_mb", "boot.switch_3gb", "memory.npp_used_mb",
                        "event.was_identity_invalid.count"}, asked


def test_refused_connections_still_get_the_steps_about_what_eats_the_pool():
    """The 2005 Connections_Refused log: a leaking driver and /3GB are what refusals come from."""
    server = server_of(CASES / "real-refused-2005")
    asked = {fact for step in server.next_steps for fact in step.facts}
    assert {"poolmon.top_npp_tag", "boot.switch_3gb"} <= asked
    assert not {f for f in asked if f.startswith("iplisten.")}


@pytest.mark.parametrize("case", RAPID_FAIL)
def test_a_pool_rapid_fail_disabled_is_not_asked_whether_a_person_stopped_it(case):
    """WAS 5002 in the System log given: rapid-fail protection stopped the pool, as the
    question's own help says ('a WAS 5002 event at that time means ... answer No')."""
    server = server_of(CASES / case)
    assert server.facts["event.was_rapid_fail.count"] >= 1
    asked = {fact for step in server.next_steps for fact in step.facts} | {n.fact for n in server.needs}
    assert "answer.pool_stopped_by_admin" not in asked
    assert "config.rapid_fail_protection" not in asked
    values = facts_of(CASES / case).values()
    assert "answer.pool_stopped_by_admin" not in {q.fact for q in Questioner(KB).askable(values)}


def test_a_system_log_without_5002_leaves_the_question_open(tmp_path):
    """The same bundle with its System log ending before WAS 5002: five crashes, no event
    saying protection stopped the pool, so whether a person did is still a question."""
    bundle = tmp_path / "rapid-fail-crashes"
    shutil.copytree(CASES / "rapid-fail-crashes", bundle)
    events = bundle / "system-events.txt"
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    events.write_text("".join(lines[:lines.index("Event ID:      5002\n") - 3]), encoding="utf-8")
    facts = facts_of(bundle)
    assert facts["event.was_rapid_fail.count"].value == 0 and facts["event.was_crash.count"].value == 5
    assert not settled_by_evidence(KB, "answer.pool_stopped_by_admin", facts)
    assert settled_by_evidence(KB, "answer.pool_stopped_by_admin", facts_of(CASES / "rapid-fail-crashes"))


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.name)
def test_no_library_step_asks_what_its_evidence_settles(bundle):
    facts = facts_of(bundle)
    for server in diagnose([str(bundle)]).servers:
        for step in server.next_steps:
            settled = [f for f in step.facts if settled_by_evidence(KB, f, facts)]
            assert not settled, f"step {step.number} asks for {settled}, which the evidence settles"


@pytest.mark.parametrize("case", ["notfound-old-binding", "story-site-off-404", "iplisten-cloned-server"])
def test_a_problem_is_not_followed_by_a_step_about_its_background_noise(case):
    """404 NotFound (or an IP listen list) is the problem; whether the idle keep-alive expiries
    beside it are harmless (a shortened idle timeout in netsh servicestate) tells nothing about it."""
    server = server_of(CASES / case)
    assert server.causes[0].id in ("no-site-binding", "ip-listen-list-excludes-site")
    assert "idle-connections-benign" in {c.id for c in server.causes}
    asked = {fact for step in server.next_steps for fact in step.facts}
    assert "netsh.idle_timeout_s" not in asked
