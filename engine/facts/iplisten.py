"""The IP listen list against the sites: addresses HTTP.sys will not listen on.

An empty list is the default and means every address. A list with entries limits
HTTP.sys to them (`0.0.0.0` standing for every IPv4 address, `::` for every IPv6 one):
a site bound to an address left out, or a list of loopback addresses only, cannot be
reached from the network (Win32 docs: IP Listen List; add iplisten).

`netsh http show iplisten` shows the list on Server 2008 and later. It is stored as the
ListenOnlyList value under HTTP\\Parameters, so a `reg query` of that key shows it on every
version, Server 2003 included (where netsh has no http context); without the value the
list is empty. netsh's listing is preferred when both are given.
"""
from __future__ import annotations

import ipaddress

from ..evidence.base import ParseResult, SourceRef
from ..plurals import counted
from .eventlog import HTTPEVENT_SOURCES, SYSTEM_LOG, event_address
from .model import BOOL, NUMBER, STRING, Context, Facts, Source
from .regquery import http_parameters
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
    netsh = [result for result in results if result.kind == "iplisten"]
    found = _from_netsh(netsh) if netsh else _from_registry([r for r in results if r.kind == "regquery"])
    if found is None:
        return
    listed, sources, empty = found
    facts.add("iplisten.addresses", len(listed), sources, f"listed: {', '.join(listed)}" if listed else empty)
    if not listed:
        return
    loopback = all(ipaddress.ip_address(a).is_loopback for a in listed)
    facts.add("iplisten.only_loopback", loopback, sources,
              "every entry is a loopback address" if loopback else "it names an address other than loopback")
    _listed_but_unbound(facts, context, listed, sources)
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


def _listed_but_unbound(facts: Facts, context: Context, listed: list[str], sources: list[SourceRef]) -> None:
    """Entries of the list HTTP.sys logged HttpEvent 15005 for: it could not bind them, and the
    event says the list may name an interface the server does not have (R41). An "any"
    entry (0.0.0.0, ::) that fails is another matter (a port someone else holds) and is left out.
    Set only when a System log was given.
    """
    events = [r for result in context.parsed.get("eventlog", ()) for r in result.records]
    if not {(e.data.log or "").lower() for e in events} & SYSTEM_LOG:
        return
    entries = {ipaddress.ip_address(entry) for entry in listed}
    unbound: dict[str, list[SourceRef]] = {}
    for event in (e for e in events if e.data.is_one_of(HTTPEVENT_SOURCES, {15005})):
        named = _without_port(event_address(event.data.description) or "")
        address = ipaddress.ip_address(named.strip("[]")) if _is_address(named) else None
        if address in entries and not address.is_unspecified:
            unbound.setdefault(str(address), []).append(event.source)
    if not unbound:
        facts.add("iplisten.unbound_listed", 0, sources, "no HttpEvent 15005 in the System log names an entry of the list")
        return
    each = [f"{address} ({counted(len(refs), 'event')})" for address, refs in unbound.items()]
    facts.add("iplisten.unbound_listed", len(unbound), [s for refs in unbound.values() for s in refs][:5] + sources,
              f"HttpEvent 15005 names {', '.join(each)}, " + ("an entry" if len(each) == 1 else "entries") + " of the list")
    first, found = next(iter(unbound.items()))
    facts.add("iplisten.unbound_address", first, found[:5] + sources, f"HttpEvent 15005 names {each[0]}, an entry of the list")


Listing = tuple[list[str], list[SourceRef], str]


def _from_netsh(results: list[ParseResult]) -> Listing:
    records = [r for result in results for r in result.records]
    return [r.data.address for r in records], [r.source for r in records], "the list is empty: HTTP.sys listens on every address"


def _from_registry(results: list[ParseResult]) -> Listing | None:
    """ListenOnlyList from the files that list HTTP\\Parameters; None when none does, or when
    the value is there in a form not read here (a .reg export's hex(7)).

    `reg query` shows a REG_MULTI_SZ's strings joined by a literal `\\0`; an entry written
    with httpcfg on Server 2003 may carry a port (`10.1.2.20:80`), which is left out.
    """
    listings = [values for values in map(http_parameters, results) if values is not None]
    value = next((r for values in listings for r in values if r.data.name.lower() == "listenonlylist"), None)
    if value is None:
        if not listings:
            return None
        where = [listings[0][0].source] if listings[0] else []
        return [], where, "ListenOnlyList is not set under HTTP\\Parameters, so the list is empty: HTTP.sys listens on every address"
    if value.data.type not in ("REG_MULTI_SZ", "REG_SZ"):
        return None
    entries = [_without_port(entry.strip()) for entry in str(value.data.value).split("\\0")]
    listed = [entry.lower() for entry in entries if _is_address(entry)]
    return listed, [value.source], "ListenOnlyList under HTTP\\Parameters holds no address: HTTP.sys listens on every address"


def _without_port(entry: str) -> str:
    """`10.1.2.20:80` -> `10.1.2.20`, `[fe80::1]:80` -> `fe80::1`; a bare address as it is.

    >>> _without_port("10.1.2.20:80"), _without_port("[fe80::1]:443"), _without_port("fe80::1")
    ('10.1.2.20', 'fe80::1', 'fe80::1')
    """
    if entry.startswith("[") and "]" in entry:
        return entry[1:].split("]", 1)[0]
    return entry.split(":", 1)[0] if entry.count(":") == 1 else entry


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


SOURCE = Source("iplisten", ("iplisten", "regquery"), {
    "iplisten.addresses": NUMBER, "iplisten.only_loopback": BOOL, "iplisten.bindings_left_out": NUMBER,
    "iplisten.left_out_address": STRING, "iplisten.unbound_listed": NUMBER, "iplisten.unbound_address": STRING,
}, collect)
