"""Everything that makes a one-command process start fast, in one place at the CLI edge.

- Lazy imports: `cli.py` imports only argparse, os and sys at the top; each command
  imports what it uses when it runs, and each report form only its own renderer
  (`render_report`): rich alone costs about 0.1 s, which a `--format json` run in a
  script should not pay.
- The knowledge base comes from its validated cache (`default_kb`, engine/kbcache.py),
  so a warm run never imports the YAML parser or re-validates ~300 files.
- Reading comes first: while the workers parse, `prepare_diagnosis` imports the rest of
  the engine, loads the KB and compiles its rules. Those objects live as long as the
  process, so the cycle collector is paused meanwhile and, in a process started for
  this one command, they are then frozen (gc.freeze) out of every later collection and
  of the collection at exit (a small diagnosis: 8% fewer instructions, ~20% less time,
  the collector's walks being all cache misses). Not when `main()` is called in-process
  (tests): freezing would also keep that caller's garbage.
- The diagnosis and the report form run with the collector paused too
  (`collector_paused`), in a one-command process only.
- The wizard freezes what lives for its whole session (the KB, the evidence read, the
  compiled rule engines) each time it has built more of it (`session_heap_settled`):
  a full collection during the interview then walks only the interview's own objects.
  Unfrozen, one of those collections fell inside an answer-to-next-question step and
  took it to about 50 ms (bench/wizard_bench.py).
"""
from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager


def prepare_diagnosis(process_start: bool = False) -> None:
    """Import the engine, load the KB and compile its rules, with the collector paused."""
    paused = gc.isenabled()
    gc.disable()
    try:
        from httperr_doctor.engine.diagnosis import prepare

        prepare()
    finally:
        if process_start:
            gc.freeze()
        if paused:
            gc.enable()


def session_heap_settled() -> None:
    """The wizard's long-lived objects leave the collector's walks (a one-command process only)."""
    gc.freeze()


@contextmanager
def collector_paused(process_start: bool):
    """The cycle collector paused while a one-command process diagnoses and writes its report.

    That work builds hundreds of thousands of short-lived objects and hardly a cycle
    (about 300 collections, 10 ms on a farm's year); the process ends right after. Not
    when `main()` is called in-process (tests): their garbage is theirs to collect.
    """
    paused = process_start and gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def colour_terminal(output: str | None) -> bool:
    """Colour only for a person at a terminal: not into files or pipes, not with NO_COLOR (no-color.org)."""
    return (output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb")


def render_report(report, form: str, steps: int, output: str | None, redacted: bool = False) -> str:
    """The report in `form`, importing only that form's renderer."""
    if redacted:
        from httperr_doctor.engine.redact import redact

        report = redact(report)
    if form == "html":
        from httperr_doctor.engine.render.html import render_html

        return render_html(report, top_steps=max(steps, 3))
    if form == "json":
        from httperr_doctor.engine.render.json_report import render_json

        return render_json(report)
    if form == "markdown":
        from httperr_doctor.engine.render.markdown import render_markdown

        return render_markdown(report, top_steps=steps)
    import shutil

    if colour_terminal(output):
        from httperr_doctor.engine.render.terminal import render_terminal

        return render_terminal(report, top_steps=steps, width=min(shutil.get_terminal_size().columns, 120))
    from httperr_doctor.engine.render.text import render_text

    # Folded to a terminal's width; into a file or a pipe not at all (the reader's tool wraps).
    on_terminal = output is None and sys.stdout.isatty()
    return render_text(report, top_steps=steps, width=shutil.get_terminal_size().columns - 1 if on_terminal else None)
