"""The progress bar shown while evidence is read (files and bytes), on a terminal only.

The engine reports progress through a callback (`diagnose(progress=...)`) and never
prints; this module draws it with rich on standard error, and draws nothing when
standard error is not a terminal (pipes, CI, files), so captured output stays clean.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import IO, Iterator

from httperr_doctor.engine.ingest import Progress, ProgressCallback


@contextmanager
def reading_progress(stream: IO[str]) -> Iterator[ProgressCallback | None]:
    """A callback drawing a transient bar on `stream`, or None when `stream` is no terminal."""
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress as Bar, TextColumn, TimeRemainingColumn

    console = Console(file=stream, highlight=False, markup=False)
    with Bar(TextColumn("reading evidence"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[files]}"),
             TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task("read", total=None, files="")

        def update(event: Progress) -> None:
            bar.update(task, total=max(event.bytes_total, 1), completed=event.bytes_done,
                       files=f"{event.files_done}/{event.files_total} files")

        yield update
