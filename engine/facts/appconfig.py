"""applicationHost.config: the effective value per pool or site (own value, else the
defaults element, else the IIS default), and the smallest one across them."""
from __future__ import annotations

import re

from ..evidence.appconfig import ConfigElement, Section
from ..evidence.base import ParseResult, Record
from ..plurals import counted
from .model import BOOL, NUMBER, Context, Facts, Source

IIS_DEFAULTS = {"queueLength": 1000, "maxConnections": 4_294_967_295, "minBytesPerSecond": 240,
                "connectionTimeout": 120, "headerWaitTimeout": 0}
Element = Record[ConfigElement]
Timeout = tuple[float, str, Element]


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


def _number(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.isdigit() else default


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    records: list[Element] = [r for result in results for r in result.records]

    def section(name: Section) -> list[Element]:
        return [r for r in records if r.data.section == name]

    _pool_facts(facts, section("apppool"), next(iter(section("apppool_defaults")), None))
    sites = section("site")
    site_defaults = next(iter(section("site_defaults")), None)
    sites = sites or ([site_defaults] if site_defaults else [])
    timeouts = _site_facts(facts, sites, site_defaults)
    web = next(iter(section("weblimits")), None)
    if web is not None:
        timeouts += _web_limit_facts(facts, web)
    if timeouts:
        seconds, where, record = min(timeouts, key=lambda item: item[0])
        facts.add("config.connection_timeout_s", seconds, [record.source], f"shortest connectionTimeout: {where}")
    elif sites or web is not None:
        facts.add("config.connection_timeout_s", IIS_DEFAULTS["connectionTimeout"], [(web or sites[0]).source],
                  "connectionTimeout not set (default 120 s)")


def _pool_facts(facts: Facts, pools: list[Element], defaults: Element | None) -> None:
    pools = pools or ([defaults] if defaults else [])
    if not pools:
        return
    lengths = []
    for pool in pools:
        raw = pool.data.attributes.get("queueLength") or (defaults and defaults.data.attributes.get("queueLength"))
        lengths.append((_number(raw, IIS_DEFAULTS["queueLength"]), pool))
    value, pool = min(lengths, key=lambda item: item[0])
    facts.add("config.queue_length_min", value, [pool.source],
              f"smallest of {counted(len(pools), 'pool')}: {pool.data.name or 'defaults'} queueLength {value:,} (1,000 where not set)")
    protected, off = [], []
    for pool in pools:
        raw = pool.data.failure.get("rapidFailProtection") or (
            defaults and defaults.data.failure.get("rapidFailProtection")) or "true"
        (protected if raw.lower() == "true" else off).append(pool)
    facts.add("config.rapid_fail_protection", bool(protected), [p.source for p in (protected or off)][:5],
              (f"on for {', '.join(p.data.name or 'defaults' for p in protected)}" if protected else "off for every pool")
              + (f"; off for {', '.join(p.data.name or 'defaults' for p in off)}" if protected and off else ""))


def _site_facts(facts: Facts, sites: list[Element], defaults: Element | None) -> list[Timeout]:
    """The smallest maxConnections; returns each site's connectionTimeout for the shortest overall."""
    timeouts: list[Timeout] = []
    if not sites:
        return timeouts
    limits = []
    for site in sites:
        own = site.data.limits
        inherited = defaults.data.limits if defaults else {}
        limits.append((_number(own.get("maxConnections") or inherited.get("maxConnections"), IIS_DEFAULTS["maxConnections"]), site))
        timeout = timespan_seconds(own.get("connectionTimeout") or inherited.get("connectionTimeout") or "")
        if timeout is not None:
            timeouts.append((timeout, f"site {site.data.name or 'defaults'} limits", site))
    value, site = min(limits, key=lambda item: item[0])
    facts.add("config.max_connections_min", value, [site.source],
              f"smallest of {counted(len(sites), 'site')}: {site.data.name or 'defaults'} maxConnections {value:,}")
    return timeouts


def _web_limit_facts(facts: Facts, web: Element) -> list[Timeout]:
    attrs = web.data.attributes
    rate = attrs.get("minBytesPerSecond")
    facts.add("config.min_bytes_per_second", _number(rate, IIS_DEFAULTS["minBytesPerSecond"]),
              [web.source], f"webLimits minBytesPerSecond {rate or 'not set (default 240)'}")
    wait = timespan_seconds(attrs.get("headerWaitTimeout", ""))
    facts.add("config.header_wait_timeout_s", wait if wait is not None else IIS_DEFAULTS["headerWaitTimeout"], [web.source],
              f"webLimits headerWaitTimeout {attrs.get('headerWaitTimeout') or 'not set (default 0)'}")
    timeout = timespan_seconds(attrs.get("connectionTimeout", ""))
    return [(timeout, "webLimits", web)] if timeout is not None else []


SOURCE = Source("appconfig", ("appconfig",), {
    "config.queue_length_min": NUMBER, "config.rapid_fail_protection": BOOL, "config.max_connections_min": NUMBER,
    "config.min_bytes_per_second": NUMBER, "config.header_wait_timeout_s": NUMBER, "config.connection_timeout_s": NUMBER,
}, collect)
