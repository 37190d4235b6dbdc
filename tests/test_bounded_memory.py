"""Memory stays bounded whatever the input (issue 16): a few hundred thousand distinct values
of each kind an attacker can vary, read in a fresh process, must grow its peak resident
size by a few tens of MB at most. Before the caps, these inputs grew it by hundreds of MB
(figures for the full sizes in bench/RESULTS.md, from bench/attack.py)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from attack import write_attack  # noqa: E402

# What the child does: import everything first, note the peak so far, read the input, note it again.
CHILD = """
import json, sys
from pathlib import Path
from httperr_doctor.engine.evidence import bundle, read
from httperr_doctor.engine.evidence.reader import EvidenceFile
from httperr_doctor.engine.evidence.base import skipped_lines

def kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

path = Path(sys.argv[1])
before = kb("VmRSS")
if path.suffix == ".zip":
    items = list(bundle.iter_bundle(path))
    outcome = {"items": len(items), "error": items[0].error or ""}
else:
    done = read(EvidenceFile.from_path(path))
    stats = done.result.stats
    outcome = {"kind": done.kind, "records": getattr(stats, "records", 0), "skipped": skipped_lines(done.skips),
               "reasons": len(getattr(stats, "reasons", ())), "notes": done.result.notes}
outcome["growth_mb"] = (kb("VmHWM") - before) / 1024
print(json.dumps(outcome))
"""
GROWTH_MB = 40  # normal files grow it by a few MB; these inputs grew it by 100 MB to 900 MB before


pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc")


def read_in_child(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("attack,values", [("urls", 200_000), ("queues", 200_000), ("statuses", 200_000),
                                           ("phrases", 50_000), ("malformed", 300_000), ("netstat", 300_000)])
def test_distinct_values_do_not_grow_memory(attack, values, tmp_path):
    outcome = read_in_child(write_attack(attack, values, tmp_path))
    assert outcome["growth_mb"] < GROWTH_MB, outcome
    if attack == "malformed":
        assert outcome["skipped"] == values and outcome["records"] == 0
    elif attack == "netstat":
        assert outcome["kind"] == "netstat" and outcome["records"] == values
    else:
        assert outcome["kind"] == "httperr" and outcome["records"] == values
    if attack == "phrases":  # 100 phrases of their own, the others together, the busiest named and "N more"
        note = outcome["notes"][0]
        named = sum(int(n) for n in re.findall(r"\((\d+)\)", note))
        assert outcome["reasons"] == 101 and "at least" in note and f"({values - named:,} lines)" in note
    if attack in ("urls", "queues", "statuses"):
        assert any("only the busiest are kept" in note for note in outcome["notes"]), outcome["notes"]


def test_a_zip_directory_of_too_many_entries_is_refused_before_it_is_read(tmp_path):
    outcome = read_in_child(write_attack("zip", 300_000, tmp_path))
    assert outcome["items"] == 1 and "its directory lists 300,000 entries" in outcome["error"]
    assert outcome["growth_mb"] < GROWTH_MB / 4, outcome
