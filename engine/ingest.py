"""Read many evidence files on every core, in input order, in flat memory.

A web farm keeps thousands of rolled HTTPERR files. Each file is parsed on its own
(in a pool of worker processes when there is enough to read) into a mergeable
aggregate; results are taken back in input order, and consecutive files of the
same kind from the same folder are folded into one aggregate as they arrive, so
memory follows the number of servers, not the number of files. Folding is the
same `merge` `derive_facts` would do later, in the same order, so the parallel and
the single-process paths give equal results (tests/test_ingest.py). Workers take
runs of consecutive files of one folder and fold them themselves, so what comes
back to this process (pickled) is one aggregate per run, not one per file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Callable, Iterable

from .evidence import EvidenceFile, ReadFile, iter_files, read

# Below this much data, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
IN_FLIGHT_PER_WORKER = 2
# A worker's run of files: enough to make shipping its aggregate back cheap, small
# enough that the cores share the work evenly and progress moves.
RUN_FILES = 16
RUN_BYTES = 24 * 1024 * 1024


@dataclass(frozen=True)
class Progress:
    """How far reading the evidence has got; handed to the `progress` callback.

    The callback is called once before the first file (nothing done yet), after
    each file, and while a file read in this process streams (after each block, with
    `files_done` unchanged). Front ends draw it; the engine itself never prints.
    """

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    path: str = ""


ProgressCallback = Callable[[Progress], None]


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def plan_workers(requested: int | None, files: int, total_bytes: int) -> int:
    """Worker processes to use: `requested` if given, else all cores when there is enough to read."""
    if requested is not None:
        return max(1, min(requested, files or 1))
    if files < 2 or total_bytes < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(usable_cpus(), files))


def _read_run(run: list[tuple[str, str]]) -> list[ReadFile]:
    """Parse consecutive files of one folder in a worker and fold them as `read_files` would."""
    return _fold_run([read(EvidenceFile.from_path(Path(path), display)) for display, path in run])


def _runs(items: list, on_disk: list[int], sizes: list[int]) -> list[list[int]]:
    """`on_disk` cut into runs of consecutive indexes of one folder, bounded in files and bytes."""
    runs: list[list[int]] = []
    for index in on_disk:
        run = runs[-1] if runs else None
        if (run and run[-1] == index - 1 and len(run) < RUN_FILES and sum(sizes[i] for i in run) < RUN_BYTES
                and _same_folder(items[run[0]].display_path, items[index].display_path)):
            run.append(index)
        else:
            runs.append([index])
    return runs


def _same_folder(one: str, other: str) -> bool:
    """Files fold together only within one folder (a server's logs): runs are cut the same way."""
    return PurePath(one).parent == PurePath(other).parent


class _Folder:
    """Folds the stats of consecutive same-kind files of one folder into the first one's result."""

    def __init__(self) -> None:
        self.head: ReadFile | None = None

    def add(self, item: ReadFile) -> None:
        result = item.result
        stats = getattr(result, "stats", None)
        if stats is None or not callable(getattr(stats, "merge", None)):
            return
        if result.folded_records is None:  # set already when a worker folded its run
            result.folded_records = _records(result)
        head = self.head
        if (head is not None and head.kind == item.kind and type(head.result.stats) is type(stats)
                and _same_folder(head.path, item.path)):
            result.stats = None
            head.result.stats.merge(stats)
            return
        result.stats = type(stats)().merge(stats)
        self.head = item


def _records(result) -> int:
    stats = result.stats
    return getattr(stats, "records", None) or getattr(stats, "requests", None) or len(result.records)


def read_inputs(paths: list[str], progress: ProgressCallback | None = None, workers: int | None = None,
                meanwhile: Callable[[], object] | None = None) -> list[ReadFile]:
    """Parse every file under `paths` (on all cores when there is a lot); `progress` hears about each file."""
    return read_files(iter_files(paths), workers, progress, meanwhile)


def read_files(items: Iterable[EvidenceFile | ReadFile], workers: int | None = None,
               progress: ProgressCallback | None = None,
               meanwhile: Callable[[], object] | None = None) -> list[ReadFile]:
    """Parse every file, in order. `meanwhile` runs in this process while workers parse."""
    reading = _Reading(list(items), progress)
    count = plan_workers(workers, len(reading.on_disk), reading.total)
    if count == 1:
        if meanwhile:
            meanwhile()
        for index in range(len(reading.items)):
            reading.finished(index, reading.local(index))
        return reading.results  # type: ignore[return-value]
    return reading.in_workers(count, meanwhile)


class _Reading:
    """One `read_files` call: results in input order, progress, and the folding of each folder's files."""

    def __init__(self, items: list[EvidenceFile | ReadFile], progress: ProgressCallback | None):
        self.items, self.progress = items, progress
        self.sizes = [item.size if isinstance(item, EvidenceFile) else 0 for item in items]
        self.total = sum(self.sizes)
        self.on_disk = [i for i, item in enumerate(items) if isinstance(item, EvidenceFile) and item.disk_path is not None]
        self.done_files = self.done_bytes = self.released = 0
        self.results: list[ReadFile | None] = [None] * len(items)
        self.folder = _Folder()
        if progress:
            progress(Progress(0, len(items), 0, self.total))

    def finished(self, index: int, item: ReadFile) -> None:
        """A file is read: report it, and fold every file up to the first one still being read."""
        self.results[index] = item
        self.done_files += 1
        self.done_bytes += self.sizes[index]
        if self.progress:
            self.progress(Progress(self.done_files, len(self.items), self.done_bytes, self.total, item.path))
        while self.released < len(self.items) and self.results[self.released] is not None:
            self.folder.add(self.results[self.released])
            self.released += 1

    def local(self, index: int) -> ReadFile:
        """The file read in this process."""
        item, progress = self.items[index], self.progress
        if isinstance(item, ReadFile):
            return item
        if progress:  # a big file read here moves the bar while it is read, not only when done
            item.on_bytes = lambda read_so_far: progress(Progress(
                self.done_files, len(self.items), self.done_bytes + min(read_so_far, self.sizes[index]), self.total,
                item.display_path))
        return read(item)

    def in_workers(self, count: int, meanwhile: Callable[[], object] | None) -> list[ReadFile]:
        """Files on disk read by `count` worker processes in runs; the others (zip members) here."""
        # Imported only here: a one-process run (most small diagnoses) need not pay for them.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            runs = _Runs(pool, _runs(self.items, self.on_disk, self.sizes), count, self)
            runs.top_up()
            if meanwhile:
                meanwhile()
            remote = set(self.on_disk)
            for index in range(len(self.items)):
                if index not in remote:
                    self.finished(index, self.local(index))
            runs.collect()
        return self.results  # type: ignore[return-value]


class _Runs:
    """Runs of files handed to the workers, bounded both ways: few runs parsing, few finished
    runs waiting for an earlier one."""

    def __init__(self, pool, runs: list[list[int]], count: int, reading: _Reading):
        self.pool, self.runs, self.reading = pool, runs, reading
        self.window = count * IN_FLIGHT_PER_WORKER
        self.position = 0
        self.pending: dict = {}

    def top_up(self) -> None:
        items, released = self.reading.items, self.reading.released
        while (self.position < len(self.runs) and len(self.pending) < self.window
               and self.runs[self.position][0] - released < 2 * self.window * RUN_FILES):
            run = self.runs[self.position]
            self.position += 1
            work = [(items[i].display_path, str(items[i].disk_path)) for i in run]
            self.pending[self.pool.submit(_read_run, work)] = run

    def collect(self) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait

        reading = self.reading
        while self.pending:
            ready, _ = wait(self.pending, return_when=FIRST_COMPLETED)
            for future in ready:
                run = self.pending.pop(future)
                try:
                    read_run = future.result()
                except Exception:  # noqa: BLE001 - a dead worker must not lose the files: read them here
                    read_run = _fold_run([reading.local(i) for i in run])
                for index, item in zip(run, read_run):
                    reading.finished(index, item)
            self.top_up()


def _fold_run(run: list[ReadFile]) -> list[ReadFile]:
    folder = _Folder()
    for item in run:
        folder.add(item)
    return run
