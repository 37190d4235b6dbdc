"""Benchmark: reading one large perfmon (PDH-CSV) log, the way `diagnose` reads it.

A week of 15-second samples of twelve counters (about 40,000 rows, 20 MB) is written
once into bench/out/ with a fixed seed; then the file is read and parsed (reader plus
parser, no facts) a few times and the best time and the peak memory are printed.

    python bench/perfmon_bench.py            # a week (40,320 rows)
    python bench/perfmon_bench.py --days 28  # four weeks

Figures only: nothing here fails on a slow machine (results go in RESULTS.md).
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
COUNTERS = [
    r"\\WEB01\Memory\Pool Nonpaged Bytes",
    r"\\WEB01\Memory\Pool Paged Bytes",
    r"\\WEB01\Memory\Available MBytes",
    r"\\WEB01\Processor(_Total)\% Processor Time",
    r"\\WEB01\HTTP Service Request Queues(DefaultAppPool)\CurrentQueueSize",
    r"\\WEB01\HTTP Service Request Queues(DefaultAppPool)\RejectedRequests",
    r"\\WEB01\HTTP Service Request Queues(Shop)\CurrentQueueSize",
    r"\\WEB01\HTTP Service Request Queues(Shop)\RejectedRequests",
    r"\\WEB01\Web Service(_Total)\Current Connections",
    r"\\WEB01\TCPv4\Connections Established",
    r"\\WEB01\Process(w3wp)\Private Bytes",
    r"\\WEB01\Process(w3wp)\Handle Count",
]


def build(days: int) -> Path:
    """The log file, generated once per size (a blank cell now and then, as PDH writes)."""
    path = HERE / "out" / f"perfmon-{days}d.csv"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(13)
    start = datetime(2026, 3, 2, 0, 0, 0)
    with path.open("w", encoding="utf-8", newline="\r\n") as out:
        out.write(",".join(f'"{c}"' for c in ['(PDH-CSV 4.0) (Eastern Standard Time)(300)', *COUNTERS]) + "\n")
        npp = 96e6
        for i in range(days * 24 * 240):
            at = start + timedelta(seconds=15 * i)
            npp += rng.uniform(-2e4, 3e4)
            cells = [f"{npp:.6f}"] + [f"{rng.uniform(0, 5e8):.6f}" for _ in COUNTERS[1:]]
            if rng.random() < 0.001:
                cells[rng.randrange(len(cells))] = " "
            out.write(",".join(f'"{c}"' for c in [at.strftime("%m/%d/%Y %H:%M:%S.%f")[:-3], *cells]) + "\n")
    return path


def read_once(path: Path):
    from httperr_doctor.engine.evidence import read
    from httperr_doctor.engine.evidence.reader import EvidenceFile

    done = read(EvidenceFile.from_path(path))
    assert done.kind == "perfmon", done.error
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = build(args.days)
    times = []
    for _ in range(args.runs):
        began = time.perf_counter()
        done = read_once(path)
        times.append(time.perf_counter() - began)
    tracemalloc.start()
    read_once(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows = len(done.result.records)
    size = path.stat().st_size / 1e6
    print(f"{path.name}: {size:.1f} MB, {rows:,} rows x {len(COUNTERS)} counters")
    print(f"read+parse best of {args.runs}: {min(times):.2f} s ({rows / min(times):,.0f} rows/s); "
          f"traced peak {peak / 1e6:.0f} MB; process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
