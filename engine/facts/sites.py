"""The sites' bindings from applicationHost.config, for steps that judge another source's
files against them (URL reservations, the IP listen list) without claiming that file as their own."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..evidence.appconfig import ConfigElement
from ..evidence.base import Record, SourceRef
from .model import Context


@dataclass(frozen=True)
class Binding:
    """One `<binding>` of a site: the URLs HTTP.sys routes to it."""

    site: str
    scheme: str
    ip: str  # "*" for all unassigned addresses
    port: int
    host: str  # "" when the binding takes every host name
    source: SourceRef


def site_records(context: Context) -> list[Record[ConfigElement]]:
    """The `<site>` records of the server's applicationHost.config files."""
    return [r for result in context.parsed.get("appconfig", ()) for r in result.records if r.data.section == "site"]


def site_bindings(context: Context) -> list[Binding]:
    """The http and https bindings of every site in the server's applicationHost.config files."""
    found = []
    for record in site_records(context):
        for written in record.data.bindings:
            binding = _binding(record, written.protocol, written.information, record.at(written.line))
            if binding is not None:
                found.append(binding)
    return found


def _binding(site: Record[ConfigElement], protocol: str, information: str, source: SourceRef) -> Binding | None:
    """`*:80:`, `10.1.2.20:443:shop.contoso.com`, `[::1]:80:` -> Binding; None for ftp, net.tcp and the like."""
    match = re.match(r"^(\[[^\]]*\]|[^:]*):(\d{1,5}):(.*)$", information.strip())
    if protocol.lower() not in ("http", "https") or not match:
        return None
    ip, port, host = match.groups()
    return Binding(site.data.name or "", protocol.lower(), ip or "*", int(port), host.strip().lower(), source)
