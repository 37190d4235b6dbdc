"""Run the doctests in every engine and wizard module (parsers show real sample lines there)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import httperr_doctor.engine as engine
import httperr_doctor.wizard as wizard
from httperr_doctor.engine.rule_engines import durable_importable

# `__main__` runs the program when imported.
MODULES = sorted(m.name for package in (engine, wizard)
                 for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
                 if not m.name.endswith(".__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    if name == "httperr_doctor.engine.inference" and not durable_importable():
        pytest.skip("durable-rules is not installed here (Windows, Python 3.13+)")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
