"""A counter log with NaN, infinite or absurd numbers: the cells are skipped with a note,
the rest of the evidence is diagnosed, and no report form holds NaN or Infinity."""
from __future__ import annotations

import json
import math
import re
import shutil

import pytest

from conftest import EXAMPLES, run_cli
from httperr_doctor.engine.evidence import perfmon
from httperr_doctor.engine.evidence.base import Lines

HEADER = ('"(PDH-CSV 4.0) (Eastern Daylight Time)(240)","\\\\WEB01\\Memory\\Pool Nonpaged Bytes",'
          '"\\\\WEB01\\Processor(_Total)\\% Processor Time",'
          '"\\\\WEB01\\HTTP Service Request Queues(ShopPool)\\CurrentQueueSize"')
# A NaN or infinity written as a number; the note quoting the bad cell ('inf') is fine.
NON_FINITE = re.compile(r"(?i)(?<![\w';])-?(?:nan|inf|infinity)(?![\w'&])")
BAD = ["inf", "Infinity", "-inf", "1e309", "nan", "NaN", "1e308", "-1e308", "1e16"]


def counter_log(cell: str, rows: int = 4) -> list[str]:
    """Minute samples where one cell of every counter is `cell` and the rest are plausible."""
    lines = [HEADER]
    for minute in range(rows):
        values = [str(199358253 + minute * 4096), "20.5", str(minute)]
        values[minute % 3] = cell
        lines.append(f'"08/12/2009 08:{minute:02d}:00.404",' + ",".join(f'"{v}"' for v in values))
    return lines


def strict_json(text: str):
    def refuse(constant):
        raise AssertionError(f"{constant} in the JSON report")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("cell", BAD)
def test_a_bad_cell_is_skipped_with_a_note_naming_the_line(cell):
    result = perfmon.parse(Lines("perf.csv", counter_log(cell)))
    assert len(result.records) == 4
    every = [value for record in result.records for value in record.data.values.values()]
    assert len(every) == 8 and all(math.isfinite(v) and abs(v) <= perfmon.MAX_COUNTER_VALUE for v in every)
    (note,) = [n for n in result.notes if "skipped" in n]
    assert note.startswith("4 counter values skipped") and "line 2:" in note and "1 more" in note


def test_large_but_real_counters_are_kept():
    result = perfmon.parse(Lines("perf.csv", counter_log("68719476736")))  # 64 GB of pool
    assert not result.notes
    assert result.records[0].data.values["\\\\WEB01\\Memory\\Pool Nonpaged Bytes"] == 68719476736.0


@pytest.fixture
def bundle_with(tmp_path):
    def make(cell: str):
        folder = tmp_path / f"case-{BAD.index(cell) if cell in BAD else 'big'}"
        shutil.copytree(EXAMPLES / "connections-refused", folder)
        (folder / "attack.csv").write_text("\r\n".join(counter_log(cell, rows=6)) + "\r\n", encoding="utf-8")
        return folder
    return make


@pytest.mark.parametrize("cell", BAD + ["1e15", "-1e15"])
def test_every_form_is_written_and_none_holds_nan_or_infinity(bundle_with, cell):
    folder = bundle_with(cell)
    for form in ("text", "markdown", "html", "json"):
        code, text = run_cli("diagnose", "--format", form, str(folder))
        assert code == 0, text
        assert "nonpaged-pool-exhausted" in text or "non-paged pool is too low" in text.lower()
        assert not NON_FINITE.findall(text), [text[m.start() - 60:m.end() + 9] for m in NON_FINITE.finditer(text)][:3]
        if form == "json":
            report = strict_json(text)
            (item,) = [i for i in report["inputs"] if i["path"].endswith("attack.csv")]
            assert item["kind"] == "perfmon"
            if abs(float(cell)) > perfmon.MAX_COUNTER_VALUE or not math.isfinite(float(cell)):
                assert any("skipped" in note for note in item["notes"])
