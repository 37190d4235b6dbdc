"""IIS W3C logs: request volume and rate, time-taken, slow requests, client disconnects."""
from __future__ import annotations

import statistics
from collections import Counter

from ..evidence.base import ParseResult
from ..evidence.iislog import BUCKETS, IisStats
from ..plurals import counted
from .longpolling import is_long_polling
from .merging import merged_stats
from .model import NUMBER, STRING, Context, Facts, Source


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    stats = merged_stats(context, results, "iislog", IisStats)
    if stats is None:
        return
    facts.add("iis.requests", stats.requests)
    if stats.per_minute:
        facts.add("iis.peak_requests_per_minute", max(stats.per_minute.values()))
        facts.add("iis.median_requests_per_minute", statistics.median(stats.per_minute.values()))
    p95 = stats.percentile_ms(0.95)
    if p95 is not None:
        facts.add("iis.time_taken_p95_ms", p95, how="upper bound of the time-taken bucket holding the 95th percentile "
                  f"(buckets end at {BUCKETS[-1]:,} ms; beyond that, the longest time-taken seen)")
    polling = sum(n for url, n in stats.slow_urls.items() if is_long_polling(url))
    slow = stats.slow - polling
    how = "requests with time-taken of 60,000 ms or more"
    if polling:
        how += f", less {polling:,} to long-polling URLs (held open by design)"
        facts.add("iis.long_polling_slow", polling, how="requests to long-polling URLs held open 60 s or more")
    facts.add("iis.slow_requests", slow, how=how)
    if stats.requests:
        facts.add("iis.slow_share", slow / stats.requests, how=how if polling else "")
    facts.add("iis.win32_64_count", stats.win32.get(64, 0), how="sc-win32-status 64: the client's connection went away")
    if stats.requests:
        facts.add("iis.win32_64_share", stats.win32.get(64, 0) / stats.requests,
                  how=f"{stats.win32.get(64, 0):,} of {stats.requests:,} requests ended with sc-win32-status 64")
    slow_urls = Counter({url: n for url, n in stats.slow_urls.items() if not is_long_polling(url)})
    if slow_urls:
        url, n = slow_urls.most_common(1)[0]
        facts.add("iis.slowest_url", url, how=counted(n, "slow request"))


SOURCE = Source("iislog", ("iislog",), {
    "iis.requests": NUMBER, "iis.peak_requests_per_minute": NUMBER, "iis.median_requests_per_minute": NUMBER,
    "iis.time_taken_p95_ms": NUMBER, "iis.slow_requests": NUMBER, "iis.slow_share": NUMBER,
    "iis.win32_64_count": NUMBER, "iis.win32_64_share": NUMBER, "iis.slowest_url": STRING, "iis.long_polling_slow": NUMBER,
}, collect)
