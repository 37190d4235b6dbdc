"""Hostile inputs that try to make memory grow with distinct values, and the peak memory of a diagnosis of each.

    python bench/attack.py --size full      # the sizes of issue 16 (about 2.5 GB of files in bench/out/attack/full)
    python bench/attack.py --size small     # a few hundred thousand values each (what the tests use, smaller)

Each input is generated once (fixed contents) and then diagnosed by the real CLI,
`httperr-doctor diagnose --format json --jobs 1`, in its own process; the figure is
that process's peak resident size (`ru_maxrss` of the child), its wall time, the
report's size and the exit code.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

HEADER = ("#Software: Microsoft HTTP API 2.0\n#Version: 1.0\n#Date: 2025-03-01 00:00:00\n"
          "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename\n")


def _stamp(i: int) -> str:
    """A second of 2025-03-01 .. (a day per 86,400 lines), so lines spread over days as a long attack would."""
    day, second = divmod(i, 86_400)
    return f"2025-{3 + day // 28:02d}-{1 + day % 28:02d} {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"


def _httperr_lines(n: int, line: Callable[[int], str]) -> Iterator[str]:
    yield HEADER
    for i in range(n):
        yield f"{_stamp(i)} 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255} 5123 10.0.0.1 80 HTTP/1.1 GET {line(i)}\n"


ATTACKS: dict[str, tuple[Callable[[int], Iterator[str]], str]] = {
    "urls": (lambda n: _httperr_lines(n, lambda i: f"/probe/{i:08d}/index.php?id={i} - 1 Connection_Dropped -"),
             "HTTPERR: distinct URLs, one Connection_Dropped line each"),
    "queues": (lambda n: _httperr_lines(n, lambda i: f"/ 503 1 QueueFull Pool{i:08d}"),
               "HTTPERR: distinct queue names (QueueFull)"),
    "statuses": (lambda n: _httperr_lines(n, lambda i: f"/ {i:08d} 1 BadRequest -"),
                 "HTTPERR: distinct status values"),
    "phrases": (lambda n: _httperr_lines(n, lambda i: f"/ 400 1 Unknown_Phrase_{i:08d} -"),
                "HTTPERR: distinct reason phrases the KB does not know"),
    "malformed": (lambda n: iter([HEADER] + [f"garbage {i} that fits no layout\n" for i in range(n)]),
                  "HTTPERR: malformed lines after a header"),
    "netstat": (lambda n: iter(["Active Connections\n\n  Proto  Local Address          Foreign Address        State           PID\n"]
                               + [f"  TCP    10.0.0.1:{80 + i % 2}     10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}:{1024 + i % 60000}"
                                  f"     {('ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT')[i % 3]}     4\n" for i in range(n)]),
                "netstat -ano: rows"),
}
FILE_NAMES = {"netstat": "netstat.txt"}
SIZES = {  # distinct values per attack (issue 16's figures for "full")
    "small": {"urls": 300_000, "queues": 300_000, "statuses": 300_000, "phrases": 100_000, "malformed": 300_000,
              "netstat": 300_000, "zip": 300_000},
    "full": {"urls": 10_000_000, "queues": 3_000_000, "statuses": 3_000_000, "phrases": 100_000,
             "malformed": 8_000_000, "netstat": 5_000_000, "zip": 2_000_000},
}


def write_attack(name: str, n: int, folder: Path) -> Path:
    """The attack file (in `folder`, named as the collector names that evidence)."""
    folder.mkdir(parents=True, exist_ok=True)
    if name == "zip":
        return write_zip_with_entries(folder / "bundle.zip", n)
    path = folder / FILE_NAMES.get(name, "httperr1.log")
    produce, _ = ATTACKS[name]
    with open(path, "w", encoding="ascii", newline="") as handle:
        chunk: list[str] = []
        for line in produce(n):
            chunk.append(line)
            if len(chunk) >= 65_536:
                handle.write("".join(chunk))
                chunk.clear()
        handle.write("".join(chunk))
    return path


def write_zip_with_entries(path: Path, n: int) -> Path:
    """A stored zip of `n` empty members (Zip64 end records past 65,535), written directly, not with zipfile."""
    names = (f"HTTPERR/e{i:08d}.log".encode() for i in range(n))
    with open(path, "wb") as handle:
        for name in names:
            handle.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name)
        start = handle.tell()
        for i in range(n):
            name = f"HTTPERR/e{i:08d}.log".encode()
            handle.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, 0, 0, 0,
                                     len(name), 0, 0, 0, 0, 0, i * (30 + len(name))) + name)
        size = handle.tell() - start
        zip64_end = handle.tell()
        handle.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, size, start))
        handle.write(struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1))
        handle.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                 min(size, 0xFFFFFFFF), min(start, 0xFFFFFFFF), 0))
    return path


def measure(doctor: str, path: Path) -> dict:
    """Peak RSS (MB), wall time, report size and exit code of one diagnosis in a child process."""
    start = time.perf_counter()
    done = subprocess.run([doctor, "diagnose", "--format", "json", "--jobs", "1", str(path)],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child so far
    return {"wall_s": wall, "peak_mb": peak, "report_mb": len(done.stdout) / 2**20, "exit": done.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--only", nargs="*", choices=[*ATTACKS, "zip"], help="these attacks only")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "attack")
    parser.add_argument("--generate-only", action="store_true", help="write the inputs, measure nothing")
    parser.add_argument("--doctor", default=shutil.which("httperr-doctor", path=str(Path(sys.executable).parent)) or "httperr-doctor")
    args = parser.parse_args()
    print(f"| attack | values | file | diagnose peak RSS | wall | report | exit |\n|---|---|---|---|---|---|---|")
    for name, n in SIZES[args.size].items():
        if args.only and name not in args.only:
            continue
        folder = args.out / args.size / name
        path = next(folder.glob("*"), None) if folder.is_dir() else None
        if path is None:
            path = write_attack(name, n, folder)
        if args.generate_only:
            continue
        # Each diagnosis in a fresh helper so ru_maxrss is that diagnosis' own peak.
        child = subprocess.run([sys.executable, __file__, "--measure-one", args.doctor, str(path)],
                               capture_output=True, text=True, check=True)
        figures = eval(child.stdout)  # noqa: S307 - our own child's repr of a dict of numbers
        print(f"| {name} | {n:,} | {os.path.getsize(path) / 2**20:,.0f} MB | {figures['peak_mb']:,.0f} MB "
              f"| {figures['wall_s']:.1f} s | {figures['report_mb']:.2f} MB | {figures['exit']} |", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure-one":
        print(repr(measure(sys.argv[2], Path(sys.argv[3]))))
    else:
        main()
