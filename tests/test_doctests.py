"""Run the doctests in every engine module (parsers show real sample lines there)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import httperr_doctor.engine as engine

MODULES = sorted(m.name for m in pkgutil.walk_packages(engine.__path__, "httperr_doctor.engine."))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
