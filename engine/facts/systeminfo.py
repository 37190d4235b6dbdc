"""systeminfo.exe output: the server's name, Windows family, architecture and RAM."""
from __future__ import annotations

from ..evidence.base import ParseResult, Record
from ..evidence.systeminfo import SystemInfo
from ..timezones import zone_from_systeminfo
from .model import NUMBER, STRING, Context, Facts, Source


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    """Its Time Zone line is the server's zone unless `--tz` named one."""
    for result in results:
        record: Record[SystemInfo] = result.records[0]
        info = record.data
        at = lambda key: [record.at(info.line_of.get(key))]  # noqa: E731
        facts.add("host.name", info.host, at("Host Name"))
        facts.add("os.family", info.os_family, at("OS Name"), f"from OS Name {info.os_name!r}")
        facts.add("os.arch", info.arch, at("System Type"))
        facts.add("os.ram_mb", info.ram_mb, at("Total Physical Memory"))
        context.zone = context.zone or zone_from_systeminfo(info.time_zone)


SOURCE = Source("systeminfo", ("systeminfo",), {
    "host.name": STRING, "os.family": STRING, "os.arch": STRING, "os.ram_mb": NUMBER,
}, collect)
