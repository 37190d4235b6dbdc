"""Output of `netsh http show iplisten`: the addresses HTTP.sys is limited to listening on.

Sample input (real, from a published note about a cloned server whose sites answered only
on localhost: the list still named the old machine's address)::

    IP addresses present in the IP listen list:
    -------------------------------------------

        192.168.33.1
        127.0.0.0
        127.0.0.1

An empty list (the heading alone) is the default: HTTP.sys then listens on every address.
`0.0.0.0` in the list means every IPv4 address and `::` every IPv6 address (Win32 docs:
add iplisten). One record per address, its `data` a `ListenAddress`.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("iplisten.txt", [
...     "IP addresses present in the IP listen list:",
...     "-------------------------------------------",
...     "",
...     "    10.1.2.20",
...     "    ::1",
... ]))
>>> [(r.data.address, r.source.line) for r in result.records]
[('10.1.2.20', 4), ('::1', 5)]
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .base import Lines, NotThisKind, ParseResult, Record, Skip

KIND = "iplisten"
HEADING = "ip addresses present in the ip listen list"


@dataclass(frozen=True, slots=True)
class ListenAddress:
    """One address of the IP listen list, lower case, without brackets."""

    address: str


def sniff(head: str) -> bool:
    return HEADING in head.lower()


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    heading = False
    for number, line in lines:
        text = line.strip()
        if not text or set(text) <= {"-"} or "netsh" in text.lower():
            continue
        if text.lower().rstrip(":") == HEADING:
            heading = True
            continue
        if not heading:
            result.skips.append(Skip(number, "before the `IP addresses present in the IP listen list` heading"))
            continue
        result.data_lines += 1
        try:
            ipaddress.ip_address(text.strip("[]"))
        except ValueError:
            result.skips.append(Skip(number, f"{text!r} is not an IP address"))
            continue
        result.records.append(Record(KIND, lines.ref(number), ListenAddress(text.strip("[]").lower())))
    if not heading:
        raise NotThisKind("no IP listen list heading found")
    if not result.records:
        result.notes.append("the IP listen list is empty: HTTP.sys listens on every address")
    return result
