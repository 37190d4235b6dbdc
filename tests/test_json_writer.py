"""The JSON report's own writer must write exactly what `json.dumps(indent=2, ensure_ascii=False)` writes."""
from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import EXAMPLES
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.render.json_report import dumps, render_json

scalars = (st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text())
keys = st.text() | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
points = st.lists(st.lists(st.text(max_size=16) | st.floats(allow_nan=True, allow_infinity=True), min_size=2, max_size=2)
                  | st.tuples(st.text(max_size=16), st.floats(allow_nan=False)))
values = st.recursive(scalars | points, lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
                      | st.dictionaries(keys, inner, max_size=5), max_leaves=40)


def standard(value) -> str:
    """What json writes, once NaN and infinite numbers (which JSON has not) are null and
    C1 controls and line separators are escaped."""
    text = json.dumps(finite(value), indent=2, ensure_ascii=False)
    return re.sub("[\x7f-\x9f\u2028\u2029]", lambda m: json.dumps(m.group(0))[1:-1], text)


def finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    return value


def strict_loads(text: str):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


@given(values)
@example([["2024-01-01 00:00", float("inf")], ["2024-01-01 00:01", float("nan")], ["x", -float("inf")], ["y", 1e300]])
@example({"points": [["2024-01-01 00:00", 2.0], ("2024-01-01 00:01", 3)], 1.5: [], None: {}, False: [[]]})
def test_writer_equals_the_standard_library(value):
    assert dumps(value) == standard(value)
    strict_loads(dumps(value))


def test_c1_controls_and_line_separators_are_escaped():
    text = dumps({"path\x85": "a\x9b31mb\u2028c\x7f"})
    assert not re.search("[\x7f-\x9f\u2028]", text)
    assert strict_loads(text) == {"path\x85": "a\x9b31mb\u2028c\x7f"}


def test_non_finite_numbers_are_written_as_null():
    text = dumps({"a": float("nan"), "b": [float("inf"), -float("inf"), 1e308], "c": [["m", float("nan")]]})
    assert strict_loads(text) == {"a": None, "b": [None, None, 1e308], "c": [["m", None]]}


@pytest.mark.parametrize("bad", [{"a": {1, 2}}, [object()], {("tuple", "key"): 1}])
def test_writer_refuses_what_json_refuses(bad):
    with pytest.raises(TypeError):
        standard(bad)
    with pytest.raises(TypeError):
        dumps(bad)


def test_report_text_is_the_standard_text():
    report = diagnose([str(EXAMPLES / "connections-refused"), str(EXAMPLES / "connection-dropped")])
    text = render_json(report)
    assert text == standard(report.model_dump(mode="json")) + "\n"
    assert '"points": [\n' in text and json.loads(text)["servers"][0]["timeline"]["series"]
