"""Instructions a diagnosis executes, every process counted, under valgrind (callgrind).

Wall and CPU seconds wander with whatever else the machine runs; the count of
instructions does not, so two builds can be compared on a busy machine (a shared CI
runner, or engineers' test suites beside the benchmark). It says nothing of waiting
or of how well the workers share the cores: quote it beside wall time, not instead.

    python bench/instructions.py DATA --doctor /path/a/bin/httperr-doctor --doctor /path/b/bin/httperr-doctor

Each doctor runs once before it is counted, so its knowledge-base cache is warm.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REFS = re.compile(r"==(\d+)== I\s+refs:\s+([\d,]+)")


def count(doctor: str, data: str) -> dict[int, int]:
    """{process id: instructions} of one `diagnose --format json` run."""
    subprocess.run([doctor, "diagnose", "--format", "json", data], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                               f"--callgrind-out-file={Path(folder) / 'cg.%p'}",
                               doctor, "diagnose", "--format", "json", data],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    return {int(pid): int(refs.replace(",", "")) for pid, refs in REFS.findall(done.stderr)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="a file or folder to diagnose (e.g. the farm bench/run.py generates)")
    parser.add_argument("--doctor", action="append", required=True, help="an httperr-doctor executable (give two to compare)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing to count", file=sys.stderr)
        return 2
    totals = []
    for doctor in args.doctor:
        found = count(doctor, args.data)
        totals.append(sum(found.values()))
        per_process = ", ".join(f"{n / 1e6:,.0f}M" for _, n in sorted(found.items()))
        print(f"{doctor}: {totals[-1] / 1e6:,.0f}M instructions in {len(found)} processes ({per_process})")
    for doctor, total in zip(args.doctor[1:], totals[1:]):
        print(f"{doctor} / {args.doctor[0]}: {total / totals[0]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
