"""constraints.txt pins every package the install and the tests pull in, within pyproject's ranges."""
from __future__ import annotations

from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin (name==version)"
            found[canonicalize_name(name)] = version.strip()
    return found


def needed(extras: tuple[str, ...] = ("test",)) -> dict[str, list[Requirement]]:
    """Every requirement of httperr-doctor[test], direct and indirect, as this Python resolves markers."""
    wanted: dict[str, list[Requirement]] = {}
    queue = [(req, extras) for req in map(Requirement, metadata.requires("httperr-doctor") or [])]
    while queue:
        req, active = queue.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in active or ("",)):
            continue
        name = canonicalize_name(req.name)
        if name not in wanted:
            queue += [(Requirement(r), tuple(req.extras)) for r in metadata.requires(req.name) or []]
        wanted.setdefault(name, []).append(req)
    return wanted


def test_every_dependency_and_test_dependency_is_pinned_inside_the_declared_range():
    pinned, wanted = pins(), needed()
    durable = next(Requirement(r) for r in metadata.requires("httperr-doctor") or [] if r.startswith("durable"))
    assert {"pydantic", "pytest", "hypothesis", "pydantic-core"} <= wanted.keys()
    # durable-rules only where its marker says it builds (not Windows, not Python 3.13+), and pinned for there.
    assert ("durable-rules" in wanted) == durable.marker.evaluate() and "durable-rules" in pinned
    assert sorted(wanted.keys() - pinned.keys()) == [], "add these to constraints.txt"
    outside = [f"{name}=={pinned[name]} is outside {req}" for name, reqs in wanted.items() for req in reqs
               if not req.specifier.contains(pinned[name], prereleases=True)]
    assert outside == []


def commands(text: str, fenced: bool) -> list[str]:
    """The command lines of a script, or of a Markdown file's fenced code blocks."""
    lines, inside = [], not fenced
    for line in text.splitlines():
        if fenced and line.startswith("```"):
            inside = not inside
        elif inside and not line.lstrip().startswith("#"):
            lines.append(line)
    return lines


def test_the_readme_and_ci_install_with_the_constraints():
    readme = commands((ROOT / "README.md").read_text(encoding="utf-8"), fenced=True)
    ci = commands((ROOT / ".ci" / "run").read_text(encoding="utf-8"), fenced=False)
    installs = [line for line in readme + ci if "pip install" in line]
    assert len([line for line in readme if "pip install" in line]) >= 2 and any("pip install" in line for line in ci)
    assert all("-c constraints.txt" in line for line in installs), installs
