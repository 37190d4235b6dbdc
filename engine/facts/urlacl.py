"""`netsh http show urlacl` against the site: a reservation that hands the site's URLs to another account.

Every Windows server lists a dozen reservations (WinRM and the Event Collector on
5985/47001, WCF's `http://+:80/Temporary_Listen_Addresses/` for Everyone, BranchCache for
NETWORK SERVICE, SSTP's path for its service, SYSTEM and Administrators; with IIS's
Management Service, `https://*:8172/`); none of them is a conflict. A reservation is
counted only when all of these hold:

- it is for an account other than the ones IIS and Windows run under (NETWORK SERVICE,
  LOCAL SERVICE, SYSTEM, Administrators, IIS_IUSRS, an IIS AppPool identity, the service
  accounts of Windows' and IIS's own services in `OWN_SERVICES`) and narrower than a
  shared group (Everyone, Users): another program's service account or a person;
- its scheme and port are a binding's of a site in applicationHost.config, and its host
  takes that binding's requests: `+` (strong wildcard) always, `*` only from a binding
  with no IP and no host name, a host name or IP only from a binding that names it
  (Win32 docs: UrlPrefix strings, the order of the four host categories);
- its path is `/` or a path the site serves: an application or virtual directory of
  the site, or a URL HTTPERR logged with 503 N/A.

Without applicationHost.config the ports of the site are not known: the file can then
only say that no reservation for another account covers any of those paths on any port.
"""
from __future__ import annotations

import hashlib
import re
import struct

from ..evidence.base import ParseResult, Record
from ..evidence.httperr import HttpErrStats
from ..evidence.urlacl import UrlReservation
from .merging import merged_stats
from .model import NUMBER, STRING, Context, Facts, Source
from .sites import Binding, site_bindings, site_records

# Accounts IIS and Windows' own services register under, and groups too wide to be "another program".
NOT_ANOTHER_ACCOUNT = {
    "network service", "networkservice", "local service", "localservice", "system", "administrators",
    "iis_iusrs", "w3svc", "was", "everyone", "users", "authenticated users",
}
# The same in SDDL, for a reservation whose User lines are missing: aliases and SIDs.
NOT_ANOTHER_SID = {
    "ns", "ls", "sy", "ba", "wd", "bu", "au", "s-1-5-20", "s-1-5-19", "s-1-5-18", "s-1-5-32-544", "s-1-5-32-568",
    "s-1-1-0", "s-1-5-32-545", "s-1-5-11",
}
# Services of Windows and IIS that reserve URLs for their own service account (NT SERVICE\<name>):
# WinRM and the Event Collector (/wsman/), SSTP (/sra_{...}/), IIS's Management Service (8172).
OWN_SERVICES = ("winrm", "wecsvc", "sstpsvc", "wmsvc", "w3svc", "was")
ALLOW_ACE = re.compile(r"\(A;[^;]*;[^;]*;[^;]*;[^;]*;([^)]+)\)", re.IGNORECASE)
NA = "N/A"


def service_sid(name: str) -> str:
    """The SID of the service account NT SERVICE\\<name>: S-1-5-80- and the SHA-1 of the upper-case
    name in UTF-16LE, read as five little-endian numbers (MS-LSAT 3.1.1.1.2).

    >>> service_sid("WinRM")
    'S-1-5-80-569256582-2953403351-2909559716-1301513147-412116970'
    """
    digest = hashlib.sha1(name.upper().encode("utf-16-le")).digest()
    return "S-1-5-80-" + "-".join(str(n) for n in struct.unpack("<5I", digest))


OWN_SERVICE_SIDS = {service_sid(name).lower() for name in OWN_SERVICES}


def is_another_account(name: str) -> bool:
    """An account other than IIS's and Windows' own, and narrower than Everyone or Users.

    >>> [is_another_account(n) for n in ("NT AUTHORITY\\\\NETWORK SERVICE", "\\\\Everyone", "IIS APPPOOL\\\\Shop",
    ...                                  "NT SERVICE\\\\ReportServer", "CONTOSO\\\\svc-monitor", "S-1-5-20")]
    [False, False, False, True, True, False]
    >>> [is_another_account(n) for n in ("NT SERVICE\\\\WinRM", "NT SERVICE\\\\WMSvc", "CONTOSO\\\\winrm", service_sid("Wecsvc"))]
    [False, False, True, False]
    """
    lowered = name.strip().lower()
    if lowered.startswith("iis apppool\\") or lowered.startswith("s-1-5-82-"):
        return False
    if lowered.startswith("nt service\\"):
        return lowered.partition("\\")[2] not in OWN_SERVICES
    if lowered.startswith("s-1-"):
        return lowered not in NOT_ANOTHER_SID and lowered not in OWN_SERVICE_SIDS
    return lowered.rpartition("\\")[2] not in NOT_ANOTHER_ACCOUNT


def other_accounts(reservation: UrlReservation) -> list[str]:
    """The accounts, other than IIS's own, a reservation lets register its URLs."""
    if reservation.users:
        return [u.name for u in reservation.users if u.listen and is_another_account(u.name)]
    return [sid for sid in ALLOW_ACE.findall(reservation.sddl) if is_another_account(sid)]


def takes_requests_of(reservation: UrlReservation, binding: Binding) -> bool:
    """The reservation's host, scheme and port catch requests the binding would otherwise get."""
    if (reservation.scheme, reservation.port) != (binding.scheme, binding.port):
        return False
    if reservation.host == "+":
        return True
    if reservation.host == "*":
        return binding.host == "" and binding.ip == "*"
    return reservation.host in (binding.host, binding.ip)


def covers_path(reservation: UrlReservation, path: str) -> bool:
    """The reservation's path is `/` or a prefix of `path` (case-insensitive, as HTTP.sys compares them).

    >>> r = UrlReservation("http://+:80/api/", "http", "+", 80, "/api/")
    >>> covers_path(r, "/API/status?x=1"), covers_path(r, "/api"), covers_path(r, "/apiv2/"), covers_path(r, "/")
    (True, True, False, False)
    """
    path = path.split("?", 1)[0].lower()
    return reservation.path == "/" or (path if path.endswith("/") else path + "/").startswith(reservation.path.lower())


def site_paths(context: Context) -> dict[str, list[str]]:
    """Paths the site serves: site name -> its applications and virtual directories, "" -> URLs logged with N/A."""
    paths = {record.data.name or "": list(record.data.paths) for record in site_records(context)}
    stats = merged_stats(context, context.parsed.get("httperr", []), "httperr", HttpErrStats)
    logged = stats.urls.get(NA) if stats is not None else None
    paths[""] = [str(url) for url, _ in logged.most_common()] if logged else []
    return paths


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    records = [r for result in results for r in result.records]
    facts.add("urlacl.reservations", len(records), [r.source for r in records[:1]],
              f"URL reservations listed: {len(records)}")
    paths = site_paths(context)
    bindings = site_bindings(context)
    if bindings:
        _conflicts_with_bindings(facts, records, bindings, paths)
    else:
        _no_conflict_on_any_port(facts, records, paths)


def _conflicts_with_bindings(facts: Facts, records: list[Record], bindings: list[Binding],
                             paths: dict[str, list[str]]) -> None:
    found = []
    for record in records:
        reservation: UrlReservation = record.data
        others = other_accounts(reservation)
        if not others:
            continue
        for binding in bindings:
            served = paths.get(binding.site, []) + paths[""]
            hit = next((p for p in served if covers_path(reservation, p)), None)
            if takes_requests_of(reservation, binding) and (reservation.path == "/" or hit):
                found.append((record, binding, others, hit))
                break
    if not found:
        facts.add("urlacl.site_conflicts", 0, [b.source for b in bindings],
                  f"no reservation for another account covers a site binding and its paths (bindings read: {len(bindings)})")
        return
    record, binding, others, hit = found[0]
    reservation = record.data
    what = f"path {hit}" if reservation.path != "/" else "every path"
    how = (f"{reservation.url} is reserved for {', '.join(others)} and takes {what} of site "
           f"{binding.site or '(unnamed)'}'s binding {binding.scheme} {binding.ip}:{binding.port}:{binding.host}")
    if len(found) > 1:
        how += f"; reservations like it: {len(found)} in all"
    sources = [record.source, binding.source] + [r.source for r, *_ in found[1:]]
    facts.add("urlacl.site_conflicts", len(found), sources, how)
    facts.add("urlacl.conflict_url", reservation.url, [record.source], "its Reserved URL line")
    facts.add("urlacl.conflict_accounts", ", ".join(others), [record.source], "its User lines that may listen")


def _no_conflict_on_any_port(facts: Facts, records: list[Record], paths: dict[str, list[str]]) -> None:
    """Without the site's bindings only a clean answer is certain: no reservation for another
    account covers a path the site serves, whatever its port (or none is for another account)."""
    served = [p for listed in paths.values() for p in listed]
    others = [r for r in records if other_accounts(r.data)]
    if not others:
        facts.add("urlacl.site_conflicts", 0, [r.source for r in records[:1]],
                  "no reservation is for an account other than IIS's and Windows' own")
    elif served and not any(r.data.path == "/" or any(covers_path(r.data, p) for p in served) for r in others):
        facts.add("urlacl.site_conflicts", 0, [r.source for r in others],
                  "no reservation for another account covers, on any port, a path the site serves or HTTPERR "
                  f"logged with N/A (paths known: {len(served)})")


SOURCE = Source("urlacl", ("urlacl",), {
    "urlacl.reservations": NUMBER, "urlacl.site_conflicts": NUMBER, "urlacl.conflict_url": STRING,
    "urlacl.conflict_accounts": STRING,
}, collect)
