"""HTTPERR and IIS logs together: the request rate in the minutes with drops against the usual rate."""
from __future__ import annotations

import statistics

from ..evidence.base import ParseResult
from ..evidence.httperr import HttpErrStats
from ..evidence.iislog import IisStats
from ..templates import format_value
from .merging import merged_stats
from .model import NUMBER, Context, Facts, Source


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    httperr = merged_stats(context, results, "httperr", HttpErrStats)
    iis = merged_stats(context, results, "iislog", IisStats)
    if httperr is None or iis is None:
        return
    drop_minutes = set(httperr.per_minute.minutes("Connection_Dropped"))
    if not drop_minutes or not iis.per_minute:
        return
    usual = statistics.median(iis.per_minute.values())
    around = [iis.per_minute.get(m, 0) for m in drop_minutes if m in iis.per_minute]
    if not around or not usual:
        return
    at_drops = statistics.mean(around)
    # The drop lines pick the minutes compared; the IIS side is a rate over the whole log.
    drops = httperr.examples.get("Connection_Dropped", [])
    facts.add("load.requests_per_minute_at_drops", at_drops, drops)
    facts.add("load.ratio_at_drops", at_drops / usual, drops,
              how=f"{format_value(at_drops)} requests/min in the minutes with drops against a usual (median) {format_value(usual)} requests/min")


SOURCE = Source("load", ("httperr", "iislog"), {
    "load.requests_per_minute_at_drops": NUMBER, "load.ratio_at_drops": NUMBER,
}, collect)
