"""The test-suite's own guard: a test that writes outside tmp_path fails (tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

from conftest import ROOT, repo_listing, stray_writes
from httperr_doctor.wizard.session import Session, save_session


def test_each_test_starts_in_an_empty_folder_of_its_own(tmp_path):
    here = Path.cwd()
    assert here not in (ROOT, tmp_path) and ROOT not in here.parents and not any(here.iterdir())


def test_a_session_saved_under_a_relative_name_is_caught():
    # How `Skip` reached the repository: a scripted reply answered "Save as:" with a relative name.
    before = repo_listing()
    saved = save_session(Session(evidence=["bundle"]), Path("Skip"))
    try:
        assert stray_writes(Path.cwd(), before) == ["current folder: Skip"]
    finally:
        saved.unlink()
    assert stray_writes(Path.cwd(), before) == []


def test_a_file_added_to_the_checkout_is_caught_unless_git_ignores_it(tmp_path):
    checkout, workdir = tmp_path / "checkout", tmp_path / "cwd"
    (checkout / "tests").mkdir(parents=True)
    workdir.mkdir()
    (checkout / ".gitignore").write_text("__pycache__/\nbench/out/\n*.pyc\n")
    (checkout / "README.md").write_text("x")
    before = repo_listing(checkout)
    for name in ("tests/report.txt", "False", "bench/out/run.json", "tests/__pycache__/x.pyc", "a.pyc"):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text("x")
    assert stray_writes(workdir, before, checkout) == ["checkout: False", "checkout: bench", "checkout: tests/report.txt"]
