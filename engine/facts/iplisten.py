"""`netsh http show iplisten` against the sites: addresses HTTP.sys will not listen on.

An empty list is the default and means every address. A list with entries limits
HTTP.sys to them (`0.0.0.0` standing for every IPv4 address, `::` for every IPv6 one):
a site bound to an address left out, or a list of loopback addresses only, cannot be
reached from the network (Win32 docs: IP Listen List; add iplisten).
"""
from __future__ import annotations

import ipaddress

from ..evidence.base import ParseResult
from .model import BOOL, NUMBER, STRING, Context, Facts, Source
from .sites import site_bindings

ANY = {4: "0.0.0.0", 6: "::"}


def listens_on(listed: list[str], address: str) -> bool:
    """HTTP.sys, limited to `listed`, listens on `address`.

    >>> listens_on(["10.1.2.21", "127.0.0.1"], "10.1.2.20"), listens_on(["0.0.0.0"], "10.1.2.20")
    (False, True)
    >>> listens_on(["::"], "[fe80::1]"), listens_on(["fe80::1"], "[FE80::1]")
    (True, True)
    """
    ip = ipaddress.ip_address(address.strip("[]"))
    return ANY[ip.version] in listed or any(ipaddress.ip_address(entry) == ip for entry in listed)


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    records = [r for result in results for r in result.records]
    listed = [r.data.address for r in records]
    sources = [r.source for r in records]
    facts.add("iplisten.addresses", len(listed), sources,
              f"listed: {', '.join(listed)}" if listed else "the list is empty: HTTP.sys listens on every address")
    if not listed:
        return
    loopback = all(ipaddress.ip_address(a).is_loopback for a in listed)
    facts.add("iplisten.only_loopback", loopback, sources,
              "every entry is a loopback address" if loopback else "it names an address other than loopback")
    bound = [b for b in site_bindings(context) if b.ip != "*" and _is_address(b.ip)]
    if not bound:
        return
    left_out = [b for b in bound if not listens_on(listed, b.ip)]
    if not left_out:
        facts.add("iplisten.bindings_left_out", 0, sources + [b.source for b in bound],
                  "every address a site is bound to is in the list")
        return
    first = left_out[0]
    how = f"site {first.site or '(unnamed)'} is bound to {first.ip}:{first.port}, which the list leaves out"
    facts.add("iplisten.bindings_left_out", len(left_out), [first.source] + sources, how)
    facts.add("iplisten.left_out_address", first.ip.strip("[]"), [first.source], how)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


SOURCE = Source("iplisten", ("iplisten",), {
    "iplisten.addresses": NUMBER, "iplisten.only_loopback": BOOL, "iplisten.bindings_left_out": NUMBER,
    "iplisten.left_out_address": STRING,
}, collect)
