"""A tag is named as growing only when the PoolMon snapshots show it growing, not churning.

Three `poolmon -b -p` captures replace the single screen of the connections-refused
example: flat tags moving by tens of KB, a driver leaking a few MB between each
capture, and a tag that sits still and then jumps once.
"""
from __future__ import annotations

import re
import shutil

import pytest

from conftest import EXAMPLES, diagnose_json, run_cli

MiB = 1024 * 1024
HEADER = (" Memory: 4193784K Avail: 1237012K  PageFlts:  1542   InRam Krnl: 5632K P:112340K\n"
          " Commit:2062116K Limit:6241588K Peak:2415132K            Pool N:{pool_kb}K P:98304K\n"
          " System pool information\n"
          " Tag  Type     Allocs            Frees            Diff   Bytes       Per Alloc\n\n")
# Bytes of each tag at 09:00, and what allocation churn does to it in later captures.
FLAT = {"AvSc": 72_351_744, "Irp ": 9_437_184, "TCPt": 9_012_224, "Thre": 6_557_184, "UlHT": 3_145_728,
        "Even": 1_153_433, "MmCm": 553_600, "Ntfr": 353_600}
JITTER = ({}, {"AvSc": 48_128, "Irp ": -36_864, "TCPt": 61_440, "Thre": -12_288},
          {"AvSc": 40_960, "Irp ": 12_288, "TCPt": -20_480, "Thre": 24_576})


def _row(tag: str, size: int) -> str:
    allocs = 900_000 + size // 97
    diff = size // 104
    return f" {tag:<4} Nonp {allocs:>11} (  12) {allocs - diff:>10} (   0) {diff:>8} {size:>9} (  1536) {104:>6}"


def _capture(sizes: dict[str, int]) -> str:
    rows = sorted(sizes.items(), key=lambda item: -item[1])
    pool_kb = (sum(sizes.values()) + 14 * MiB) // 1024
    return HEADER.format(pool_kb=pool_kb) + "\n".join(_row(tag, size) for tag, size in rows) + "\n"


def _snapshots(tmp_path, *changes: dict[str, int]):
    """The example bundle with one `poolmon -b -p` capture per change to the flat tags."""
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "connections-refused", bundle)
    (bundle / "poolmon-b.txt").unlink()
    for number, (jitter, change) in enumerate(zip(JITTER, changes), start=1):
        sizes = {tag: size + jitter.get(tag, 0) + change.get(tag, 0) for tag, size in FLAT.items()}
        (bundle / f"poolsnap-{number}.log").write_text(_capture(sizes), encoding="utf-8")
    return bundle


def _key_numbers(text: str) -> dict[str, str]:
    block = text.split("Key numbers:", 1)[1].split("\n\n", 1)[0]
    return dict(re.match(r"\s+(.+?)\s{2,}(\S.*)$", line).groups() for line in block.splitlines()[1:] if line.strip())


def _report(bundle):
    code, text = run_cli("diagnose", str(bundle))
    assert code == 0, text
    return diagnose_json(bundle)["servers"][0]["facts"], text


def test_flat_snapshots_name_no_growing_tag(tmp_path):
    facts, text = _report(_snapshots(tmp_path, {}, {}, {}))
    assert facts["poolmon.snapshots"] == 3
    assert facts["poolmon.growing_tags"] == 0
    assert "poolmon.growth_tag" not in facts and "poolmon.growth_tag_mb" not in facts
    numbers = _key_numbers(text)
    assert numbers["Pool tags growing across snapshots"] == "0"
    assert "Fastest-growing pool tag" not in numbers
    assert "grew by" not in text


def test_a_tag_leaking_between_every_capture_is_the_growing_tag(tmp_path):
    facts, text = _report(_snapshots(tmp_path, {}, {"AvSc": 4 * MiB}, {"AvSc": 8 * MiB + MiB // 2}))
    assert facts["poolmon.growing_tags"] == 1
    assert facts["poolmon.growth_tag"] == "AvSc"
    assert facts["poolmon.growth_tag_mb"] == pytest.approx((8.5 * MiB + 40_960) / MiB, abs=0.001)
    assert facts["poolmon.growth_tag_steady"] is True
    numbers = _key_numbers(text)
    assert numbers["Fastest-growing pool tag"] == "AvSc"
    assert numbers["Pool tags growing across snapshots"] == "1"
    assert "Pool tag AvSc grew by 8.54 MB across PoolMon snapshots and never shrank" in text


def test_one_jump_between_two_captures_is_not_growth(tmp_path):
    # TCPt sits still from 09:00 to 09:15, then holds 6 MB more at 09:30: one burst of
    # connections, not a driver that keeps allocating.
    facts, text = _report(_snapshots(tmp_path, {}, {}, {"TCPt": 6 * MiB}))
    assert facts["poolmon.growing_tags"] == 0
    assert "poolmon.growth_tag" not in facts
    numbers = _key_numbers(text)
    assert numbers["Pool tags growing across snapshots"] == "0"
    assert "Fastest-growing pool tag" not in numbers
    assert "TCPt grew" not in text


def _leak_reasoning(bundle) -> dict[str, float]:
    server = diagnose_json(bundle)["servers"][0]
    cause = next(c for c in server["causes"] if c["id"] == "pool-leak-driver")
    return {step["rule"]: step["certainty"] for step in cause["reasoning"]}, cause["confidence"]


def test_two_snapshots_show_one_rise_and_weigh_less_than_a_series(tmp_path):
    """The same AvSc leak, 8.5 MB in all: seen in two captures it is one rise (a burst of
    connections looks the same), seen in three it keeps growing (WDK PoolMon leak method)."""
    two, two_confidence = _leak_reasoning(_snapshots(tmp_path / "two", {}, {"AvSc": 8 * MiB + MiB // 2}))
    three, three_confidence = _leak_reasoning(_snapshots(tmp_path / "three", {}, {"AvSc": 4 * MiB}, {"AvSc": 8 * MiB + MiB // 2}))
    assert "POOL_TAG_KEEPS_GROWING" not in two and two["POOL_TAG_GREW_BETWEEN_TWO_SNAPSHOTS"] <= 0.5
    assert three["POOL_TAG_KEEPS_GROWING"] == 0.8 and "POOL_TAG_GREW_BETWEEN_TWO_SNAPSHOTS" not in three
    assert two_confidence < three_confidence


def test_two_snapshots_say_a_third_would_tell(tmp_path):
    code, text = run_cli("diagnose", str(_snapshots(tmp_path, {}, {"AvSc": 8 * MiB + MiB // 2})))
    assert code == 0
    assert "from one PoolMon snapshot to the next, as a leaking driver's tag does; a third snapshot would show" in text
    assert "never shrank: the signature of a leak" not in text
