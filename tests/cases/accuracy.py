"""Score the case library: how often the report's first cause (and its top three) is the expected one.

Run `python tests/cases/accuracy.py` for the figures and a line per case; the test
`tests/test_case_library.py` asserts the same numbers (top-1 at least 90%).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from httperr_doctor.engine.diagnosis import diagnose

HERE = Path(__file__).resolve().parent
TOP1_FLOOR = 0.9


@dataclass
class Outcome:
    name: str
    expected: dict
    ranked: list[str]

    @property
    def top1(self) -> bool:
        return bool(self.ranked) and self.ranked[0] in [self.expected["top"], *self.expected.get("acceptable_top", [])]

    @property
    def top3(self) -> bool:
        first = self.ranked[:3]
        return self.expected["top"] in first and all(c in first for c in self.expected.get("top3", [])[:2])


def bundles() -> list[Path]:
    return sorted(p for p in HERE.iterdir() if (p / "expected.yaml").is_file())


def run_case(folder: Path) -> Outcome:
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    evidence = [str(p) for p in sorted(folder.iterdir()) if p.name != "expected.yaml"]
    report = diagnose(evidence, answers=expected.get("answers"))
    return Outcome(folder.name, expected, [c.id for c in report.causes])


def score(outcomes: list[Outcome]) -> tuple[float, float]:
    n = len(outcomes) or 1
    return sum(o.top1 for o in outcomes) / n, sum(o.top3 for o in outcomes) / n


def main() -> int:
    outcomes = [run_case(folder) for folder in bundles()]
    for o in outcomes:
        mark = "ok  " if o.top1 else ("top3" if o.top3 else "MISS")
        print(f"{mark} {o.name:<28} expected {o.expected['top']:<28} got {', '.join(o.ranked[:3]) or '(nothing)'}")
    top1, top3 = score(outcomes)
    print(f"case library: {len(outcomes)} bundles, top-1 accuracy {top1:.1%}, top-3 accuracy {top3:.1%}")
    return 0 if top1 >= TOP1_FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
