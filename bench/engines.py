"""Time the two rule engines on the same work: every rule's twin cases through the whole KB,
and the case library's diagnoses (parsing excluded), each engine alternately.

    python bench/engines.py [--repeat 5]

Figures only (bench/RESULTS.md, "Rule engines"); the tests check that both agree.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from httperr_doctor.engine.diagnosis import diagnose_files, read_inputs
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.rule_engines import DURABLE, REFERENCE, durable_importable, force_engine, new_engine

CASES = Path(__file__).resolve().parent.parent / "tests" / "cases"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    names = [DURABLE, REFERENCE] if durable_importable() else [REFERENCE]
    kb = default_kb()
    facts = [case.facts for cases in kb.cases.values() for case in cases.cases]
    engines = {name: new_engine(kb.rules.values(), kb.fact_types, engine=name) for name in names}
    bundles = [read_inputs([str(p) for p in sorted(folder.iterdir()) if p.name != "expected.yaml"], workers=1)
               for folder in sorted(CASES.iterdir()) if (folder / "expected.yaml").is_file()]
    runs: dict[str, list[float]] = {name: [] for name in names}
    library: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.repeat):
        for name in names:
            start = time.perf_counter()
            for one in facts:
                engines[name].run(one)
            runs[name].append((time.perf_counter() - start) / len(facts))
            force_engine(name)
            start = time.perf_counter()
            for files in bundles:
                diagnose_files(files)
            library[name].append(time.perf_counter() - start)
            force_engine(None)
    print(f"Python {sys.version.split()[0]}, {len(kb.rules)} rules, {len(facts)} twin-case fact sets, "
          f"{len(bundles)} case bundles, median of {args.repeat}")
    for name in names:
        print(f"{name:>14}: {statistics.median(runs[name]) * 1e6:8.0f} us per rule run (whole KB), "
              f"case library diagnosed (parsed beforehand) in {statistics.median(library[name]):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
