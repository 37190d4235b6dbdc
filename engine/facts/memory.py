"""Non-paged pool: the ceiling for this OS and boot configuration, what is in use and
free, and whether free pool is below the http.sys floor (evidence and answers together)."""
from __future__ import annotations

from ..templates import format_value
from .model import BOOL, NUMBER, Derivation, Facts

HTTPSYS_FLOOR_MB = 20
HTTPSYS_AGGRESSIVE_FLOOR_MB = 8


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




def derive(facts: Facts) -> None:
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
    if limit and used is not None and "memory.npp_used_share" not in facts:
        facts.add("memory.npp_used_share", used / limit, facts["memory.npp_free_mb"].sources,
                  f"{format_value(used)} MB in use of a {format_value(limit)} MB ceiling")
    free = facts.value("memory.npp_free_mb")
    if free is not None:
        facts.add("memory.npp_below_floor", free < floor, facts["memory.npp_free_mb"].sources,
                  f"{format_value(free)} MB free {'<' if free < floor else '>='} {floor} MB floor")
    if used is not None and "poolmon.top_npp_tag_mb" in facts and "memory.top_tag_share_of_used" not in facts:
        facts.add("memory.top_tag_share_of_used", facts.value("poolmon.top_npp_tag_mb") / used if used else 0.0,
                  facts["poolmon.top_npp_tag_mb"].sources)


DERIVATION = Derivation("memory", {
    "memory.npp_floor_mb": NUMBER, "memory.npp_limit_mb": NUMBER, "memory.npp_used_mb": NUMBER,
    "memory.npp_free_mb": NUMBER, "memory.npp_used_share": NUMBER, "memory.npp_below_floor": BOOL, "memory.top_tag_share_of_used": NUMBER,
}, derive)
