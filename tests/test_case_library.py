"""The case library (tests/cases/<bundle>/): whole incidents, scored like a senior engineer would.

Each bundle is its own test (the expected cause first, or one of the accepted
alternatives; the named runners-up in the top three), and one test scores the whole
library and fails below 90% top-1 accuracy. `python tests/cases/accuracy.py` prints
the same figures; .ci/run shows them.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "cases"))
import accuracy  # noqa: E402

BUNDLES = accuracy.bundles()
OUTCOMES: dict[str, accuracy.Outcome] = {}


def outcome(folder: Path) -> accuracy.Outcome:
    if folder.name not in OUTCOMES:
        OUTCOMES[folder.name] = accuracy.run_case(folder)
    return OUTCOMES[folder.name]


@pytest.mark.parametrize("folder", BUNDLES, ids=[b.name for b in BUNDLES])
def test_bundle_ranks_the_expected_cause(folder):
    result = outcome(folder)
    assert result.top3, f"{folder.name}: expected {result.expected['top']} (+{result.expected.get('top3')}) in the top three, got {result.ranked[:3]}"


def test_library_accuracy(capsys):
    outcomes = [outcome(folder) for folder in BUNDLES]
    top1, top3 = accuracy.score(outcomes)
    with capsys.disabled():
        print(f"\ncase library: {len(outcomes)} bundles, top-1 accuracy {top1:.1%}, top-3 accuracy {top3:.1%}")
    assert len(outcomes) >= 20
    assert top1 >= accuracy.TOP1_FLOOR, [o.name for o in outcomes if not o.top1]


def test_library_covers_every_cause():
    from httperr_doctor.engine.knowledge import default_kb

    covered = {c for folder in BUNDLES for c in [outcome(folder).expected["top"], *outcome(folder).expected.get("acceptable_top", [])]}
    assert set(default_kb().causes) <= covered, sorted(set(default_kb().causes) - covered)


def test_library_mixes_evidence_formats():
    from httperr_doctor.engine.diagnosis import read_inputs

    kinds = {f.kind for folder in BUNDLES for f in read_inputs([str(folder)])}
    assert {"httperr", "iislog", "systeminfo", "bootini", "bcdedit", "poolmon", "perfmon", "eventlog", "appconfig",
            "netstat", "regquery"} <= kinds, kinds
