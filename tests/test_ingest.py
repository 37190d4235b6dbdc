"""Reading at scale: the parallel path, the bytes-level fast path and the line-by-line
reference path must give the same aggregates on the same files."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from conftest import REAL, ROOT
from httperr_doctor.engine.diagnosis import diagnose, read_inputs
from httperr_doctor.engine.evidence import httperr, reader
from httperr_doctor.engine.evidence.base import Lines
from httperr_doctor.engine.evidence.minutes import MinuteCounts
from httperr_doctor.engine.evidence.reader import EvidenceFile
from httperr_doctor.engine import ingest
from httperr_doctor.engine.ingest import Progress, plan_workers

sys.path.insert(0, str(ROOT / "bench"))
from corpus import build  # noqa: E402


@pytest.fixture(scope="module")
def farm(tmp_path_factory) -> Path:
    """Two servers of rolled 128 KB HTTPERR files plus one 1 MB file (the benchmark's generator)."""
    out = tmp_path_factory.mktemp("farm")
    farm, big = build(out, corpus_mb=1, servers=2, big_mb=1, file_mb=0.125)
    return out


def mangled(source: Path, target: Path, seed: int) -> Path:
    """A copy with the damage real logs have: typos, blank and over-long lines, stray CRs, ANSI bytes."""
    rng = random.Random(seed)
    out = []
    lines = source.read_bytes().split(b"\n")[:2500]
    header = next(line for line in lines if line.startswith(b"#Fields:"))
    for line in lines:
        roll = rng.random()
        if roll < 0.01:
            line = line.replace(b" ", b"  ", 1)
        elif roll < 0.02:
            line = line[: rng.randint(0, len(line))]
        elif roll < 0.025:
            line = b""
        elif roll < 0.03:
            line = header if rng.random() < 0.8 else b"#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"
        elif roll < 0.035:
            line = line.replace(b"20", b"2x", 1)
        elif roll < 0.04:
            line = line + b"\r"
        elif roll < 0.045:
            line = b"x" * (reader.MAX_LINE_BYTES + 10)
        elif roll < 0.05:
            line = line.replace(b"/", b"/\xe9", 1)
        elif roll < 0.055:
            line = line.replace(b"Timer_ConnectionIdle", b"Timer_NewThing", 1)
        elif roll < 0.06:
            line = b"2025-01-01 99:99:99" + line[19:]
        out.append(line)
    target.write_bytes(b"\n".join(out))
    return target


def parsed(path: Path, blocks: bool = True):
    file = EvidenceFile.from_path(path)
    lines = file.lines()
    if not blocks:
        lines = Lines(lines.path, lines._lines)
    result = httperr.parse(lines)
    return vars(result.stats), sorted((s.line, s.reason) for s in file.skips + result.skips), result.notes, result.data_lines


def test_fast_path_equals_line_by_line_path(farm, tmp_path, monkeypatch):
    files = sorted(farm.rglob("*.log"))[:3] + sorted(REAL.glob("httperr_*"))
    files += [mangled(files[0], tmp_path / f"mangled{seed}.log", seed) for seed in range(3)]
    for small_blocks in (False, True):
        if small_blocks:  # lines and over-long lines straddling block edges
            monkeypatch.setattr(reader, "BLOCK_BYTES", 997)
        for path in files:
            fast, slow = parsed(path), parsed(path, blocks=False)
            assert fast == slow, path
    stats, skips, notes, _ = parsed(files[-1])
    assert stats["records"] > 2000 and stats["untimed"] and stats["unknown_reasons"]["Timer_NewThing"]
    assert any("over the" in reason for _, reason in skips) and any("fields where" in reason for _, reason in skips)


@pytest.mark.parametrize("run_files", [2, 16])
def test_parallel_path_equals_single_process(farm, run_files, monkeypatch):
    """Workers fold runs of files; a folder cut into several runs must still fold to the same aggregate."""
    monkeypatch.setattr(ingest, "RUN_FILES", run_files)
    seen: list[Progress] = []
    one = read_inputs([str(farm)], workers=1)
    two = read_inputs([str(farm)], workers=2, progress=seen.append)
    assert [f.path for f in one] == [f.path for f in two]
    for a, b in zip(one, two):
        assert (a.kind, a.skips, a.error, a.result) == (b.kind, b.skips, b.error, b.result)
    # Consecutive files of one server are folded into the first: one aggregate per folder.
    logs = [f for f in two if f.kind == "httperr"]
    heads = [f for f in logs if f.result.stats is not None]
    assert len(logs) == 9 and len(heads) == 3
    assert sum(f.result.folded_records for f in logs) == sum(h.result.stats.records for h in heads)
    assert seen[0].files_done == 0 and seen[-1].files_done == seen[-1].files_total == len(two)
    assert seen[-1].bytes_done == seen[-1].bytes_total > 2_000_000


def test_folded_aggregate_equals_merging_every_file(farm):
    folder = farm / "farm" / "WEB01"
    merged = httperr.HttpErrStats()
    for path in sorted(folder.glob("*.log"), key=str):
        merged.merge(httperr.parse(EvidenceFile.from_path(path).lines()).stats)
    head = read_inputs([str(folder)], workers=2)[0]
    assert head.result.stats == merged


def test_diagnosis_is_the_same_on_one_core_and_many(farm):
    one = diagnose([str(farm / "farm")], workers=1).model_dump()
    two = diagnose([str(farm / "farm")], workers=2).model_dump()
    assert one == two
    assert [s["host"] for s in one["servers"]] == ["WEB01", "WEB02"]
    assert {i["records"] for i in one["inputs"]} != {0}


def test_workers_only_for_enough_data():
    assert plan_workers(None, 1, 10**9) == 1
    assert plan_workers(None, 500, 1000) == 1
    assert plan_workers(3, 2, 0) == 2


def test_minute_counts_merge_and_overflow():
    a, b = MinuteCounts(), MinuteCounts()
    a.add("Connection_Dropped", "2025-01-01 23:59", 60000)
    b.add("Connection_Dropped", "2025-01-01 23:59", 60000)
    b.add("Connection_Dropped", "2025-01-01 99:99", 1)
    a.update(b)
    assert a["Connection_Dropped", "2025-01-01 23:59"] == 120000
    assert a.minutes("Connection_Dropped") == ["2025-01-01 23:59", "2025-01-01 99:99"]
    assert a.peak("Connection_Dropped") == 120000 and len(a) == 2


def test_progress_moves_within_one_big_file(farm, monkeypatch):
    """One file read in this process reports its bytes block by block, not only when it is done."""
    monkeypatch.setattr(reader, "BLOCK_BYTES", 64 * 1024)
    big = next((farm / "big").glob("*.log"))
    seen: list[Progress] = []
    read_inputs([str(big)], workers=1, progress=seen.append)
    size = big.stat().st_size
    within = [p for p in seen if p.files_done == 0 and 0 < p.bytes_done < size]
    assert len(within) >= size // (64 * 1024) - 1
    assert [p.bytes_done for p in seen] == sorted(p.bytes_done for p in seen)
    assert seen[-1].files_done == 1 and seen[-1].bytes_done == size
