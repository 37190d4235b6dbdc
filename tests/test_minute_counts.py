"""MinuteCounts keeps quiet (reason, day) pairs in a sparse form: every read must give
the same answer as the dense form and as a plain Counter of the same entries."""
from __future__ import annotations

import pickle
from array import array
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from httperr_doctor.engine.evidence import httperr
from httperr_doctor.engine.evidence.httperr import HttpErrStats
from httperr_doctor.engine.evidence.minutes import SPARSE_BELOW, MinuteCounts, minute_number, text_of_minute

REASONS = ("Connection_Dropped", "Timer_ConnectionIdle", "Connections_Refused")
DAYS = ("2024-02-28", "2024-02-29", "2024-03-01")
CLOCK = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]

# One entry: (reason, day, slot or None for an odd "99:99" stamp, first minute's count, how many minutes in a row).
# Runs of minutes make some days busy enough to stay dense; counts up to 70,000 overflow uint16.
entry = st.tuples(st.sampled_from(REASONS), st.sampled_from(DAYS), st.one_of(st.none(), st.integers(0, 1439)),
                  st.one_of(st.integers(0, 9), st.integers(60_000, 70_000)), st.sampled_from([1, 1, 1, 5, 800]))


def expand(entries):
    for reason, day, slot, n, run in entries:
        if slot is None:
            yield reason, f"{day} 99:99", n
            continue
        for at in range(slot, min(slot + run, 1440)):
            yield reason, f"{day} {CLOCK[at]}", n + at % 3


def filled(adds) -> MinuteCounts:
    counts = MinuteCounts()
    for reason, minute, n in adds:
        counts.add(reason, minute, n)
    return counts


def reads(counts: MinuteCounts, kernel=None) -> dict:
    """Everything a reader can ask of MinuteCounts (with `kernel` where a read goes through one)."""
    per_reason = {r: (counts.peak(r), counts.minutes(r),
                      [counts.buckets(r, minute_number(f"{DAYS[0]} 00:00") - shift, width, kernel)
                       for width, shift in ((1, 0), (5, 3), (360, 7), (1440, 0), (1440, 61))])
                  for r in REASONS}
    per_reason["all"] = [counts.buckets_by_reason(minute_number(f"{DAYS[0]} 00:00") - shift, width, kernel=kernel)
                         for width, shift in ((30, 5), (720, 0), (1440, 0), (1440, 61))]
    sets = [frozenset(REASONS[:2]), frozenset(REASONS[1:2]), frozenset(REASONS), frozenset({"Not_Logged"})]
    per_reason["window_peaks"] = [counts.window_peaks(sets, width, kernel) for width in (10, 60, 1440)]
    for width, peaks in zip((10, 60, 1440), per_reason["window_peaks"]):
        summed = [Counter() for _ in sets]
        for total, reasons in zip(summed, sets):
            for reason in reasons:
                total.update(counts.buckets(reason, 0, width, kernel))
        assert peaks == [max(total.values(), default=0) for total in summed]
    per_reason["peaks"] = {r: n for r, n in counts.peaks(kernel).items()}
    assert per_reason["peaks"] == {r: counts.peak(r) for r in counts.reasons() | set(per_reason["peaks"])}
    start = minute_number(f"{DAYS[0]} 00:00")
    for origin, width, count in ((start, 60, 72), (start + 7, 60, 30), (start - 120, 1440, 2)):
        arrays, total = counts.bucket_arrays(origin, width, count, kernel)
        inside = lambda m: origin <= m < origin + width * count  # noqa: E731
        assert set(arrays) == {reason for reason, _ in [*counts.days, *counts.sparse]}
        for reason, found in arrays.items():
            wanted = counts.buckets(reason, origin, width, kernel)
            assert {origin + width * i: n for i, n in enumerate(found) if n} == {m: n for m, n in wanted.items() if inside(m)}
        assert list(total) == [sum(found[i] for found in arrays.values()) for i in range(count)]
        per_reason.setdefault("bucket_arrays", []).append(({r: list(a) for r, a in arrays.items()}, list(total)))
    windows = [(start + 100, start + 100), (start + 1000, start + 1440 + 500), (start - 60, start + 3 * 1440)]
    per_reason["between"] = [counts.between(r, first, last) for r in REASONS for first, last in windows]
    assert per_reason["between"] == [{m: counts[r, text_of_minute(m)] for m in range(first, last + 1) if counts[r, text_of_minute(m)]}
                                     for r in REASONS for first, last in windows]
    keys = [(r, f"{d} {CLOCK[s]}") for r in REASONS for d in DAYS for s in (0, 1, 719, 1438, 1439)]
    return {"items": sorted(counts.items()), "len": len(counts), "reasons": counts.reasons(), "span": counts.span(kernel),
            "get": [counts[k] for k in keys] + [counts.get((r, f"{DAYS[1]} 99:99")) for r in REASONS],
            "per_reason": per_reason, "keys": sorted(counts.keys()), "values": sorted(counts.values())}


def reference(adds) -> dict:
    total = Counter()
    for reason, minute, n in adds:
        total[(reason, minute)] += n
    return {key: n for key, n in total.items() if n}


@given(st.lists(entry, max_size=12), st.lists(entry, max_size=12), st.lists(entry, max_size=6), st.booleans())
def test_sparse_days_read_exactly_like_dense_ones(first, second, third, compact_target):
    adds = [list(expand(part)) for part in (first, second, third)]
    everything = [a for part in adds for a in part]
    dense = filled(everything)
    assert not dense.sparse  # adding never makes sparse days
    compacted = filled(everything).compact()
    quiet_days = {(r, m[:10]) for r, m, _ in everything if not m.endswith("99:99")}
    assert all(len(compacted.sparse.get(k, ())) // 2 < SPARSE_BELOW for k in quiet_days)
    # Folded file by file, each part compacted as a parse leaves it; the target compacted or not.
    merged = MinuteCounts()
    for part in adds:
        merged.update(filled(part).compact())
        if compact_target:
            merged.compact()
    for counts in (compacted, merged):
        assert not (counts.days.keys() & counts.sparse.keys())
        assert reads(counts) == reads(dense)
        assert counts == dense and dict(counts.items()) == reference(everything)
        assert pickle.loads(pickle.dumps(counts)) == dense
        # Adding after compaction turns the day dense again and keeps counting.
        for reason, minute, n in adds[0]:
            counts.add(reason, minute, n)
        assert dict(counts.items()) == reference(everything + adds[0])
        # Peaks and span were read (and kept) above: they follow the new counts.
        assert reads(counts) == reads(filled(everything + adds[0]))
        assert not (counts.days.keys() & counts.sparse.keys())


def test_a_quiet_day_is_stored_sparse_and_a_busy_one_dense():
    counts = MinuteCounts()
    for slot in range(0, 1440, 2):  # 720 busy minutes: dense is as small as sparse, stays dense
        counts.add("Timer_ConnectionIdle", f"2025-06-01 {CLOCK[slot]}", 1)
    counts.add("Connection_Dropped", "2025-06-01 10:00", 3)
    counts.add("Connection_Dropped", "2025-06-01 10:07", 70_000)
    counts.add("Connections_Refused", "2025-06-02 00:00", 0)  # a zero count keeps its reason known
    counts.compact()
    assert set(counts.days) == {("Timer_ConnectionIdle", "2025-06-01")}
    assert counts.sparse == {("Connection_Dropped", "2025-06-01"): array("I", [600, 607, 3, 70_000]),
                             ("Connections_Refused", "2025-06-02"): array("H")}
    assert counts.reasons() == {"Timer_ConnectionIdle", "Connection_Dropped", "Connections_Refused"}
    assert counts["Connection_Dropped", "2025-06-01 10:07"] == 70_000 and counts["Connection_Dropped", "2025-06-01 10:08"] == 0
    assert counts.span() == ("2025-06-01 00:00", "2025-06-01 23:58")


def test_adding_after_compaction_adds_to_the_sparse_day():
    counts = MinuteCounts()
    counts.add("URL", "2025-01-01 00:01", 2)
    counts.compact()
    counts.add("URL", "2025-01-01 00:01", 5)
    counts.add("URL", "2025-01-01 23:59", 1)
    assert dict(counts.items()) == {("URL", "2025-01-01 00:01"): 7, ("URL", "2025-01-01 23:59"): 1}
    assert not counts.sparse and len(counts.days[("URL", "2025-01-01")]) == 1440
    # What a scanner writing straight into day arrays does with a day that may be compacted.
    counts.compact()
    counts.open_day(("URL", "2025-01-01"))[1439] += 2
    assert dict(counts.items()) == {("URL", "2025-01-01 00:01"): 7, ("URL", "2025-01-01 23:59"): 3}


def test_a_parsed_file_leaves_quiet_days_sparse(tmp_path, monkeypatch):
    lines = ["#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"]
    lines += [f"2025-03-0{1 + i % 2} 10:{i % 60:02d}:00 10.0.0.1 1 10.0.0.2 80 HTTP/1.1 GET /a 400 1 BadRequest -"
              for i in range(200)]
    path = tmp_path / "httperr1.log"
    path.write_text("\n".join(lines) + "\n")
    from httperr_doctor.engine.evidence.reader import EvidenceFile

    parsed = httperr.parse(EvidenceFile.from_path(path).lines()).stats
    monkeypatch.setattr(MinuteCounts, "compact", lambda self, kernel=None: self)
    unpacked = httperr.parse(EvidenceFile.from_path(path).lines()).stats
    assert set(parsed.per_minute.sparse) == {("BadRequest", "2025-03-01"), ("BadRequest", "2025-03-02")}
    assert not parsed.per_minute.days and len(unpacked.per_minute.days) == 2
    assert parsed == unpacked and parsed.per_minute["BadRequest", "2025-03-02 10:59"] == 3  # lines 59, 119, 179
    assert HttpErrStats().merge(parsed).merge(unpacked).per_minute.peak("BadRequest") == 8


def test_every_way_two_days_are_summed():
    """Quiet + quiet (interleaved, end to end, or giving a busy day), busy + busy, busy + quiet with overflow, quiet + busy, uncompacted parts."""
    def part(*runs):
        adds = [(reason, f"2025-05-05 {CLOCK[slot]}", n) for reason, slots, n in runs for slot in slots]
        return adds, filled(adds)

    parts = [
        part(("A", range(0, 720, 2), 1), ("B", range(0, 800), 2), ("C", range(0, 800), 65_000), ("D", [5], 1),
             ("F", range(400), 1), ("G", [900], 70_000), ("H", range(600, 700), 1),
             ("Y", [10], 5), ("Z", [10], 0)),
        part(("A", range(1, 720, 2), 1), ("B", range(100, 900), 3), ("C", [7, 9], 1_000), ("D", range(0, 800), 1),
             ("F", range(400, 800), 1), ("G", [3, 4], 1), ("H", range(100), 2),
             ("Y", [20], 0), ("Z", [20], 5)),
        part(("E", [1, 2], 4)),
    ]
    merged = MinuteCounts()
    merged.update(parts[2][1])  # not compacted: its quiet day is made sparse on the way in
    assert set(merged.sparse) == {("E", "2025-05-05")} and not merged.days
    for _, counts in parts[:2]:
        merged.update(counts.compact())
    assert set(merged.days) == {(r, "2025-05-05") for r in "ABCDF"}
    # A day split across two files (busy minutes one after the other) is joined end to end, whatever their order.
    assert merged.sparse[("G", "2025-05-05")] == array("I", [3, 4, 900, 1, 1, 70_000])
    assert merged.sparse[("Y", "2025-05-05")] == array("H", [10, 5])  # a day with only zero counts adds nothing
    assert merged.sparse[("Z", "2025-05-05")] == array("H", [20, 5])
    assert merged.sparse[("H", "2025-05-05")] == array("H", [*range(100), *range(600, 700), *[2] * 100, *[1] * 100])
    assert merged.days[("C", "2025-05-05")].typecode == "I"  # 65,000 + 1,000 no longer fits uint16
    assert dict(merged.items()) == reference([a for adds, _ in parts for a in adds])
