"""Performance-monitor logs (typeperf CSV, relog): non-paged pool over time, queue, CPU, rejections."""
from __future__ import annotations

from datetime import datetime

from ..evidence.base import ParseResult, Record, SourceRef
from ..evidence.perfmon import PerfSample, split_counter
from ..templates import format_value, share_text
from .model import BOOL, MB, NUMBER, Context, Facts, Source, when
from .pool_rise import rise_of

# Counter names as `object\counter` (lower case); instances are matched separately.
NPP_COUNTER = ("memory", "pool nonpaged bytes")
QUEUE_COUNTER = ("http service request queues", "currentqueuesize")
REJECTED_COUNTER = ("http service request queues", "rejectedrequests")
CPU_COUNTERS = (("processor", "% processor time"), ("processor information", "% processor time"))
Sample = tuple[datetime, float, SourceRef]


def _series(records: list[Record[PerfSample]], wanted, instance: str | None = None) -> dict[str, list[Sample]]:
    """Samples per counter instance for one `(object, counter)` pair, in time order."""
    found: dict[str, list[Sample]] = {}
    for record in records:
        for path, value in record.data.items():
            parts = split_counter(path)
            if not parts or (parts["object"].lower(), parts["counter"].lower()) not in wanted:
                continue
            name = parts["instance"] or ""
            if instance is not None and name.lower() != instance:
                continue
            found.setdefault(name, []).append((record.time, value, record.source))
    for samples in found.values():
        samples.sort(key=lambda s: s[0])
    return found


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    records = [r for result in results for r in result.records]
    biases = sorted({r.data.bias_minutes for r in records})
    bias = f"PDH bias {', '.join(str(b) for b in biases)} min (UTC = local time + bias)"
    facts.time_notes.append(f"perfmon sample times converted with the file's own {bias}")
    npp = next(iter(_series(records, {NPP_COUNTER}).values()), [])
    if npp:
        _pool_facts(facts, npp, bias)
    queues = _series(records, {QUEUE_COUNTER})
    named = {k: v for k, v in queues.items() if k.lower() != "_total"} or queues
    if named:
        name, peak = max(((k, max(v, key=lambda s: s[1])) for k, v in named.items()), key=lambda item: item[1][1])
        facts.add("perf.queue_peak", peak[1], [peak[2]], f"CurrentQueueSize of {name or 'the queue'} at {when(peak[0])}")
    cpu = _series(records, set(CPU_COUNTERS), "_total")
    if cpu:
        peak = max((s for samples in cpu.values() for s in samples), key=lambda s: s[1])
        facts.add("perf.cpu_peak_pct", peak[1], [peak[2]], f"% Processor Time (_Total) at {when(peak[0])}")
    rejected = {k: v for k, v in _series(records, {REJECTED_COUNTER}).items() if k.lower() != "_total"} \
        or _series(records, {REJECTED_COUNTER})
    if rejected:
        total = sum(samples[-1][1] for samples in rejected.values())
        facts.add("perf.rejected_requests", total, [samples[-1][2] for samples in rejected.values()][:5],
                  " + ".join(f"{format_value(samples[-1][1])} ({name or 'queue'})" for name, samples in rejected.items())
                  + " at the last sample")


def _pool_facts(facts: Facts, npp: list[Sample], bias: str) -> None:
    values = [v / MB for _, v, _ in npp]
    first, last = npp[0], npp[-1]
    peak = max(npp, key=lambda s: s[1])
    facts.add("perf.npp_first_mb", values[0], [first[2]], f"{format_value(values[0])} MB at {when(first[0])}; {bias}")
    facts.add("perf.npp_last_mb", values[-1], [last[2]],
              f"Pool Nonpaged Bytes {last[1]:,.0f} = {format_value(values[-1])} MB at {when(last[0])} (last of {len(npp)} perfmon samples)")
    facts.add("perf.npp_peak_mb", peak[1] / MB, [peak[2]], f"{format_value(peak[1] / MB)} MB at {when(peak[0])}")
    growth = values[-1] - values[0]
    facts.add("perf.npp_growth_mb", growth, [first[2], last[2]],
              f"{format_value(values[-1])} MB at {when(last[0])} - {format_value(values[0])} MB at {when(first[0])}")
    _rise_facts(facts, npp, values)


def _rise_facts(facts: Facts, npp: list[Sample], values: list[float]) -> None:
    """How the pool rose (`pool_rise`): its largest fall back, how much of the growth came in
    one tenth of the capture, and whether that is a leak's steady rise."""
    first, last = npp[0], npp[-1]
    rise = rise_of([t for t, _, _ in npp], values)
    ends = [first[2], last[2]]
    span = f"{len(values)} samples over {format_value((last[0] - first[0]).total_seconds() / 3600)} h"
    facts.add("perf.npp_largest_fall_mb", rise.fall, ends, span)
    shape = f"{span}, grew {format_value(rise.growth)} MB, largest fall back {format_value(rise.fall)} MB"
    if rise.burst_share is not None:
        facts.add("perf.npp_burst_share", rise.burst_share, [npp[i][2] for i in rise.burst_samples],
                  f"rose {format_value(rise.burst)} MB between {when(rise.burst_from)} and {when(rise.burst_to)}, the "
                  f"most in any tenth of the capture, against {format_value(rise.growth)} MB from first sample to last")
        shape += f", at most {share_text(rise.burst_share)} of it in any tenth of the capture"
    facts.add("perf.npp_steady_rise", rise.steady, ends, shape)


SOURCE = Source("perfmon", ("perfmon",), {
    "perf.npp_first_mb": NUMBER, "perf.npp_last_mb": NUMBER, "perf.npp_peak_mb": NUMBER,
    "perf.npp_growth_mb": NUMBER, "perf.npp_steady_rise": BOOL, "perf.npp_largest_fall_mb": NUMBER,
    "perf.npp_burst_share": NUMBER, "perf.queue_peak": NUMBER,
    "perf.cpu_peak_pct": NUMBER, "perf.rejected_requests": NUMBER,
}, collect)
