"""Shared fixtures: paths to the example bundles and real samples, a CLI runner, and
the JSON Schema check that every JSON report the test-suite produces goes through."""
from __future__ import annotations

import fnmatch
import functools
import io
import json
import os
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from httperr_doctor.engine.render import json_report
from httperr_doctor.wizard.cli import main

# Property tests: modest and repeatable by default (the suite runs on a 2-core CI box);
# `HYPOTHESIS_PROFILE=fuzz` for the long randomised run (bench/RESULTS.md, "Fuzzing").
_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
# Derandomized runs keep no example database; the fuzz profile keeps its finds in the
# repository's git-ignored .hypothesis/, wherever pytest was started from.
settings.register_profile("default", max_examples=25, deadline=None, derandomize=True, database=None,
                          suppress_health_check=_QUIET)
settings.register_profile("fuzz", max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "20000")),
                          deadline=None, suppress_health_check=_QUIET,
                          database=DirectoryBasedExampleDatabase(Path(__file__).resolve().parent.parent / ".hypothesis" / "examples"))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The validated-KB cache (engine/kbcache.py) of this test session, not the user's; set
# before any test module loads the KB, and inherited by CLI subprocesses.
_KB_CACHE = tempfile.TemporaryDirectory(prefix="httperr-doctor-test-cache-")
os.environ["XDG_CACHE_HOME"] = _KB_CACHE.name
os.environ.pop("HTTPERR_DOCTOR_NO_CACHE", None)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = FIXTURES / "real"


def _ignored_patterns(root: Path) -> list[str]:
    lines = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")] + [".git"]


def repo_listing(root: Path = ROOT) -> set[str]:
    """Every file and folder of a checkout (relative), less what its .gitignore leaves to tools."""
    ignored = _ignored_patterns(root)
    found, folders = set(), [root]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                relative = Path(entry.path).relative_to(root).as_posix()
                if any(fnmatch.fnmatch(entry.name, p) or fnmatch.fnmatch(relative, p) for p in ignored):
                    continue
                found.add(relative)
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
    return found


def added_to_checkout(before: set[str], root: Path = ROOT) -> list[str]:
    """What the checkout holds now that it did not in `before` (git-ignored files aside)."""
    return [f"checkout: {p}" for p in sorted(repo_listing(root) - before)]


def left_in(workdir: Path) -> list[str]:
    """What a test left in the working folder it started in."""
    return [f"current folder: {p.name}" for p in sorted(workdir.iterdir())]


def stray_writes(workdir: Path, before: set[str], root: Path = ROOT) -> list[str]:
    """What a test left in its working folder or added to the checkout since `before`."""
    return left_in(workdir) + added_to_checkout(before, root)


@pytest.fixture(autouse=True)
def _tests_write_only_under_their_temporary_folders(tmp_path_factory, monkeypatch):
    """A test runs in an empty folder of its own and fails if it leaves anything there.

    A wizard test once saved its session as `Skip` (a scripted reply that reached the
    "Save as:" prompt) in whatever folder pytest was started from, and it was committed.
    """
    workdir = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(workdir)
    yield
    left = left_in(workdir)
    assert not left, "the test wrote outside tmp_path:\n  " + "\n  ".join(left)


@pytest.fixture(autouse=True, scope="session")
def _the_suite_adds_nothing_to_the_checkout():
    """The checkout compared once over the whole run, not around each test.

    The checkout is shared with whoever works in it: a file added while the suite runs (a
    module saved in an editor, a cherry-pick) would be blamed on whichever test happened to
    be running, a failure that does not come back on a rerun. Over the whole run the
    message can name both ways the file can have got there. It also spares each test two
    walks of the checkout (about 1,200 entries, some 20 ms of CPU each).
    """
    before = repo_listing()
    yield
    added = added_to_checkout(before)
    assert not added, ("the checkout gained files while the suite ran: a test wrote them outside tmp_path, "
                       "or someone working in this checkout added them meanwhile (then run the suite again):\n  "
                       + "\n  ".join(added))


@functools.cache
def report_validator() -> jsonschema.Draft202012Validator:
    """The published schema (`httperr-doctor schema`), itself checked to be a valid schema."""
    schema = json.loads(json_report.json_schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid_report(report: dict | str) -> dict:
    """Fail with every schema violation if `report` (JSON text or parsed) breaks the contract."""
    data = json.loads(report) if isinstance(report, str) else report
    errors = sorted(report_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "JSON report breaks its schema:\n" + "\n".join(
        f"  {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in errors[:20])
    return data


@pytest.fixture(autouse=True)
def _every_json_report_is_checked_against_the_schema(monkeypatch):
    """Every JSON report rendered in-process during any test is validated as it is made.

    The renderer is swapped wherever a module of ours holds it (`from ... import
    render_json` binds it in the importing module too, e.g. the wizard).
    """
    original = json_report.render_json

    def checked(report, *args, **kwargs):
        text = original(report, *args, **kwargs)
        assert_valid_report(text)
        return text

    for name, module in list(sys.modules.items()):
        if name.startswith("httperr_doctor.") and getattr(module, "render_json", None) is original:
            monkeypatch.setattr(module, "render_json", checked)


def run_cli(*argv: str) -> tuple[int, str]:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(list(argv))
    return code, buffer.getvalue()


def diagnose_json(*paths: Path | str) -> dict:
    code, text = run_cli("diagnose", "--format", "json", *map(str, paths))
    assert code == 0, text
    return assert_valid_report(text)


@pytest.fixture
def cli():
    return run_cli
