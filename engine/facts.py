"""From parsed evidence to named facts, each with where it came from and how.

Rules never see log lines: they see facts such as `memory.npp_free_mb = 19`, and the
report can show both the arithmetic (`how`) and the file:line evidence (`sources`).
All arithmetic lives here so the KB stays free of expressions.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from .evidence.base import ParseResult, Record, SourceRef
from .evidence.perfmon import split_counter
from .evidence.httperr import HttpErrStats, parse_time
from .evidence.iislog import IisStats
from .templates import format_value
from .timezones import Zone, to_utc, zone_from_systeminfo

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
    "pool_offline": frozenset({"AppOffline", "Disabled"}),
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

    # How local times were turned into UTC (perfmon bias, event-log zone), in words.
    time_notes: list[str]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_notes = []

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


def derive_facts(results: list[ParseResult], answers: dict[str, Any] | None = None, zone: Zone | None = None) -> Facts:
    """All facts for one server, from its parsed files plus answers given by a person."""
    return with_answers(evidence_facts(results, zone), answers)


def with_answers(evidence: Facts, answers: dict[str, Any] | None = None) -> Facts:
    """Evidence facts plus a person's answers, with the facts worked out from both.

    Split from `evidence_facts` so the wizard can try many hypothetical answers
    without reading the evidence again; `evidence` is not modified.
    """
    facts = Facts(evidence)
    facts.time_notes = list(evidence.time_notes)
    for name, value in (answers or {}).items():
        facts.add(name, value, how="answered in the wizard")
    if answers and "httperr.top_reason" in answers:
        _answered_top_reason(facts)
    _memory_facts(facts)
    _limit_facts(facts)
    return facts


def _answered_top_reason(facts: Facts) -> None:
    """A person read the HTTPERR log and named its most frequent reason: so at least one such line.

    Only lower bounds are set (1 line of that reason, of its family and groups); with the
    log itself at hand its real counts win.
    """
    from .knowledge import default_kb

    reason = facts.value("httperr.top_reason")
    if "httperr.lines" in facts or not isinstance(reason, str):
        return
    how = f"at least one: {reason} was named in the wizard as the most frequent reason in HTTPERR"
    facts.add(f"httperr.reason.{reason}.count", 1, how=how)
    facts.add(f"httperr.reason.{reason}.lines", 1, how=how)
    phrase = default_kb().phrases.get(reason)
    if phrase is not None and not phrase.benign:
        facts.add("httperr.non_benign_lines", 1, how=how)
        facts.add(f"httperr.family.{phrase.family}.lines", 1, how=how)
    for name, group in REASON_GROUPS.items():
        if reason in group:
            facts.add(f"httperr.{name}.lines", 1, how=how)


def evidence_facts(results: list[ParseResult], zone: Zone | None = None) -> Facts:
    """The facts read from the parsed files alone (before answers and cross-source sums).

    `zone` (from `--tz`) says which zone the server's local times are in; without it
    the zone comes from systeminfo's Time Zone line.
    """
    facts = Facts()
    by_kind: dict[str, list[ParseResult]] = {}
    for result in results:
        by_kind.setdefault(result.kind, []).append(result)

    for result in by_kind.get("systeminfo", []):
        _system_facts(facts, result)
        zone = zone or zone_from_systeminfo(result.records[0].data.get("time_zone"))
    for result in by_kind.get("bootini", []):
        _boot_facts(facts, result)
    for result in by_kind.get("bcdedit", []):
        _bcdedit_facts(facts, result)
    for result in by_kind.get("regquery", []):
        _registry_facts(facts, result)
    if by_kind.get("perfmon"):
        _perf_facts(facts, by_kind["perfmon"])
    events = [r for kind in ("eventlog", "evtx") for result in by_kind.get(kind, []) for r in result.records]
    if events:
        _event_facts(facts, events, zone)
    if by_kind.get("appconfig"):
        _config_facts(facts, [r for result in by_kind["appconfig"] for r in result.records])
    if by_kind.get("netsh"):
        _netsh_facts(facts, [r for result in by_kind["netsh"] for r in result.records])
    if by_kind.get("netstat"):
        _netstat_facts(facts, [r for result in by_kind["netstat"] for r in result.records])
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
    return merge_stats([r.stats for r in results if r.stats is not None], kind)


def merge_stats(parts: list, kind):
    """One aggregate for read-only use: the only part itself (no copy of a year of
    per-minute arrays), else a fresh merge in order; None when there is nothing."""
    if len(parts) <= 1:
        return parts[0] if parts else None
    merged = kind()
    for part in parts:
        merged.merge(part)
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


def _bcdedit_facts(facts: Facts, result: ParseResult) -> None:
    """`increaseuserva` is the Vista+ form of /3GB: it also sets boot.switch_3gb."""
    entry = next((r for r in result.records if r.data["is_current"]), None)
    if entry is None:
        return
    settings, line_of = entry.data["settings"], entry.data["line_of"]
    label = f"bcdedit entry {entry.data['identifier']}"
    raw = settings.get("increaseuserva")
    if raw is not None and raw.strip().isdigit():
        ref = SourceRef(entry.source.path, line_of.get("increaseuserva", entry.source.line))
        facts.add("boot.increaseuserva_mb", int(raw), [ref], f"{label}: increaseuserva {raw}")
        if "boot.switch_3gb" not in facts:
            facts.add("boot.switch_3gb", True, [ref],
                      f"from bcdedit, not boot.ini: {label} has increaseuserva {raw}, the Vista+ form of /3GB")
    elif "boot.switch_3gb" not in facts:
        facts.add("boot.switch_3gb", False, [entry.source], f"from bcdedit: {label} has no increaseuserva (no /3GB equivalent)")
    if "pae" in settings and "boot.pae" not in facts:
        ref = SourceRef(entry.source.path, line_of["pae"])
        facts.add("boot.pae", settings["pae"].lower() == "forceenable", [ref], f"{label}: pae {settings['pae']}")


HTTP_PARAMETERS = re.compile(r"\\services\\http\\parameters$", re.IGNORECASE)
REGISTRY_FACTS = {
    "maxconnections": "httpsys.max_connections",
    "maxfieldlength": "httpsys.max_field_length",
    "maxrequestbytes": "httpsys.max_request_bytes",
}


def _registry_facts(facts: Facts, result: ParseResult) -> None:
    values = [r for r in result.records if HTTP_PARAMETERS.search(r.data["key"])]
    if not values:
        return
    by_name = {r.data["name"].lower(): r for r in values}
    aggressive = by_name.get("enableaggressivememoryusage")
    if aggressive is not None:
        facts.add("httpsys.aggressive_memory_usage", aggressive.data["value"] == 1, [aggressive.source],
                  f"EnableAggressiveMemoryUsage = {aggressive.data['value']}")
    else:
        facts.add("httpsys.aggressive_memory_usage", False, [values[0].source],
                  "EnableAggressiveMemoryUsage is not set under HTTP\\Parameters (default 0)")
    for name, fact in REGISTRY_FACTS.items():
        record = by_name.get(name)
        if record is not None and isinstance(record.data["value"], int):
            facts.add(fact, record.data["value"], [record.source], f"{record.data['name']} = {record.data['value']:,}")


# Counter names as `object\counter` (lower case); instances are matched separately.
NPP_COUNTER = ("memory", "pool nonpaged bytes")
QUEUE_COUNTER = ("http service request queues", "currentqueuesize")
REJECTED_COUNTER = ("http service request queues", "rejectedrequests")
CPU_COUNTERS = (("processor", "% processor time"), ("processor information", "% processor time"))


def _series(records: list[Record], wanted, instance: str | None = None) -> dict[str, list[tuple[datetime, float, SourceRef]]]:
    """Samples per counter instance for one `(object, counter)` pair, in time order."""
    found: dict[str, list[tuple[datetime, float, SourceRef]]] = {}
    for record in records:
        for path, value in record.data["values"].items():
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


def _when(stamp: datetime) -> str:
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def _perf_facts(facts: Facts, results: list[ParseResult]) -> None:
    records = [r for result in results for r in result.records]
    biases = sorted({r.data["bias_minutes"] for r in records})
    bias = f"PDH bias {', '.join(str(b) for b in biases)} min (UTC = local time + bias)"
    facts.time_notes.append(f"perfmon sample times converted with the file's own {bias}")
    npp = next(iter(_series(records, {NPP_COUNTER}).values()), [])
    if npp:
        values = [v / MB for _, v, _ in npp]
        first, last = npp[0], npp[-1]
        peak = max(npp, key=lambda s: s[1])
        facts.add("perf.npp_first_mb", values[0], [first[2]], f"{format_value(values[0])} MB at {_when(first[0])}; {bias}")
        facts.add("perf.npp_last_mb", values[-1], [last[2]],
                  f"Pool Nonpaged Bytes {last[1]:,.0f} = {format_value(values[-1])} MB at {_when(last[0])} (last of {len(npp)} perfmon samples)")
        facts.add("perf.npp_peak_mb", peak[1] / MB, [peak[2]], f"{format_value(peak[1] / MB)} MB at {_when(peak[0])}")
        growth = values[-1] - values[0]
        facts.add("perf.npp_growth_mb", growth, [first[2], last[2]],
                  f"{format_value(values[-1])} MB at {_when(last[0])} - {format_value(values[0])} MB at {_when(first[0])}")
        # "Steady" = it grew by 5% or more and never fell back by more than a quarter of that growth.
        running, fall = values[0], 0.0
        for value in values:
            running = max(running, value)
            fall = max(fall, running - value)
        steady = len(values) >= 3 and growth > 0 and growth >= 0.05 * values[0] and fall <= 0.25 * growth
        facts.add("perf.npp_steady_rise", steady, [first[2], last[2]],
                  f"{len(values)} samples over {format_value((last[0] - first[0]).total_seconds() / 3600)} h, "
                  f"grew {format_value(growth)} MB, largest fall back {format_value(fall)} MB")
    queues = _series(records, {QUEUE_COUNTER})
    named = {k: v for k, v in queues.items() if k.lower() != "_total"} or queues
    if named:
        name, peak = max(((k, max(v, key=lambda s: s[1])) for k, v in named.items()), key=lambda item: item[1][1])
        facts.add("perf.queue_peak", peak[1], [peak[2]], f"CurrentQueueSize of {name or 'the queue'} at {_when(peak[0])}")
    cpu = _series(records, set(CPU_COUNTERS), "_total")
    if cpu:
        peak = max((s for samples in cpu.values() for s in samples), key=lambda s: s[1])
        facts.add("perf.cpu_peak_pct", peak[1], [peak[2]], f"% Processor Time (_Total) at {_when(peak[0])}")
    rejected = {k: v for k, v in _series(records, {REJECTED_COUNTER}).items() if k.lower() != "_total"} \
        or _series(records, {REJECTED_COUNTER})
    if rejected:
        total = sum(samples[-1][1] for samples in rejected.values())
        facts.add("perf.rejected_requests", total, [samples[-1][2] for samples in rejected.values()][:5],
                  " + ".join(f"{format_value(samples[-1][1])} ({name or 'queue'})" for name, samples in rejected.items())
                  + " at the last sample")


# Which events count for which fact: (sources, event ids) per fact.
WAS_SOURCES = frozenset({"microsoft-windows-was", "was", "windows process activation service"})
W3SVC_SOURCES = frozenset({"w3svc", "microsoft-windows-iis-w3svc"})
EVENT_FACTS = {
    "event.was_rapid_fail.count": ({5002}, {1002}),
    "event.was_crash.count": ({5009, 5011}, {1009, 1011}),
    "event.was_ping_failure.count": ({5010}, {1010}),
    "event.was_shutdown_timeout.count": ({5013}, {1013}),
    "event.was_startup_timeout.count": (set(), {1012}),
    "event.was_private_bytes_recycle.count": ({5117}, set()),
}
APP_ERROR_SOURCE = re.compile(r"^(asp\.net|application error|application hang|isapi|w3svc-wp|\.net runtime)", re.IGNORECASE)


def _event_facts(facts: Facts, events: list[Record], zone: Zone | None) -> None:
    """Counts of the events that matter, with their UTC times (local times converted with `zone`)."""
    logs = {(e.data["log"] or "").lower() for e in events}
    system = bool(logs & {"system", ""})
    application = bool(logs & {"application", ""})
    needs_zone = any(e.data["local"] is not None and e.data["local"].tzinfo is None for e in events)
    if needs_zone:
        facts.time_notes.append("event-log local times converted with " + zone.label if zone else
                                "event-log times left in the server's local time: zone unknown (give systeminfo or --tz)")

    def describe(found: list[Record]) -> str:
        if not found:
            return "none in the event logs given"
        ids = sorted({e.data["event_id"] for e in found})
        stamps = sorted(t for t in (to_utc(e.data["local"], zone) for e in found if e.data["local"]) if t)
        text = f"{len(found)} event(s), ID {', '.join(map(str, ids))}"
        if stamps:
            text += f", first {_when(stamps[0])}, last {_when(stamps[-1])}"
        elif any(e.data["local"] for e in found):
            text += ", times in server local time (zone unknown)"
        pools = sorted({e.data["pool"] for e in found if e.data["pool"]})
        if pools:
            text += f"; pool(s) {', '.join(pools)}"
        return text

    def count(name: str, found: list[Record]) -> None:
        facts.add(name, len(found), [e.source for e in found][:5], describe(found))

    if system:
        for name, (was_ids, w3svc_ids) in EVENT_FACTS.items():
            count(name, [e for e in events if (e.data["source"].lower() in WAS_SOURCES and e.data["event_id"] in was_ids)
                         or (e.data["source"].lower() in W3SVC_SOURCES and e.data["event_id"] in w3svc_ids)])
        for event_id in (2019, 2020):
            count(f"event.srv_{event_id}.count",
                  [e for e in events if e.data["source"].lower() == "srv" and e.data["event_id"] == event_id])
    if application:
        count("event.app_errors.count", [e for e in events if e.data["level"] in ("error", "critical")
                                         and (e.data["log"] or "application").lower() == "application"
                                         and APP_ERROR_SOURCE.match(e.data["source"])])


IIS_DEFAULTS = {"queueLength": 1000, "maxConnections": 4_294_967_295, "minBytesPerSecond": 240,
                "connectionTimeout": 120, "headerWaitTimeout": 0}


def timespan_seconds(text: str) -> float | None:
    """IIS timespans: `00:02:00` -> 120, `1.00:00:00` -> 86400.

    >>> timespan_seconds("00:02:00"), timespan_seconds("1.00:00:00"), timespan_seconds("soon")
    (120.0, 86400.0, None)
    """
    match = re.match(r"^\s*(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)\s*$", text or "")
    if not match:
        return None
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _config_facts(facts: Facts, records: list[Record]) -> None:
    """applicationHost.config: the effective value per pool or site (own value, else defaults, else IIS default)."""
    def section(name: str) -> list[Record]:
        return [r for r in records if r.data["section"] == name]

    pool_defaults = next(iter(section("apppool_defaults")), None)
    pools = section("apppool") or ([pool_defaults] if pool_defaults else [])
    if pools:
        lengths = []
        for pool in pools:
            raw = pool.data["attributes"].get("queueLength") or (pool_defaults and pool_defaults.data["attributes"].get("queueLength"))
            lengths.append((int(raw) if raw and raw.isdigit() else IIS_DEFAULTS["queueLength"], pool))
        value, pool = min(lengths, key=lambda item: item[0])
        facts.add("config.queue_length_min", value, [pool.source],
                  f"smallest of {len(pools)} pool(s): {pool.data['name'] or 'defaults'} queueLength {value:,} (1,000 where not set)")
        protected, off = [], []
        for pool in pools:
            raw = pool.data["failure"].get("rapidFailProtection") or (
                pool_defaults and pool_defaults.data["failure"].get("rapidFailProtection")) or "true"
            (protected if raw.lower() == "true" else off).append(pool)
        facts.add("config.rapid_fail_protection", bool(protected), [p.source for p in (protected or off)][:5],
                  (f"on for {', '.join(p.data['name'] or 'defaults' for p in protected)}" if protected else "off for every pool")
                  + (f"; off for {', '.join(p.data['name'] or 'defaults' for p in off)}" if protected and off else ""))
    site_defaults = next(iter(section("site_defaults")), None)
    sites = section("site") or ([site_defaults] if site_defaults else [])
    timeouts: list[tuple[float, str, Record]] = []
    if sites:
        limits = []
        for site in sites:
            own = site.data["limits"]
            inherited = site_defaults.data["limits"] if site_defaults else {}
            raw = own.get("maxConnections") or inherited.get("maxConnections")
            limits.append((int(raw) if raw and raw.isdigit() else IIS_DEFAULTS["maxConnections"], site))
            timeout = timespan_seconds(own.get("connectionTimeout") or inherited.get("connectionTimeout") or "")
            if timeout is not None:
                timeouts.append((timeout, f"site {site.data['name'] or 'defaults'} limits", site))
        value, site = min(limits, key=lambda item: item[0])
        facts.add("config.max_connections_min", value, [site.source],
                  f"smallest of {len(sites)} site(s): {site.data['name'] or 'defaults'} maxConnections {value:,}")
    web = next(iter(section("weblimits")), None)
    if web is not None:
        attrs = web.data["attributes"]
        rate = attrs.get("minBytesPerSecond")
        facts.add("config.min_bytes_per_second", int(rate) if rate and rate.isdigit() else IIS_DEFAULTS["minBytesPerSecond"],
                  [web.source], f"webLimits minBytesPerSecond {rate or 'not set (default 240)'}")
        wait = timespan_seconds(attrs.get("headerWaitTimeout", ""))
        facts.add("config.header_wait_timeout_s", wait if wait is not None else IIS_DEFAULTS["headerWaitTimeout"], [web.source],
                  f"webLimits headerWaitTimeout {attrs.get('headerWaitTimeout') or 'not set (default 0)'}")
        timeout = timespan_seconds(attrs.get("connectionTimeout", ""))
        if timeout is not None:
            timeouts.append((timeout, "webLimits", web))
    if timeouts:
        seconds, where, record = min(timeouts, key=lambda item: item[0])
        facts.add("config.connection_timeout_s", seconds, [record.source], f"shortest connectionTimeout: {where}")
    elif sites or web is not None:
        facts.add("config.connection_timeout_s", IIS_DEFAULTS["connectionTimeout"], [(web or sites[0]).source],
                  "connectionTimeout not set (default 120 s)")


def _netsh_number(record: Record, key: str) -> int | None:
    raw = record.data["values"].get(key, "")
    return int(raw) if raw.isdigit() else None


def _netsh_facts(facts: Facts, records: list[Record]) -> None:
    def lowest(section: str, key: str, skip_zero: bool = False):
        found = [(n, r) for r in records if r.data["section"] == section
                 for n in [_netsh_number(r, key)] if n is not None and not (skip_zero and n == 0)]
        return min(found, key=lambda item: item[0]) if found else None

    def ref(record: Record, key: str) -> SourceRef:
        return SourceRef(record.source.path, record.data["line_of"].get(key, record.source.line))

    queue = lowest("queue", "max requests")
    if queue:
        value, record = queue
        facts.add("netsh.queue_max_requests_min", value, [ref(record, "max requests")],
                  f"request queue {record.data['id']}: Max requests {value:,}")
    for fact, key in (("netsh.min_send_rate", "minimum send rate (bytes/sec)"),
                      ("netsh.idle_timeout_s", "idle connection timeout (secs)")):
        found = lowest("session", key, skip_zero=True)
        if found:
            value, record = found
            overrides = [r for r in records if r.data["section"] == "urlgroup" and (_netsh_number(r, key) or 0) not in (0, value)]
            how = f"server session {record.data['id']}: {key} {value:,}"
            if overrides:
                how += "; URL group(s) override it: " + ", ".join(f"{r.data['id']} {_netsh_number(r, key):,}" for r in overrides)
            facts.add(fact, value, [ref(record, key)] + [ref(r, key) for r in overrides], how)


def _netstat_facts(facts: Facts, records: list[Record]) -> None:
    """Connection states on the ports HTTP.sys listens on (PID 4), or on all ports when none is seen."""
    tcp = [r for r in records if r.data["proto"] == "TCP"]
    # A garbled address has no port (None): it cannot name a listening port, nor sort among them.
    ports = sorted({r.data["local_port"] for r in tcp
                    if r.data["state"] == "LISTENING" and r.data["pid"] == 4 and r.data["local_port"] is not None})
    scope = [r for r in tcp if r.data["local_port"] in ports] if ports else tcp
    where = f"on HTTP.sys ports {', '.join(map(str, ports))} (listening as PID 4)" if ports else "on all TCP ports"
    for fact, state in (("netstat.established", "ESTABLISHED"), ("netstat.time_wait", "TIME_WAIT"),
                        ("netstat.close_wait", "CLOSE_WAIT")):
        found = [r for r in scope if r.data["state"] == state]
        facts.add(fact, len(found), [r.source for r in found][:3], f"{len(found):,} {state} connection(s) {where}")


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
        # Per snapshot, one row per tag: a tag listed twice in one capture (a garbled copy)
        # must not pass for a tag seen in every capture.
        rows = [{r.data["tag"]: r for r in snap if r.data["type"] == "Nonp"} for snap in snapshots]
        first = rows[0]
        series = {tag: [snap[tag].data["bytes"] for snap in rows] for tag in first if all(tag in snap for snap in rows)}
        growth = {tag: values[-1] - values[0] for tag, values in series.items()}
        if growth:
            tag = max(growth, key=lambda t: (growth[t], t))
            values = series[tag]
            last = rows[-1][tag]
            facts.add("poolmon.growth_tag", tag, [first[tag].source, last.source])
            facts.add("poolmon.growth_tag_mb", growth[tag] / MB, [first[tag].source, last.source],
                      f"tag {tag} went from {format_value(values[0] / MB)} MB to {format_value(values[-1] / MB)} MB over {len(values)} snapshots")
            facts.add("poolmon.growth_tag_steady", all(b >= a for a, b in zip(values, values[1:])), [last.source])


def _httperr_facts(facts: Facts, stats: HttpErrStats) -> None:
    from .knowledge import default_kb

    phrases = default_kb().phrases
    facts.add("httperr.lines", stats.records)
    non_benign = 0
    peaks = stats.per_minute.peaks()
    for reason, count in stats.reasons.items():
        refs = stats.examples.get(reason, [])
        lines = stats.reason_lines[reason]
        facts.add(f"httperr.reason.{reason}.count", count, refs,
                  f"{lines:,} HTTPERR line(s), first {stats.first_seen.get(reason, '?')} UTC, last {stats.last_seen.get(reason, '?')} UTC")
        facts.add(f"httperr.reason.{reason}.lines", lines, refs)
        facts.add(f"httperr.reason.{reason}.peak_per_minute", peaks.get(reason, 0), refs)
        if not (reason in phrases and phrases[reason].benign):
            non_benign += lines
    facts.add("httperr.non_benign_lines", non_benign)
    if stats.records:
        idle = stats.reason_lines.get("Timer_ConnectionIdle", 0)
        facts.add("httperr.idle_share", idle / stats.records, how=f"{idle:,} of {stats.records:,} HTTPERR lines are Timer_ConnectionIdle")
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
        facts.add("httperr.dropped.minutes", len(stats.per_minute.minutes("Connection_Dropped")), refs)


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
    drop_minutes = set(httperr.per_minute.minutes("Connection_Dropped"))
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
        if switch_3gb:
            # increaseuserva (bcdedit's /3GB) shrinks the kernel's address space; Microsoft
            # gives no pool ceiling for that case, so none is claimed (R19, R20).
            return None, "x86 Vista and later with increaseuserva: the kernel address space is smaller and no pool ceiling is documented"
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
