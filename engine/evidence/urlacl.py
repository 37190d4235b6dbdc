"""Output of `netsh http show urlacl`: the HTTP.sys URL reservations (who may register which URLs).

Sample input (the layout of Windows Server 2008 to 2025, English; the WCF default from
Microsoft's "Replace the WCF URL Reservation" article)::

    URL Reservations:
    -----------------

        Reserved URL            : http://+:80/Temporary_Listen_Addresses/
            User: \\Everyone
                Listen: Yes
                Delegate: No
                SDDL: D:(A;;GX;;;WD)

        Reserved URL            : http://+:47001/wsman/
            User: NT SERVICE\\WinRM
                Listen: Yes
                Delegate: No
            User: NT SERVICE\\Wecsvc
                Listen: Yes
                Delegate: No
                SDDL: D:(A;;GX;;;S-1-5-80-569256582-...)(A;;GX;;;S-1-5-80-4059739203-...)

A reservation lists one `User:` block per account, each with its own `Listen` and
`Delegate`, and one `SDDL:` for the whole reservation. Indentation is not trusted:
copies pasted into tickets lose it, so the `Reserved URL` line starts a reservation and
`User:` starts an account. One record per reservation, its `data` an `UrlReservation`.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("urlacl.txt", [
...     "URL Reservations:",
...     "-----------------",
...     "    Reserved URL            : http://+:80/api/",
...     "        User: CONTOSO\\\\svc-monitor",
...     "            Listen: Yes",
...     "            Delegate: No",
...     "            SDDL: D:(A;;GX;;;S-1-5-21-1004336348-1177238915-682003330-5120)",
... ]))
>>> found = result.records[0].data
>>> found.scheme, found.host, found.port, found.path, [(u.name, u.listen) for u in found.users]
('http', '+', 80, '/api/', [('CONTOSO\\\\svc-monitor', True)])
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .base import Lines, NotThisKind, ParseResult, Record, Skip

KIND = "urlacl"
PAIR = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z ]*?)\s*:\s*(?P<value>.*?)\s*$")
URL = re.compile(r"^(?P<scheme>https?)://(?P<host>\[[^\]]*\]|[^/:]+):(?P<port>\d{1,5})(?P<path>/.*)?$", re.IGNORECASE)
HEADINGS = {"url reservations"}


@dataclass(slots=True)
class UrlAclUser:
    """One account of a reservation: may it register (listen) and delegate the URLs."""

    name: str
    listen: bool = False
    delegate: bool = False


@dataclass(slots=True)
class UrlReservation:
    """One `Reserved URL` block: the UrlPrefix, split, and the accounts it is reserved for."""

    url: str
    scheme: str
    host: str  # `+` strong wildcard, `*` weak wildcard, a host name or an IP literal
    port: int
    path: str  # always starts and ends with `/`
    users: list[UrlAclUser] = field(default_factory=list)
    sddl: str = ""


def sniff(head: str) -> bool:
    lowered = head.lower()
    return "url reservations:" in lowered or bool(re.search(r"^\s*reserved url\s*:", lowered, re.MULTILINE))


def split_url(url: str) -> tuple[str, str, int, str] | None:
    """A UrlPrefix as (scheme, host, port, path); the path keeps its slashes, the host its brackets.

    >>> split_url("HTTP://+:80/api"), split_url("https://[::1]:443/"), split_url("http://+/")
    (('http', '+', 80, '/api/'), ('https', '[::1]', 443, '/'), None)
    """
    match = URL.match(url.strip())
    if not match:
        return None
    path = match.group("path") or "/"
    return (match.group("scheme").lower(), match.group("host").lower(), int(match.group("port")),
            path if path.endswith("/") else path + "/")


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    current: UrlReservation | None = None
    started = heading = False
    for number, line in lines:
        text = line.strip()
        if not text or set(text) <= {"-"}:
            continue
        match = PAIR.match(line)
        key = match.group("key").lower() if match else ""
        if key in HEADINGS:
            heading = True
        elif key == "reserved url":
            started = True
            current = _reservation(match.group("value"), number, lines, result)
        elif not started:
            if "netsh" not in text.lower():
                result.skips.append(Skip(number, "before the first `Reserved URL` line"))
        else:
            result.data_lines += 1
            if not _account_line(current, key, match.group("value") if match else ""):
                result.skips.append(Skip(number, "not a User, Listen, Delegate or SDDL line of a reservation"))
    if not started:
        if not heading:
            raise NotThisKind("no `Reserved URL` line found")
        result.notes.append("the file lists no URL reservation")
    return result


def _reservation(value: str, number: int, lines: Lines, result: ParseResult) -> UrlReservation | None:
    result.data_lines += 1
    parts = split_url(value)
    if parts is None:
        result.skips.append(Skip(number, f"reserved URL {value!r} is not scheme://host:port/path"))
        return None
    reservation = UrlReservation(value.strip(), *parts)
    result.records.append(Record(KIND, lines.ref(number), reservation))
    return reservation


def _account_line(reservation: UrlReservation | None, key: str, value: str) -> bool:
    """Fill in the reservation from a `User:`, `Listen:`, `Delegate:` or `SDDL:` line; False if it is none of them."""
    if reservation is None:
        return True  # the lines under a reservation whose URL could not be read: already skipped once
    if key == "user":
        reservation.users.append(UrlAclUser(value))
    elif key in ("listen", "delegate") and reservation.users:
        setattr(reservation.users[-1], key, value.lower() == "yes")
    elif key == "sddl":
        reservation.sddl = value
    else:
        return False
    return True
