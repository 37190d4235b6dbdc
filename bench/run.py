"""Benchmark: a year of HTTPERR logs from a web farm, against awk counting the reason column.

One command, fixed seed, reproducible:

    python bench/run.py --size full     # 200 MB farm corpus + one 1 GB file (generated once into bench/out/)
    python bench/run.py --size ci       # a few MB, same figures; what .ci/run runs

For each data set it prints, from the same files in the same run: the full
`httperr-doctor diagnose` time (the real CLI: parse, facts, inference, report), the
time mawk takes just to count the reason column, their ratio, a naive Python loop
doing the same count, lnav's count where lnav is installed, and the diagnose
process tree's peak memory. Then `httperr-doctor --help` start-up time and, when
bench/wizard_bench.py exists, its answer-to-next-question figure.
Figures only: nothing here fails on a slow machine (the goals are in RESULTS.md).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import build  # noqa: E402

SIZES = {  # corpus MB, servers, big-file MB
    "full": (200, 4, 1024),
    "ci": (4, 2, 16),
}
AWK_COUNT = r"""
/^#Fields:/ { col = 0; for (i = 2; i <= NF; i++) if ($i == "s-reason") col = i - 1; next }
/^#/ { next }
col { n[$col]++ }
END { for (r in n) print n[r], r }
"""
NAIVE_COUNT = r"""
import sys
from collections import Counter
counts = Counter()
for name in sys.argv[1:]:
    col = None
    with open(name, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.startswith("#"):
                if line.startswith("#Fields:"):
                    names = line.split()[1:]
                    col = names.index("s-reason") if "s-reason" in names else None
                continue
            tokens = line.split()
            if col is not None and len(tokens) > col:
                counts[tokens[col]] += 1
for reason, n in counts.most_common():
    print(n, reason)
"""
LNAV_QUERY = ";SELECT s_reason, count(*) FROM w3c_log GROUP BY s_reason"


def log_files(target: Path) -> list[str]:
    return [str(p) for p in sorted(target.rglob("*.log"))] if target.is_dir() else [str(target)]


def mawk() -> tuple[str, str]:
    """mawk (Debian's default awk); installed with apt-get when missing and possible."""
    found = shutil.which("mawk")
    if not found and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "mawk"], capture_output=True)
        found = shutil.which("mawk")
    if found:
        return found, "mawk"
    return shutil.which("awk") or "awk", "awk (mawk not available)"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    return time.perf_counter() - start, done


def timed_cpu(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds (user + system, the process and its children) of one command."""
    cpu = _cpu()
    wall, done = timed(command)
    return wall, _cpu() - cpu, done


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo += [int(c) for c in handle.read().split()]
        except OSError:
            pass
    return pids


def _proc_kb(pid: int, file: str, field: str) -> int:
    """A kB figure from /proc/<pid>/<file> (`Pss:` of smaps_rollup, `VmHWM:` of status), 0 when gone."""
    try:
        with open(f"/proc/{pid}/{file}") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_measured(command: list[str], stdout, env: dict | None = None) -> dict:
    """Wall time, peak RSS of the largest process, peak PSS of the whole process tree (sampled)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cpu = _cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env)
    peak_tree = peak_process = 0
    sampling = os.path.exists(f"/proc/{proc.pid}/smaps_rollup")
    while proc.poll() is None:
        if sampling:
            tree = _tree(proc.pid)
            peak_tree = max(peak_tree, sum(_proc_kb(p, "smaps_rollup", "Pss:") for p in tree))
            # VmHWM: each process's own peak resident size so far.
            peak_process = max([peak_process, *(_proc_kb(p, "status", "VmHWM:") for p in tree)])
        time.sleep(0.02)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(command)}\n{stderr}")
    # ru_maxrss of children is the largest single process seen so far: a new high is exact;
    # otherwise the sampled VmHWM of each process (a process that lives under 20 ms is missed).
    largest = after if after > before else peak_process or None
    return {"wall_s": wall, "cpu_s": _cpu() - cpu, "max_process_rss_mb": largest / 1024 if largest else None,
            "tree_pss_mb": peak_tree / 1024 if sampling else None}


def reason_totals(lines: str) -> Counter:
    counts: Counter = Counter()
    for line in lines.splitlines():
        n, reason = line.split(None, 1)
        if reason.endswith("_Connections_Refused") and reason.split("_", 1)[0].isdigit():
            reason = "Connections_Refused"
        counts[reason] += int(n)
    return counts


LNAV_MAX_MB = 256  # lnav indexes every line in memory; on the 1 GB file it takes minutes


def bench_target(name: str, target: Path, out: Path, doctor: str, awk: tuple[str, str], naive: bool,
                 text: bool = False, repeat: int = 1, pure: bool = False) -> dict:
    """awk and diagnose run alternately `repeat` times; the medians are reported (a shared machine is noisy)."""
    files = log_files(target)
    size = sum(os.path.getsize(f) for f in files)
    subprocess.run([awk[0], AWK_COUNT, *files], capture_output=True)  # warm the page cache
    report = out / f"report-{name}.json"
    awks, runs = [], []
    for _ in range(repeat):
        awks.append(timed_cpu([awk[0], AWK_COUNT, *files]))
        with open(report, "w") as sink:
            runs.append(run_measured([doctor, "diagnose", "--format", "json", str(target)], sink))
    awk_s, awk_cpu = statistics.median(a[0] for a in awks), statistics.median(a[1] for a in awks)
    awk_done = awks[-1][2]
    wall = statistics.median(r["wall_s"] for r in runs)
    text_s = timed([doctor, "diagnose", str(target)])[0] if text else None
    rss = [r["max_process_rss_mb"] for r in runs if r["max_process_rss_mb"] is not None]
    pss = [r["tree_pss_mb"] for r in runs if r["tree_pss_mb"] is not None]
    row = {"target": name, "files": len(files), "mb": size / 2**20, "awk_s": awk_s, "awk": awk[1],
           "diagnose_json_s": wall, "diagnose_text_s": text_s,
           "diagnose_cpu_s": statistics.median(r["cpu_s"] for r in runs), "awk_cpu_s": awk_cpu,
           "ratio": statistics.median(r["wall_s"] / a[0] for r, a in zip(runs, awks)),
           "ratios": [round(r["wall_s"] / a[0], 2) for r, a in zip(runs, awks)],
           "max_process_rss_mb": max(rss, default=None), "tree_pss_mb": max(pss, default=None)}
    if pure:  # the same diagnosis without the compiled scanner (what a machine without a C compiler gets)
        with open(report, "w") as sink:
            row["pure_python_s"] = run_measured([doctor, "diagnose", "--format", "json", str(target)], sink,
                                                env={**os.environ, "HTTPERR_DOCTOR_PURE_PYTHON": "1"})["wall_s"]
    data = json.loads(report.read_text())
    ours: Counter = Counter()
    for server in data["servers"]:
        for fact, value in server["facts"].items():
            if fact.startswith("httperr.reason.") and fact.endswith(".lines"):
                ours[fact[len("httperr.reason."):-len(".lines")]] += value
    row["agrees_with_awk"] = ours == reason_totals(awk_done.stdout)
    if naive:
        row["naive_python_s"], row["naive_cpu_s"], _ = timed_cpu([sys.executable, "-c", NAIVE_COUNT, *files])
    lnav = shutil.which("lnav")
    if lnav and size <= LNAV_MAX_MB * 2**20:
        row["lnav_s"], done = timed([lnav, "-n", "-c", LNAV_QUERY, *files])
        row["lnav_ok"] = done.returncode == 0
    return row


def scanner(doctor: str) -> str:
    """Whether the measured install has the compiled HTTPERR scanner (its Python is in the script's #! line)."""
    try:
        with open(shutil.which(doctor) or doctor) as handle:
            python = handle.readline().removeprefix("#!").strip()
    except (OSError, UnicodeDecodeError):
        return "unknown"
    probe = "from httperr_doctor.engine.evidence import kernel; print('compiled' if kernel.choose() is kernel.COMPILED else 'pure Python')"
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def startup(doctor: str, runs: int = 7) -> float:
    times = [timed([doctor, "--help"])[0] for _ in range(runs)]
    return statistics.median(times)


def machine() -> dict:
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="where the corpus is generated (default bench/out, git-ignored)")
    parser.add_argument("--doctor", default=shutil.which("httperr-doctor", path=str(Path(sys.executable).parent)) or "httperr-doctor",
                        help="the httperr-doctor executable to measure (default: the one next to this Python)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive Python loop")
    parser.add_argument("--text", action="store_true", help="also time the default text report (the JSON run is the figure)")
    parser.add_argument("--repeat", type=int, default=1, help="run awk and diagnose alternately N times; print medians")
    parser.add_argument("--pure-too", action="store_true",
                        help="also time diagnose with the pure-Python HTTPERR loop (HTTPERR_DOCTOR_PURE_PYTHON=1)")
    args = parser.parse_args(argv)
    corpus_mb, servers, big_mb = SIZES[args.size]
    out = args.out / args.size
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    farm, big = build(out, corpus_mb, servers, big_mb)
    print(f"corpus ready in {time.perf_counter() - started:.1f}s under {out}")
    awk = mawk()
    info = machine()
    print(f"machine: nproc={info['nproc']}  cpu={info['cpu']}  python={info['python']}  {info['date']}")
    print(f"HTTPERR scanner: {scanner(args.doctor)}")
    rows = [bench_target(f"farm-{corpus_mb}MB", farm, out, args.doctor, awk, not args.no_naive, args.text,
                         args.repeat, args.pure_too),
            bench_target(f"single-{big_mb}MB", big, out, args.doctor, awk, not args.no_naive, args.text,
                         args.repeat, args.pure_too)]
    help_s = startup(args.doctor)

    def fmt(value, spec=".2f", suffix=""):
        return "n/a" if value is None else f"{value:{spec}}{suffix}"

    print()
    print(f"{'data set':<16} {'files':>5} {'MB':>7} {'diagnose':>9} {'awk':>7} {'ratio':>6} {'naive py':>9} "
          f"{'lnav':>7} {'max RSS':>8} {'tree PSS':>9} {'counts=awk':>10}")
    for row in rows:
        print(f"{row['target']:<16} {row['files']:>5} {row['mb']:>7.0f} {fmt(row['diagnose_json_s'], '.2f', 's'):>9} "
              f"{fmt(row['awk_s'], '.2f', 's'):>7} {fmt(row['ratio'], '.2f', 'x'):>6} {fmt(row.get('naive_python_s'), '.2f', 's'):>9} "
              f"{fmt(row.get('lnav_s'), '.1f', 's') if shutil.which('lnav') else 'absent':>7} "
              f"{fmt(row['max_process_rss_mb'], '.0f', 'MB'):>8} {fmt(row['tree_pss_mb'], '.0f', 'MB'):>9} "
              f"{'yes' if row['agrees_with_awk'] else 'NO':>10}")
    if args.repeat > 1:
        print(f"(medians of {args.repeat} alternating runs; diagnose/awk ratio of each run: "
              + "; ".join(f"{r['target']} {', '.join(map(str, r['ratios']))}" for r in rows) + ")")
    if args.pure_too:
        print("pure-Python HTTPERR loop (HTTPERR_DOCTOR_PURE_PYTHON=1): "
              + "; ".join(f"{r['target']} {r['pure_python_s']:.2f}s ({r['pure_python_s'] / r['awk_s']:.1f}x awk)" for r in rows))
    print("CPU seconds (user+system, all processes; steadier than wall time on a shared machine): "
          + "; ".join(f"{r['target']}: diagnose {r['diagnose_cpu_s']:.1f}, awk {r['awk_cpu_s']:.2f}"
                      + (f", naive {r['naive_cpu_s']:.1f}" if "naive_cpu_s" in r else "") for r in rows))
    texts = ", ".join(f"{r['target']} {r['diagnose_text_s']:.2f}s" for r in rows if r["diagnose_text_s"] is not None)
    print(f"(diagnose = `httperr-doctor diagnose --format json`, all of it: parse, facts, rules, report"
          + (f"; text form: {texts}" if texts else "") + f"; awk = {awk[1]} count of s-reason;"
          f" lnav only up to {LNAV_MAX_MB} MB; max RSS = largest single process, tree PSS = all processes together)")
    print(f"httperr-doctor --help: {help_s * 1000:.0f} ms (median of 7)")
    wizard = HERE / "wizard_bench.py"
    result = {"machine": info, "size": args.size, "rows": rows, "help_s": help_s}
    if wizard.exists():
        done = subprocess.run([sys.executable, str(wizard)], capture_output=True, text=True)
        print("wizard (bench/wizard_bench.py):", (done.stdout.strip() or done.stderr.strip()[-500:]))
        result["wizard"] = done.stdout.strip()
    else:
        print("wizard: bench/wizard_bench.py not present")
    (out / "results.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
