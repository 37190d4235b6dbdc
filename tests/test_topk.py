"""TopCounts: bounded counting with the Misra-Gries guarantees it documents."""
from __future__ import annotations

import pickle
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from httperr_doctor.engine.evidence.httperr import HttpErrStats
from httperr_doctor.engine.evidence.httperr.stats import OTHER_UNKNOWN, UNKNOWN_REASONS
from httperr_doctor.engine.evidence.base import SourceRef
from httperr_doctor.engine.evidence.topk import TopCounts

# Streams with a few heavy values among many rare ones, in any order.
STREAM = st.lists(st.one_of(st.sampled_from(["/a", "/b", "/c"]), st.integers(0, 400).map(lambda n: f"/x{n}")),
                  max_size=600)


@given(STREAM, st.integers(2, 40), st.integers(0, 600))
def test_kept_counts_are_never_high_and_at_most_n_over_half_capacity_low(stream, capacity, cut):
    whole, first, second = TopCounts(capacity), TopCounts(capacity), TopCounts(capacity)
    for value in stream:
        whole.add(value)
    for value in stream[:cut]:
        first.add(value)
    for value in stream[cut:]:
        second.add(value)
    merged = first.merge(pickle.loads(pickle.dumps(second)))  # as a worker's counts come back
    true = Counter(stream)
    bound = len(stream) / (capacity // 2 + 1)
    for counts in (whole, merged):
        assert len(counts) <= capacity and counts.total == len(stream)
        assert counts.others() == len(stream) - sum(counts.values())
        assert counts.distinct() <= len(true) and counts.distinct() >= min(len(true), capacity)
        for value, n in true.items():
            assert true[value] - bound <= counts.get(value, 0) <= n
            if n > bound:
                assert value in counts


def test_below_capacity_it_is_an_exact_counter():
    counts = TopCounts(10, [("/a", 3), ("/b", 1), ("/a", 2)])
    assert dict(counts) == {"/a": 5, "/b": 1} and counts.others() == 0 and counts.distinct() == 2
    assert counts.most_common() == [("/a", 5), ("/b", 1)] and not counts.thinned


def test_merging_files_past_the_unknown_phrase_limit_counts_the_rest_together():
    def parsed(phrases):
        stats = HttpErrStats()
        for n, phrase in enumerate(phrases):
            stats.add(phrase, 1, f"2025-03-01 10:00:{n % 60:02d}", "/x", "Pool", "400", SourceRef("f", n + 1))
        return stats

    one = parsed([f"New_{n}" for n in range(80)])
    two = parsed([f"Odd_{n}" for n in range(80)] + ["New_3"])
    merged = HttpErrStats().merge(one).merge(two)
    unknown = [r for r in merged.reasons if r.startswith(("New_", "Odd_"))]
    assert len(unknown) == UNKNOWN_REASONS and merged.reasons["New_3"] == 2
    assert merged.reasons[OTHER_UNKNOWN] == 60 and merged.records == 161 == sum(merged.reasons.values())
    assert merged.per_minute.peaks()[OTHER_UNKNOWN] >= 1 and merged.queues[(OTHER_UNKNOWN, "Pool")] == 60
    assert sum(len(refs) for r, refs in merged.examples.items() if r == OTHER_UNKNOWN) == 5
    assert len(two.reasons) == 81  # the file's own aggregate is left as it was
