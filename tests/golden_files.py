"""Compare a rendered report with its reviewed copy under tests/golden/.

Refresh on purpose with `UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`, then
review `git diff tests/golden/` like any code change: a golden file is a promise
about what a reader sees.
"""
from __future__ import annotations

import difflib
import os
import re
from functools import cache
from pathlib import Path

from httperr_doctor.engine.rule_engines import DURABLE, engine_name

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@cache
def _kb_size() -> tuple[str, str]:
    from httperr_doctor.engine.knowledge import default_kb

    kb = default_kb()
    return str(len(kb.rules)), str(len(kb.causes))


def without_kb_size(text: str) -> str:
    """The report with the KB's rule and cause counts (when they are the KB's) as
    placeholders: a new rule would otherwise change every golden file."""
    rules, causes = _kb_size()
    text = re.sub(rf"\b{rules} rules on {causes} causes\b", "<kb_rules> rules on <kb_causes> causes", text)
    text = re.sub(rf'"kb_rules": {rules}\b', '"kb_rules": "<kb_rules>"', text)
    return re.sub(rf'"kb_causes": {causes}\b', '"kb_causes": "<kb_causes>"', text)


def as_if_on_durable(text: str) -> str:
    """The report's one engine-dependent part, the engine's name, as the golden files have it.

    The golden files are written on durable-rules; on the reference engine (`.ci/run`'s
    second pass, Windows, Python 3.13+) everything else must match them byte for byte.
    """
    name = engine_name()
    if name == DURABLE:
        return text
    return text.replace(f'"engine": "{name}"', f'"engine": "{DURABLE}"').replace(f"rule engine: {name}", f"rule engine: {DURABLE}")


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    actual = as_if_on_durable(without_kb_size(actual))
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no golden file {path.name}: run UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py and review it"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), f"golden/{name}", "now", lineterm="", n=2)
        shown = "\n".join(list(diff)[:80])
        raise AssertionError(f"{name} differs from its golden file (if intended: UPDATE_GOLDEN=1, then review the diff):\n{shown}")
