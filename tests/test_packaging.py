"""What `pip install .` (not editable) ships: every package folder, and durable-rules only where it builds."""
from __future__ import annotations

import tomllib

from conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_folder_is_in_the_wheel():
    """An editable install finds any folder; a wheel only the packages pyproject lists."""
    setuptools = PYPROJECT["tool"]["setuptools"]
    folders = {}
    for name, folder in setuptools["package-dir"].items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            inside = init.parent.relative_to(ROOT / folder).parts
            folders[".".join((name, *inside))] = init.parent
    assert "httperr_doctor.engine.evidence" in folders
    assert sorted(folders) == sorted(setuptools["packages"])


def test_durable_rules_is_required_only_where_it_builds():
    from packaging.requirements import Requirement

    durable = [Requirement(r) for r in PYPROJECT["project"]["dependencies"] if r.startswith("durable-rules")]
    assert len(durable) == 1 and str(durable[0].specifier) == "==2.0.28"
    where = {(system, python): durable[0].marker.evaluate({"platform_system": system, "python_version": python})
             for system in ("Linux", "Darwin", "Windows") for python in ("3.11", "3.12", "3.13", "3.14")}
    assert {key for key, needed in where.items() if needed} == {
        ("Linux", "3.11"), ("Linux", "3.12"), ("Darwin", "3.11"), ("Darwin", "3.12")}
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
