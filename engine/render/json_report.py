"""The JSON form: the report model as is, stable key order, UTF-8."""
from __future__ import annotations

import json

from ..report import Report


def render_json(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def json_schema() -> str:
    return json.dumps(Report.model_json_schema(), indent=2) + "\n"
