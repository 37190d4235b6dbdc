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
    items = list(items)
    sizes = [item.size if isinstance(item, EvidenceFile) else 0 for item in items]
    total = sum(sizes)
    on_disk = [i for i, item in enumerate(items) if isinstance(item, EvidenceFile) and item.disk_path is not None]
    count = plan_workers(workers, len(on_disk), total)
    done_files = done_bytes = 0
    if progress:
        progress(Progress(0, len(items), 0, total))
    results: list[ReadFile | None] = [None] * len(items)
    folder = _Folder()
    released = 0

    def finished(index: int, item: ReadFile) -> None:
        nonlocal done_files, done_bytes, released
        results[index] = item
        done_files += 1
        done_bytes += sizes[index]
        if progress:
            progress(Progress(done_files, len(items), done_bytes, total, item.path))
        while released < len(items) and results[released] is not None:
            folder.add(results[released])
            released += 1

    def local(index: int) -> ReadFile:
        item = items[index]
        if isinstance(item, ReadFile):
            return item
        if progress:  # a big file read here moves the bar while it is read, not only when done
            item.on_bytes = lambda read_so_far: progress(Progress(
                done_files, len(items), done_bytes + min(read_so_far, sizes[index]), total, item.display_path))
        return read(item)

    if count == 1:
        if meanwhile:
            meanwhile()
        for index in range(len(items)):
            finished(index, local(index))
        return results  # type: ignore[return-value]

    # Imported only here: a one-process run (most small diagnoses) need not pay for them.
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    remote = set(on_disk)
    runs = _runs(items, on_disk, sizes)
    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        window = count * IN_FLIGHT_PER_WORKER
        position = 0
        pending: dict[Future, list[int]] = {}

        def top_up() -> None:
            # Bounded both ways: few runs parsing, few finished runs waiting for an earlier one.
            nonlocal position
            while position < len(runs) and len(pending) < window and runs[position][0] - released < 2 * window * RUN_FILES:
                run = runs[position]
                position += 1
                work = [(items[i].display_path, str(items[i].disk_path)) for i in run]
                pending[pool.submit(_read_run, work)] = run

        top_up()
        if meanwhile:
            meanwhile()
        for index in range(len(items)):
            if index not in remote:
                finished(index, local(index))
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in ready:
                run = pending.pop(future)
                try:
                    read_run = future.result()
                except Exception:  # noqa: BLE001 - a dead worker must not lose the files: read them here
                    read_run = _fold_run([local(i) for i in run])
                for index, item in zip(run, read_run):
                    finished(index, item)
            top_up()
    return results  # type: ignore[return-value]


def _fold_run(run: list[ReadFile]) -> list[ReadFile]:
    folder = _Folder()
    for item in run:
        folder.add(item)
    return run
