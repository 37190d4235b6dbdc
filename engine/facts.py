"""From parsed evidence to named facts, each with where it came from and how.

Rules never see log lines: they see facts such as `memory.npp_free_mb = 19`, and the
report can show both the arithmetic (`how`) and the file:line evidence (`sources`).
All arithmetic lives here so the KB stays free of expressions.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Iterable

from .evidence.base import ParseResult, SourceRef
from .evidence.httperr import HttpErrStats, parse_time
from .evidence.iislog import IisStats
from .templates import format_value

MB = 1024 * 1024
HTTPSYS_FLOOR_MB = 20
HTTPSYS_AGGRESSIVE_FLOOR_MB = 8
# HTTP.sys MaxFieldLength / MaxRequestBytes default (KB 820129, R11).
HTTPSYS_HEADER_LIMIT_DEFAULT = 16_384
FAMILIES = ("refused", "dropped", "app-pool", "limit", "timer", "parse", "other")
# Reason phrases that tell one story together; each becomes `httperr.<name>.lines`.
REASON_GROUPS = {
    "header_limit": frozenset({"FieldLength", "RequestLength", "URL_Length"}),
    "queue_timer": frozenset({"Timer_AppPool", "Timer_ReqQueue", "AppPoolTimer"}),
    "client_timer": frozenset({"Timer_EntityBody", "Timer_MinBytesPerSecond", "Timer_SslRenegotiation"}),
    "abandoned": frozenset({"Connection_Abandoned_By_AppPool", "Connection_Abandoned_By_ReqQueue", "Request_Cancelled"}),
    "scanner_parse": frozenset({"BadRequest", "URL", "Forbidden", "Hostname", "Header", "Verb", "Version_N/S",
                                "Invalid_CR/LF", "Number", "LengthRequired", "N/I", "Precondition",
                                "EntityTooLarge", "Request_Too_Large"}),
}


@dataclass
class Fact:
    name: str
    value: Any
    sources: list[SourceRef] = field(default_factory=list)
    how: str = ""


class Facts(dict):
    """name -> Fact, with helpers for adding and reading values."""

    def add(self, name: str, value: Any, sources: Iterable[SourceRef] = (), how: str = "") -> None:
        if value is None:
            return
        if isinstance(value, float):
            value = round(value, 3)
        self[name] = Fact(name, value, list(dict.fromkeys(sources)), how)

    def value(self, name: str, default: Any = None) -> Any:
        fact = self.get(name)
        return fact.value if fact is not None else default

    def values(self) -> dict[str, Any]:  # type: ignore[override]
        return {name: fact.value for name, fact in self.items()}


def derive_facts(results: list[ParseResult], answers: dict[str, Any] | None = None) -> Facts:
    """All facts for one server, from its parsed files plus answers given by a person."""
    return with_answers(evidence_facts(results), answers)


def with_answers(evidence: Facts, answers: dict[str, Any] | None = None) -> Facts:
    """Evidence facts plus a person's answers, with the facts worked out from both.

    Split from `evidence_facts` so the wizard can try many hypothetical answers
    without reading the evidence again; `evidence` is not modified.
    """
    facts = Facts(evidence)
    for name, value in (answers or {}).items():
        facts.add(name, value, how="answered in the wizard")
    _memory_facts(facts)
    _limit_facts(facts)
    return facts


def evidence_facts(results: list[ParseResult]) -> Facts:
    """The facts read from the parsed files alone (before answers and cross-source sums)."""
    facts = Facts()
    by_kind: dict[str, list[ParseResult]] = {}
    for result in results:
        by_kind.setdefault(result.kind, []).append(result)

    for result in by_kind.get("systeminfo", []):
        _system_facts(facts, result)
    for result in by_kind.get("bootini", []):
        _boot_facts(facts, result)
    if by_kind.get("poolmon"):
        _poolmon_facts(facts, by_kind["poolmon"])
    httperr = _merge_stats([r for r in by_kind.get("httperr", [])], HttpErrStats)
    iis = _merge_stats([r for r in by_kind.get("iislog", [])], IisStats)
    if httperr is not None:
        _httperr_facts(facts, httperr)
    if iis is not None:
        _iis_facts(facts, iis)
    if httperr is not None and iis is not None:
        _load_at_drops(facts, httperr, iis)
    return facts


def _merge_stats(results: list[ParseResult], kind):
    merged = None
    for result in results:
        if result.stats is None:
            continue
        merged = kind().merge(result.stats) if merged is None else merged.merge(result.stats)
    return merged


def _system_facts(facts: Facts, result: ParseResult) -> None:
    data = result.records[0].data
    ref = result.records[0].source
    at = lambda key: [SourceRef(ref.path, data["line_of"].get(key, ref.line))]  # noqa: E731
    facts.add("host.name", data["host"], at("Host Name"))
    facts.add("os.family", data["os_family"], at("OS Name"), f"from OS Name {data['os_name']!r}")
    facts.add("os.arch", data["arch"], at("System Type"))
    facts.add("os.ram_mb", data["ram_mb"], at("Total Physical Memory"))


def _boot_facts(facts: Facts, result: ParseResult) -> None:
    entry = next(r for r in result.records if r.data["is_default"])
    how = "switches of the default boot.ini entry: " + " ".join(entry.data["switches"])
    facts.add("boot.switch_3gb", entry.data["switch_3gb"], [entry.source], how)
    facts.add("boot.userva_mb", entry.data["userva_mb"], [entry.source], how)
    facts.add("boot.pae", entry.data["pae"], [entry.source], how)


def _poolmon_facts(facts: Facts, results: list[ParseResult]) -> None:
    snapshots: list[list] = []
    for result in sorted(results, key=lambda r: r.records[0].source.path):
        blocks: dict[int, list] = {}
        for record in result.records:
            blocks.setdefault(record.data["snapshot"], []).append(record)
        snapshots.extend(blocks[i] for i in sorted(blocks))
    facts.add("poolmon.snapshots", len(snapshots))
    latest = snapshots[-1]
    nonpaged = [r for r in latest if r.data["type"] == "Nonp"]
    pool_kb = latest[0].data["pool_nonpaged_kb"]
    if pool_kb:
        facts.add("poolmon.npp_total_mb", pool_kb / 1024, [latest[0].source],
                  f"PoolMon header 'Pool N: {pool_kb}K' = {format_value(pool_kb / 1024)} MB")
    if nonpaged:
        top = max(nonpaged, key=lambda r: r.data["bytes"])
        total = pool_kb * 1024 if pool_kb else sum(r.data["bytes"] for r in nonpaged)
        facts.add("poolmon.top_npp_tag", top.data["tag"], [top.source])
        facts.add("poolmon.top_npp_tag_mb", top.data["bytes"] / MB, [top.source],
                  f"tag {top.data['tag']} holds {top.data['bytes']:,} bytes of non-paged pool")
        if total:
            facts.add("poolmon.top_npp_tag_share", top.data["bytes"] / total, [top.source],
                      f"{format_value(top.data['bytes'] / MB)} MB of {format_value(total / MB)} MB non-paged pool")
        if top.data["driver"]:
            facts.add("poolmon.top_npp_tag_driver", top.data["driver"], [top.source])
    if len(snapshots) >= 2:
        first = {r.data["tag"]: r for r in snapshots[0] if r.data["type"] == "Nonp"}
        series: dict[str, list[int]] = {}
        for snap in snapshots:
            for r in snap:
                if r.data["type"] == "Nonp":
                    series.setdefault(r.data["tag"], []).append(r.data["bytes"])
        growth = {tag: values[-1] - values[0] for tag, values in series.items() if tag in first and len(values) == len(snapshots)}
        if growth:
            tag = max(growth, key=lambda t: (growth[t], t))
            values = series[tag]
            last = next(r for r in latest if r.data["tag"] == tag and r.data["type"] == "Nonp")
            facts.add("poolmon.growth_tag", tag, [first[tag].source, last.source])
            facts.add("poolmon.growth_tag_mb", growth[tag] / MB, [first[tag].source, last.source],
                      f"tag {tag} went from {format_value(values[0] / MB)} MB to {format_value(values[-1] / MB)} MB over {len(values)} snapshots")
            facts.add("poolmon.growth_tag_steady", all(b >= a for a, b in zip(values, values[1:])), [last.source])


def _httperr_facts(facts: Facts, stats: HttpErrStats) -> None:
    from .knowledge import default_kb

    phrases = default_kb().phrases
    facts.add("httperr.lines", stats.records)
    non_benign = 0
    for reason, count in stats.reasons.items():
        refs = stats.examples.get(reason, [])
        lines = stats.reason_lines[reason]
        facts.add(f"httperr.reason.{reason}.count", count, refs,
                  f"{lines:,} HTTPERR line(s), first {stats.first_seen.get(reason, '?')} UTC, last {stats.last_seen.get(reason, '?')} UTC")
        facts.add(f"httperr.reason.{reason}.lines", lines, refs)
        facts.add(f"httperr.reason.{reason}.peak_per_minute", stats.peak_per_minute(reason), refs)
        if not (reason in phrases and phrases[reason].benign):
            non_benign += lines
    facts.add("httperr.non_benign_lines", non_benign)
    families: dict[str, int] = {}
    for reason, lines in stats.reason_lines.items():
        phrase = phrases.get(reason)
        if phrase is not None and not phrase.benign:
            families[phrase.family] = families.get(phrase.family, 0) + lines
    for family in FAMILIES:
        facts.add(f"httperr.family.{family}.lines", families.get(family, 0))
    for name, group in REASON_GROUPS.items():
        facts.add(f"httperr.{name}.lines", sum(stats.reason_lines.get(r, 0) for r in group),
                  [ref for r in sorted(group) for ref in stats.examples.get(r, [])][:5])
    queues = {}
    for (reason, queue), n in stats.queues.items():
        phrase = phrases.get(reason)
        if phrase is not None and phrase.family == "app-pool":
            queues[queue] = queues.get(queue, 0) + n
    if queues:
        queue = max(queues, key=lambda q: (queues[q], q))
        facts.add("httperr.top_queue", queue, how=f"{queues[queue]:,} application-pool entries name {queue}")
    stamps = sorted(list(stats.first_seen.values()) + list(stats.last_seen.values()))
    if stamps:
        span = (parse_time(stamps[-1]) - parse_time(stamps[0])).total_seconds() / 60
        facts.add("httperr.span_minutes", span, how=f"from {stamps[0]} to {stamps[-1]} UTC")
    ranked = sorted(((n, r) for r, n in stats.reason_lines.items() if not (r in phrases and phrases[r].benign)), reverse=True)
    if ranked:
        lines, reason = ranked[0]
        facts.add("httperr.top_reason", reason, stats.examples.get(reason, []))
        facts.add("httperr.top_reason_share", lines / non_benign)
    dropped = stats.reasons.get("Connection_Dropped", 0)
    if dropped:
        top = stats.top_urls("Connection_Dropped", 1)
        refs = stats.examples.get("Connection_Dropped", [])
        if top:
            url, n = top[0]
            facts.add("httperr.dropped.top_url", url, refs)
            facts.add("httperr.dropped.top_url_share", n / dropped, refs, f"{n:,} of {dropped:,} drops were for {url}")
            facts.add("httperr.dropped.spread_share", 1 - n / dropped, refs,
                      f"{dropped - n:,} of {dropped:,} drops were for URLs other than {url}")
        facts.add("httperr.dropped.distinct_urls", len(stats.urls.get("Connection_Dropped", {})), refs)
        minutes = sorted(m for (r, m) in stats.per_minute if r == "Connection_Dropped")
        facts.add("httperr.dropped.minutes", len(minutes), refs)


def _iis_facts(facts: Facts, stats: IisStats) -> None:
    facts.add("iis.requests", stats.requests)
    if stats.per_minute:
        facts.add("iis.peak_requests_per_minute", max(stats.per_minute.values()))
        facts.add("iis.median_requests_per_minute", statistics.median(stats.per_minute.values()))
    p95 = stats.percentile_ms(0.95)
    if p95 is not None:
        facts.add("iis.time_taken_p95_ms", p95, how="upper bound of the time-taken bucket holding the 95th percentile")
    facts.add("iis.slow_requests", stats.slow, how="requests with time-taken of 60,000 ms or more")
    if stats.requests:
        facts.add("iis.slow_share", stats.slow / stats.requests)
    facts.add("iis.win32_64_count", stats.win32.get(64, 0), how="sc-win32-status 64: the client's connection went away")
    if stats.requests:
        facts.add("iis.win32_64_share", stats.win32.get(64, 0) / stats.requests,
                  how=f"{stats.win32.get(64, 0):,} of {stats.requests:,} requests ended with sc-win32-status 64")
    if stats.slow_urls:
        url, n = stats.slow_urls.most_common(1)[0]
        facts.add("iis.slowest_url", url, how=f"{n:,} slow request(s)")


def _load_at_drops(facts: Facts, httperr: HttpErrStats, iis: IisStats) -> None:
    """Request rate in the minutes around the drops, against the server's usual rate."""
    drop_minutes = {m for (r, m) in httperr.per_minute if r == "Connection_Dropped"}
    if not drop_minutes or not iis.per_minute:
        return
    usual = statistics.median(iis.per_minute.values())
    around = [iis.per_minute.get(m, 0) for m in drop_minutes if m in iis.per_minute]
    if not around or not usual:
        return
    at_drops = statistics.mean(around)
    facts.add("load.requests_per_minute_at_drops", at_drops)
    facts.add("load.ratio_at_drops", at_drops / usual,
              how=f"{format_value(at_drops)} requests/min in the minutes with drops against a usual (median) {format_value(usual)} requests/min")


# Non-paged pool ceiling by OS family and architecture (MS "Memory limits for Windows
# releases", R19; /3GB halves the x86 2003/XP pool, R19/R20/R21).
def npp_limit_mb(family: str | None, arch: str | None, ram_mb: int | None, switch_3gb: bool | None) -> tuple[float | None, str]:
    """Return (ceiling in MB, how it was worked out).

    >>> npp_limit_mb("2003", "x86", 4095, True)
    (128, 'x86 Windows Server 2003/XP: 256 MB ceiling, halved to 128 MB by /3GB')
    >>> npp_limit_mb("2008r2", "x64", 8192, None)[0]
    6144.0
    """
    if family in ("2003", "xp") and arch == "x86":
        if switch_3gb:
            return 128, "x86 Windows Server 2003/XP: 256 MB ceiling, halved to 128 MB by /3GB"
        return 256, "x86 Windows Server 2003/XP: 256 MB ceiling (no /3GB)"
    if ram_mb is None:
        return None, "the ceiling depends on RAM, which is unknown"
    if family in ("2003", "xp") and arch == "x64":
        return min(ram_mb * 400 / 1024, 128 * 1024), "x64 Server 2003: about 400 KB per MB of RAM, at most 128 GB"
    if family == "2008" and arch == "x64":
        return min(ram_mb * 0.4, 128 * 1024), "x64 Vista/Server 2008: 40% of RAM, at most 128 GB"
    if arch == "x86" and family in ("2008", "2008r2", "2012", "2012r2", "2016+"):
        return min(ram_mb * 0.75, 2048), "x86 Vista and later: 75% of RAM or 2 GB, whichever is smaller"
    if arch == "x64" and family == "2008r2":
        return min(ram_mb * 0.75, 128 * 1024), "x64 Windows 7/Server 2008 R2: 75% of RAM, at most 128 GB"
    if arch == "x64" and family in ("2012", "2012r2", "2016+"):
        return float(ram_mb), "x64 Windows 8/Server 2012 and later: bounded by RAM"
    return None, "no ceiling known for this OS and architecture"


def _memory_facts(facts: Facts) -> None:
    aggressive = facts.value("httpsys.aggressive_memory_usage")
    floor = HTTPSYS_AGGRESSIVE_FLOOR_MB if aggressive else HTTPSYS_FLOOR_MB
    facts.add("memory.npp_floor_mb", floor, how=(
        "EnableAggressiveMemoryUsage=1 lowers the http.sys floor to 8 MB" if aggressive
        else "http.sys stops accepting connections below 20 MB of free non-paged pool"))
    if "memory.npp_limit_mb" not in facts:
        limit, how = npp_limit_mb(facts.value("os.family"), facts.value("os.arch"), facts.value("os.ram_mb"), facts.value("boot.switch_3gb"))
        sources = [s for name in ("os.family", "os.arch", "boot.switch_3gb") if name in facts for s in facts[name].sources]
        facts.add("memory.npp_limit_mb", limit, sources, how)
    # PoolMon's header is a point-in-time reading of the same pool; the last perfmon
    # sample is used only when PoolMon is missing.
    for source in ("poolmon.npp_total_mb", "perf.npp_last_mb"):
        if "memory.npp_used_mb" not in facts and source in facts:
            pool = facts[source]
            facts.add("memory.npp_used_mb", pool.value, pool.sources, pool.how or f"from {source}")
    limit, used = facts.value("memory.npp_limit_mb"), facts.value("memory.npp_used_mb")
    if limit is not None and used is not None and "memory.npp_free_mb" not in facts:
        sources = facts["memory.npp_limit_mb"].sources + facts["memory.npp_used_mb"].sources
        facts.add("memory.npp_free_mb", limit - used, sources,
                  f"{format_value(limit)} MB ceiling - {format_value(used)} MB in use = {format_value(limit - used)} MB free")
    free = facts.value("memory.npp_free_mb")
    if free is not None:
        facts.add("memory.npp_below_floor", free < floor, facts["memory.npp_free_mb"].sources,
                  f"{format_value(free)} MB free {'<' if free < floor else '>='} {floor} MB floor")
    if used is not None and "poolmon.top_npp_tag_mb" in facts and "memory.top_tag_share_of_used" not in facts:
        facts.add("memory.top_tag_share_of_used", facts.value("poolmon.top_npp_tag_mb") / used if used else 0.0,
                  facts["poolmon.top_npp_tag_mb"].sources)


def _limit_facts(facts: Facts) -> None:
    """Configured limits against what the evidence measured."""
    fields = [facts.value(n) for n in ("httpsys.max_field_length", "httpsys.max_request_bytes")]
    if any(v is not None for v in fields):
        lowered = [v for v in fields if v is not None and v < HTTPSYS_HEADER_LIMIT_DEFAULT]
        sources = [s for n in ("httpsys.max_field_length", "httpsys.max_request_bytes") if n in facts for s in facts[n].sources]
        facts.add("httpsys.header_limits_lowered", bool(lowered), sources,
                  f"MaxFieldLength/MaxRequestBytes {', '.join(format_value(v) for v in fields if v is not None)} "
                  f"against the {HTTPSYS_HEADER_LIMIT_DEFAULT:,}-byte default")
    limits = [(facts.value(n), n) for n in ("config.queue_length_min", "netsh.queue_max_requests_min") if n in facts]
    peak = facts.value("perf.queue_peak")
    if peak is not None and limits:
        limit, name = min(limits)
        if limit:
            facts.add("perf.queue_share_of_limit", peak / limit, facts["perf.queue_peak"].sources + facts[name].sources,
                      f"queue peaked at {format_value(peak)} requests against a queue length of {format_value(limit)}")
    established, site_limit = facts.value("netstat.established"), facts.value("config.max_connections_min")
    if established is not None and site_limit:
        facts.add("connections.share_of_site_limit", established / site_limit,
                  facts["netstat.established"].sources + facts["config.max_connections_min"].sources,
                  f"{format_value(established)} established connections against maxConnections {format_value(site_limit)}")
    parts = [(n, facts.value(n)) for n in ("event.was_crash.count", "event.was_ping_failure.count",
                                            "event.was_shutdown_timeout.count") if n in facts]
    if parts:
        facts.add("event.worker_failures.count", sum(v for _, v in parts),
                  [s for n, _ in parts for s in facts[n].sources][:5],
                  " + ".join(f"{format_value(v)} {n.split('.')[1]}" for n, v in parts))
