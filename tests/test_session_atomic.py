"""A wizard session file survives a crash or Ctrl-C at any point of a save: old or new, never half.

tests/test_wizard.py covers a failing `os.replace`; here Ctrl-C lands inside the write,
the fsync and the replace, and a real process is killed (SIGKILL) while saving in a loop.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from httperr_doctor.wizard.session import Answer, Session, load_session, save_session


def big_session(n: int) -> Session:
    return Session(evidence=[f"evidence-{n}"], answers=[Answer("npp_used", "memory.npp_used_mb", n),
                                                        Answer("notes", "notes", "x" * 200_000 + str(n))])


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_ctrl_c_during_save_keeps_the_old_session(tmp_path, monkeypatch, where):
    path = save_session(big_session(1), tmp_path / "session.yaml")
    before = path.read_bytes()
    real_fdopen = os.fdopen

    def interrupt(*_args, **_kwargs):
        raise KeyboardInterrupt

    if where == "write":
        class HalfThenCtrlC:
            def __init__(self, stream):
                self.stream = stream

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.stream.close()

            def write(self, text):
                self.stream.write(text[: len(text) // 2])
                self.stream.flush()
                raise KeyboardInterrupt

        monkeypatch.setattr(os, "fdopen", lambda *a, **k: HalfThenCtrlC(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(os, where, interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_session(big_session(2), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_session(path).known()["memory.npp_used_mb"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["session.yaml"]


SAVER = """
import sys
from httperr_doctor.wizard.session import Answer, Session, save_session
path, n = sys.argv[1], 1
while True:
    n += 1
    save_session(Session(evidence=[f"evidence-{n}"], answers=[Answer("npp_used", "memory.npp_used_mb", n),
                 Answer("notes", "notes", "x" * 200_000 + str(n))]), path)
    print("saved", flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_while_saving_leaves_a_readable_session(tmp_path):
    path = tmp_path / "session.yaml"
    save_session(big_session(1), path)
    chance = random.Random(8)
    for _ in range(3):
        saver = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert saver.stdout.readline() == "saved\n"  # then killed at a random point of a later save
            time.sleep(chance.uniform(0.0, 0.3))
        finally:
            saver.send_signal(signal.SIGKILL)
            saver.wait(timeout=30)
            saver.stdout.close()
        loaded = load_session(path)
        n = loaded.known()["memory.npp_used_mb"]
        assert [Path(e).name for e in loaded.evidence] == [f"evidence-{n}"]
        assert loaded.known()["notes"] == "x" * 200_000 + str(n)
    assert n > 1, "the saver never completed a save; the test proved nothing"
