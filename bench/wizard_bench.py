"""How many questions the wizard needs, and how fast it picks the next one (measured, not asserted).

For every case, a simulated help-desk person knows the case's true facts: the facts its
evidence files give (`tests/cases/*/` with `expected.yaml`, the two examples) or a
built-in scenario's values, plus any `answers:` the case lists. Starting with NO
evidence, the wizard asks; the person answers each question with the true value, or
"I don't know" when the case does not know that fact. We count the questions until the
case's expected cause is ranked first, and compare with a fixed-order questionnaire of
the same questions (KB order, skipping none). Also timed: from an answer to the next
question (the ranking shown after the answer plus the choice of the next question).

    python bench/wizard_bench.py            # prints the table and the timings
    python bench/wizard_bench.py --markdown # the same as a Markdown section for bench/RESULTS.md

"from its evidence" is the realistic use: the wizard starts from the case's files and
asks only what they leave open (0 = the evidence alone ranks the right cause first).

Goals (issue 5): at most 6 questions for each source case, fewer on average than the
fixed order, under 50 ms from answer to next question.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from httperr_doctor.engine.diagnosis import read_inputs
from httperr_doctor.engine.facts import Facts, evidence_facts, with_answers
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.questioning import Questioner

ROOT = Path(__file__).resolve().parent.parent
# The two source articles: the examples and their case-library counterparts.
SOURCE_CASES = {"example:connections-refused", "example:connection-dropped",
                "case:refused-av-leak-3gb", "case:dropped-under-load"}
NEVER = None


@dataclass
class Case:
    name: str
    expected: str
    evidence: list[str] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    # Other causes the case library accepts in first place (expected.yaml `acceptable_top`).
    also: tuple[str, ...] = ()

    def is_first(self, cause: str | None) -> bool:
        return cause is not None and (cause == self.expected or cause in self.also)

    def truth(self) -> dict[str, Any]:
        files = read_inputs(self.evidence) if self.evidence else []
        facts = evidence_facts([f.result for f in files if f.result is not None], default_kb())
        return with_answers(facts, self.answers, default_kb()).values()


# True fact values for situations the examples do not cover (no evidence files: only
# what a person at the server could answer).
SCENARIOS = [
    Case("scenario:pool-low-without-3gb", "nonpaged-pool-exhausted",
         answers={"httperr.top_reason": "Connections_Refused", "os.family": "2003", "os.arch": "x86",
                  "boot.switch_3gb": False, "memory.npp_used_mb": 241}),
    Case("scenario:3gb-switch-pool-still-fine", "boot-3gb-switch",
         answers={"httperr.top_reason": "Connections_Refused", "os.family": "2003", "os.arch": "x86",
                  "boot.switch_3gb": True, "memory.npp_used_mb": 60}),
    Case("scenario:dropped-app-hangs", "app-not-sending-response",
         answers={"httperr.top_reason": "Connection_Dropped", "answer.heavy_load_at_drops": False,
                  "answer.app_errors_at_drops": True}),
    Case("scenario:queue-full", "request-queue-full", answers={"httperr.top_reason": "QueueFull"}),
    Case("scenario:header-too-long", "header-too-large", answers={"httperr.top_reason": "FieldLength"}),
    Case("scenario:dropped-under-load", "logging-timeout-under-load",
         answers={"httperr.top_reason": "Connection_Dropped", "answer.heavy_load_at_drops": True,
                  "answer.app_errors_at_drops": False}),
]


def _top_of(data: Any) -> str | None:
    for key in ("top", "top_cause", "expected_top", "first"):
        if isinstance(data.get(key), str):
            return data[key]
    for key in ("causes", "ranked", "expected", "expected_causes", "top3"):
        value = data.get(key)
        if isinstance(value, dict):
            found = _top_of(value)
            if found:
                return found
        if isinstance(value, list) and value:
            first = value[0]
            return first.get("id") if isinstance(first, dict) else str(first)
    return None


def library_cases() -> list[Case]:
    """The case library (tests/cases/*/expected.yaml) when it exists, then the two examples."""
    cases = []
    for expected in sorted((ROOT / "tests" / "cases").glob("*/expected.yaml")):
        data = yaml.safe_load(expected.read_text(encoding="utf-8")) or {}
        top = _top_of(data)
        if not top:
            continue
        evidence = [str(p) for p in sorted(expected.parent.iterdir()) if p.name != "expected.yaml"]
        cases.append(Case(f"case:{expected.parent.name}", top, evidence, dict(data.get("answers") or {}),
                          tuple(data.get("acceptable_top") or ())))
    cases.append(Case("example:connections-refused", "nonpaged-pool-exhausted", [str(ROOT / "examples" / "connections-refused")]))
    cases.append(Case("example:connection-dropped", "logging-timeout-under-load", [str(ROOT / "examples" / "connection-dropped")],
                      {"answer.heavy_load_at_drops": True, "answer.app_errors_at_drops": False}))
    return cases


@dataclass
class Run:
    questions: int | None  # None: never ranked first
    asked: list[str]
    # (wall, CPU of this thread) in ms: on a shared machine the wall time of a step also holds
    # the time other processes had the core; the CPU time is the step's own work.
    step_ms: list[tuple[float, float]]


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.thread_time()


def _ms_since(started: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _now()
    return (wall - started[0]) * 1000, (cpu - started[1]) * 1000


def simulate(case: Case, truth: dict[str, Any], questioner: Questioner, adaptive: bool, limit: int = 30,
             evidence: Facts | None = None, probe: Questioner | None = None, lookahead: bool = False) -> Run:
    """One simulated session. With `probe`, the fixed order's states also time the wizard's choice."""
    kb = questioner.kb
    evidence = evidence if evidence is not None else Facts()
    answers, skipped, asked, steps = {}, set(), [], []
    order = list(kb.questions.values())
    while len(asked) <= limit:
        started = _now()
        standing = questioner.standing(with_answers(evidence, answers, default_kb()).values())
        # First means first alone: a tie broken by the cause id does not count.
        if case.is_first(standing.clear_top):
            return Run(len(asked), asked, steps)
        if adaptive:
            candidate = questioner.next_question(evidence, answers, skipped)
            question = candidate.question if candidate else None
            if lookahead and candidate is not None:
                steps.append(_ms_since(started))
                questioner.prefetch(evidence, answers, skipped, candidate)  # while the question is on screen
                started = None
        else:
            if probe is not None:
                probe_started = _now()
                probe.standing(with_answers(evidence, answers, default_kb()).values())
                probe.next_question(evidence, answers, skipped)
                steps.append(_ms_since(probe_started))
            known = with_answers(evidence, answers, default_kb()).values()
            question = next((q for q in order if q.id not in skipped and q.fact not in known), None)
        if probe is None and started is not None:
            steps.append(_ms_since(started))
        if question is None:
            return Run(NEVER, asked, steps)
        asked.append(question.id)
        value = truth.get(question.fact)
        # A person can only pick a listed choice or type a value the wizard knows.
        if question.kind == "choice" and value is not None and value not in {c.value for c in question.choices} \
                and str(value) not in questioner.vocabulary(question):
            value = None
        if value is not None:
            answers[question.fact] = value
        else:
            skipped.add(question.id)  # "I don't know / can't check"
    return Run(NEVER, asked, steps)


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model or platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown section for bench/RESULTS.md")
    args = parser.parse_args(argv)
    kb = default_kb()
    cases = library_cases() + SCENARIOS
    rows, cold, warm, looked = [], [], [], []
    for case in cases:
        truth = case.truth()
        # One wizard session a process: what lives for the session is frozen out of the
        # collector's walks, as the wizard does (wizard/startup.py), and earlier cases' garbage is gone.
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        adaptive_q = Questioner(kb)  # fresh: the first step includes compiling the rule engines
        adaptive = simulate(case, truth, adaptive_q, adaptive=True)
        fixed = simulate(case, truth, Questioner(kb), adaptive=False, probe=adaptive_q)
        warm.extend(fixed.step_ms[1:])
        with_evidence = None
        if case.evidence:
            files = read_inputs(case.evidence)
            facts = evidence_facts([f.result for f in files if f.result is not None], default_kb())
            with_evidence = simulate(case, truth, adaptive_q, adaptive=True, evidence=facts)
            warm.extend(with_evidence.step_ms[1:])
        if adaptive.step_ms:
            cold.append(adaptive.step_ms[0])
            warm.extend(adaptive.step_ms[1:])
        ahead = simulate(case, truth, Questioner(kb), adaptive=True, lookahead=True)
        looked.extend(ahead.step_ms[1:])
        rows.append((case, adaptive, fixed, with_evidence))

    show = lambda n: "never" if n is None else str(n)  # noqa: E731
    count = lambda n, run: n if n is not None else len(run.asked)  # noqa: E731
    lines = []
    if args.markdown:
        lines += ["| case | expected first | wizard | fixed order | from its evidence | wizard asked (no evidence) |",
                  "|---|---|---|---|---|---|"]
    else:
        lines.append(f"{'case':38} {'expected first':27} {'wizard':>6} {'fixed':>5} {'w/ev':>4}  wizard asked")
    for case, adaptive, fixed, with_evidence in rows:
        asked = ", ".join(adaptive.asked) or "-"
        ev = show(with_evidence.questions) if with_evidence else "-"
        if args.markdown:
            lines.append(f"| {case.name} | {case.expected} | {show(adaptive.questions)} | {show(fixed.questions)} | {ev} | {asked} |")
        else:
            lines.append(f"{case.name:38} {case.expected:27} {show(adaptive.questions):>6} {show(fixed.questions):>5} {ev:>4}  {asked}")
    reached = [(a, f) for _, a, f, _ in rows]
    mean_adaptive = statistics.mean(count(a.questions, a) for a, _ in reached)
    mean_fixed = statistics.mean(count(f.questions, f) for _, f in reached)
    source = [a.questions for c, a, _, _ in rows if c.name in SOURCE_CASES]
    both = [(a.questions, f.questions) for a, f in reached if a.questions is not None and f.questions is not None]
    summary = [
        f"mean questions: wizard {mean_adaptive:.2f}, fixed order {mean_fixed:.2f} (a case never ranked first counts the questions asked)",
        f"mean over the {len(both)} cases both rank first: wizard {statistics.mean(a for a, _ in both):.2f}, "
        f"fixed order {statistics.mean(f for _, f in both):.2f}; wizard fewer in {sum(a < f for a, f in both)}, "
        f"same in {sum(a == f for a, f in both)}, more in {sum(a > f for a, f in both)}",
        f"source cases ({', '.join(c.name for c, *_ in rows if c.name in SOURCE_CASES)}): "
        f"{', '.join(show(n) for n in source)} questions (goal: at most 6 each)",
        f"never ranked first: wizard {sum(a.questions is None for a, _ in reached)}, fixed order {sum(f.questions is None for _, f in reached)} of {len(rows)}",
    ]
    if warm:
        walls, cpus = sorted(w for w, _ in warm), sorted(c for _, c in warm)
        p95 = lambda v: v[min(len(v) - 1, int(0.95 * len(v)))]  # noqa: E731
        summary.append(f"answer -> next question (ranking shown + next question chosen, warm): median {statistics.median(walls):.1f} ms, "
                       f"p95 {p95(walls):.1f} ms, max {walls[-1]:.1f} ms over {len(warm)} steps (goal: under 50 ms); "
                       f"its CPU time: median {statistics.median(cpus):.1f} ms, p95 {p95(cpus):.1f} ms, max {cpus[-1]:.1f} ms")
    if looked:
        summary.append(f"the same with the wizard's lookahead (the next step worked out while a question is on screen): "
                       f"median {statistics.median(w for w, _ in looked):.1f} ms, max {max(w for w, _ in looked):.1f} ms over {len(looked)} steps")
    if cold:
        summary.append(f"first question of a session (compiles the rule engines): median {statistics.median(w for w, _ in cold):.1f} ms, "
                       f"max {max(w for w, _ in cold):.1f} ms")
    summary.append(f"KB: {len(kb.rules)} rules, {len(kb.causes)} causes, {len(kb.questions)} questions; machine: {machine()}")
    out = lines + [""] + ([f"- {s}" for s in summary] if args.markdown else summary)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
