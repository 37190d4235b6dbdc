"""What perfmon's Pool Nonpaged Bytes showed, said as it was seen: a pool that climbs a little
at a time and keeps it is a leak's signature; one that sits flat and jumps once is not.

Each bundle is refused-leak-x64-perfmon from the case library (WEB12, x64 Server 2008 R2,
a backup driver's tag in PoolMon, refusals) with its typeperf CSV written per test in the
same layout: a sample a minute for two hours, in bytes, with the few hundred KB of wobble
a real counter has as allocations come and go.
"""
from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import diagnose_json
from httperr_doctor.engine.evidence import read
from httperr_doctor.engine.evidence.reader import EvidenceFile
from httperr_doctor.engine.facts import derive_facts
from httperr_doctor.engine.knowledge import default_kb

CASES = Path(__file__).resolve().parent / "cases"
MB = 1024 * 1024
START = datetime(2015, 3, 10, 13, 40)
HEADER = ('"(PDH-CSV 4.0) (Coordinated Universal Time)(0)","\\\\WEB12\\Memory\\Pool Nonpaged Bytes",'
          '"\\\\WEB12\\Processor(_Total)\\% Processor Time"')


def _wobble(minute: int) -> float:
    return ((minute * 37) % 11 - 5) * 0.06


def _bundle(tmp_path: Path, pool_mb: list[float]) -> Path:
    bundle = tmp_path / "WEB12"
    shutil.copytree(CASES / "refused-leak-x64-perfmon", bundle)
    (bundle / "expected.yaml").unlink()
    rows = [HEADER] + [f'"{(START + timedelta(minutes=i)):%m/%d/%Y %H:%M:%S}.111","{mb * MB:.0f}","{30 + i % 7 * 1.5:.6f}"'
                       for i, mb in enumerate(pool_mb)]
    (bundle / "perf.csv").write_text("\r\n".join(rows) + "\r\n", encoding="ascii")
    return bundle


FLAT_THEN_JUMP = [430 + _wobble(i) + (60 if i >= 115 else 0) for i in range(121)]
CLIMB = [430 + i * 0.5 + 2 * _wobble(i) for i in range(121)]


def _perf_facts(bundle: Path):
    return derive_facts([read(EvidenceFile.from_path(bundle / "perf.csv")).result], default_kb())


def _told(cause: dict) -> str:
    return " ".join([cause["summary"]] + [step["text"] for step in cause["reasoning"]])


def test_one_late_jump_is_not_called_a_steady_rise_or_a_leaks_signature(tmp_path):
    bundle = _bundle(tmp_path, FLAT_THEN_JUMP)
    facts = _perf_facts(bundle)
    assert facts.value("perf.npp_growth_mb") == pytest.approx(60, abs=1)
    assert facts.value("perf.npp_steady_rise") is False
    assert facts.value("perf.npp_burst_share") > 0.9
    since, until = (datetime.strptime(t, "%Y-%m-%d %H:%M UTC") for t in
                    re.search(r"rose [\d.]+ MB between (.+ UTC) and (.+ UTC), the most in any tenth", facts["perf.npp_burst_share"].how).groups())
    assert since < START + timedelta(minutes=115) <= until and until - since <= timedelta(minutes=12)
    server = diagnose_json(bundle)["servers"][0]
    leak = next(c for c in server["causes"] if c["id"] == "pool-leak-driver")
    assert "PERF_NPP_STEADY_RISE" not in [step["rule"] for step in leak["reasoning"]]
    assert "only went up" not in _told(leak) and "signature of a leak" not in _told(leak)
    load = next(c for c in server["causes"] + server["ruled_out"] if c["id"] == "connection-load-npp")
    assert "never fell back" not in " ".join(step["text"] for step in load.get("reasoning", load.get("reasons", [])))


def test_a_pool_that_climbs_all_through_the_capture_is_a_steady_rise_said_as_seen(tmp_path):
    bundle = _bundle(tmp_path, CLIMB)
    facts = _perf_facts(bundle)
    assert facts.value("perf.npp_steady_rise") is True
    assert facts.value("perf.npp_growth_mb") == pytest.approx(60, abs=1)
    assert facts.value("perf.npp_burst_share") < 0.2
    assert facts.value("perf.npp_largest_fall_mb") == pytest.approx(0.34, abs=0.01)
    leak = next(c for c in diagnose_json(bundle)["servers"][0]["causes"] if c["id"] == "pool-leak-driver")
    said = next(step["text"] for step in leak["reasoning"] if step["rule"] == "PERF_NPP_STEADY_RISE")
    assert said.startswith("Pool Nonpaged Bytes climbed by 60.8 MB a little at a time across the perfmon capture (no tenth "
                           "of it holds more than 1")
    assert "never fell back by more than 0.34 MB" in said


@pytest.mark.parametrize("pool", [
    [430 + _wobble(i) + (30 if i >= 60 else 0) + (30 if i >= 115 else 0) for i in range(121)],
    # Connections opened under load and closed again: the pool climbs and gives it back.
    [430 + (i % 30) * 2 + _wobble(i) for i in range(121)],
    [430 + max(0, i - 110) * 6 + _wobble(i) for i in range(121)],
    [430, 431, 470, 471],
], ids=["two-steps", "saw-tooth", "ramp-in-the-last-tenth", "four-samples"])
def test_steps_a_saw_tooth_a_late_ramp_and_too_few_samples_are_not_a_steady_rise(tmp_path, pool):
    assert _perf_facts(_bundle(tmp_path, pool)).value("perf.npp_steady_rise") is False


def test_the_library_leaks_are_still_steady_rises():
    for case in ("refused-leak-x64-perfmon", "story-npp-outdated-driver"):
        assert diagnose_json(CASES / case)["servers"][0]["facts"]["perf.npp_steady_rise"] is True, case
