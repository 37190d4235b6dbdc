"""Run the doctests in every engine module (parsers show real sample lines there)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import httperr_doctor.engine as engine
from httperr_doctor.engine.rule_engines import durable_importable

MODULES = sorted(m.name for m in pkgutil.walk_packages(engine.__path__, "httperr_doctor.engine."))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    if name == "httperr_doctor.engine.inference" and not durable_importable():
        pytest.skip("durable-rules is not installed here (Windows, Python 3.13+)")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
