"""Shared fixtures: paths to the example bundles and real samples, and a CLI runner."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from httperr_doctor.wizard.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = FIXTURES / "real"


def run_cli(*argv: str) -> tuple[int, str]:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(list(argv))
    return code, buffer.getvalue()


def diagnose_json(*paths: Path | str) -> dict:
    code, text = run_cli("diagnose", "--format", "json", *map(str, paths))
    assert code == 0, text
    return json.loads(text)


@pytest.fixture
def cli():
    return run_cli
