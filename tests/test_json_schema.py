"""The published JSON Schema (`httperr-doctor schema`) and the check every JSON report goes through."""
from __future__ import annotations

import json
import sys

import pytest

from conftest import EXAMPLES, assert_valid_report, run_cli
from httperr_doctor.engine.render import json_report


def test_schema_command_prints_the_schema_the_tests_use():
    code, out = run_cli("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema == json.loads(json_report.json_schema())
    assert schema["additionalProperties"] is False  # unknown fields are contract breaks, not noise
    assert {"timeline", "time_zone"} <= set(schema["$defs"]["ServerDiagnosis"]["properties"])
    assert {"incidents", "incidents_found"} <= set(schema["$defs"]["Timeline"]["properties"])  # added in 1.1
    assert set(schema["$defs"]["Incident"]["required"]) == {"start", "end", "reasons", "entries", "window_start", "window_end"}
    assert "redacted" in schema["properties"]
    assert {"next_steps"} <= set(schema["properties"]) & set(schema["$defs"]["ServerDiagnosis"]["properties"])  # added in 1.2
    assert {"how", "asks", "tells_apart", "why", "separation"} <= set(schema["$defs"]["NextStep"]["required"])
    assert "step" in schema["$defs"]["Need"]["properties"]
    assert "symptom_evidence" in set(schema["properties"]) & set(schema["$defs"]["ServerDiagnosis"]["properties"])  # added in 1.4


def test_a_long_span_report_carries_its_incident_windows_and_says_schema_1_4():
    from test_timeline import LONG_SPAN

    _, out = run_cli("diagnose", "-f", "json", *LONG_SPAN)
    data = assert_valid_report(out)
    assert data["schema_version"] == "1.4"
    assert data["symptom_evidence"] is True and data["servers"][0]["symptom_evidence"] is True  # the field 1.4 adds
    assert "ip-listen-list-excludes-site" in data["servers"][0]["not_evaluated"]  # the cause id 1.3 adds
    assert any(i["host_reason"] for i in data["inputs"])  # and the field: why a file that names no server went to WEB01
    timeline = data["servers"][0]["timeline"]
    assert timeline["bucket_minutes"] == 1440 and timeline["incidents_found"] == 1
    incident = timeline["incidents"][0]
    assert (incident["start"], incident["end"], incident["reasons"]) == ("2007-11-13 20:01", "2007-11-13 20:31", ["Connections_Refused"])
    minutes = [point[0] for s in incident["series"] for point in s["points"]]
    assert min(minutes) == incident["window_start"] and max(minutes) == incident["window_end"]


def test_every_bound_json_renderer_is_the_checking_one():
    import httperr_doctor.wizard.interactive  # noqa: F401 - imports render_json by name

    bound = [m for n, m in sys.modules.items() if n.startswith("httperr_doctor.") and hasattr(m, "render_json")]
    assert bound and all(m.render_json.__name__ == "checked" for m in bound)


def test_the_check_catches_a_broken_report():
    _, out = run_cli("diagnose", "-f", "json", str(EXAMPLES / "connection-dropped"))
    data = json.loads(out)
    data["causes"][0]["confidence"] = 1.5
    data["servers"][0]["surprise"] = True
    with pytest.raises(AssertionError, match="confidence|surprise"):
        assert_valid_report(data)
