"""Take names and secrets out of a report so it can go to a vendor (`diagnose --redact`).

Replaced everywhere in the report (and so in every form rendered from it): IPv4 and
IPv6 addresses, IPv4-mapped ones too (`addr-1`); the servers' host names, also inside
file, folder and counter paths and with their domain (`host-1`), and the host of any
absolute URL; URL query strings (`?query-1`), credentials in URLs (`cred-1@`), session
ids in URL paths (`;jsessionid=session-1`), e-mail addresses (`email-1`) and JSON Web
Tokens (`token-1`). Keys are redacted as well as values (a fact named after an unknown
reason phrase holding an address). The mapping is made
per run, numbered in the order things first appear in the report, so the same
input always gets the same placeholder within a report (two mentions of one client
stay recognisably the same client) and the same evidence gives the same redacted
report every time. Nothing else is kept: the mapping is never written anywhere.

Left alone: the knowledge base's own text and reference links, fact and rule
names, cause ids, numbers.

>>> r = Redactor(hosts=["WEB01"])
>>> r.text(r"\\\\WEB01\\Memory from 10.0.0.5 and 10.0.0.5, then 10.0.0.6 for /a.asp?user=bob&t=1")
'\\\\\\\\host-1\\\\Memory from addr-1 and addr-1, then addr-2 for /a.asp?query-1'
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from .report import Report

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_H = r"[0-9A-Fa-f]{1,4}"
# An address may sit beside `_` or `-` (`Pool_172.16.5.5`, a folder `logs-10.0.0.5`), so
# only letters, digits, dots and colons bound it; a fifth number (`10.0.0.1.5`) is a version.
ADDRESS = re.compile(
    rf"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{{0,4}}:){{2,6}}{_IPV4}(?![0-9A-Za-z]|\.\d)"         # IPv6 ending in IPv4 (::ffff:10.0.0.1)
    rf"|(?<![0-9A-Za-z.]){_IPV4}(?![0-9A-Za-z]|\.\d)"                              # IPv4
    rf"|(?<![0-9A-Za-z:])(?:(?:{_H}:){{7}}{_H}"                                       # IPv6, full
    rf"|(?:{_H}:){{1,7}}:(?:{_H}(?::{_H}){{0,6}})?"                             # IPv6 with ::
    rf"|::(?:{_H}(?::{_H}){{0,6}})?)(?:%[\w.]+)?(?![0-9A-Za-z]|:[0-9A-Za-z:])"
)
QUERY = re.compile(r"((?:[a-z][a-z0-9+.-]*:)?/[^\s?\"'<>]*)\?([^\s#\"'<>)\]]+)", re.IGNORECASE)
# scheme://[user[:password]@]host: the credentials and the host name (an intranet name
# says whose network it is). `+`, `*` and localhost (URL reservations) name no one.
URI_AUTHORITY = re.compile(r"(?<![\w+.-])([a-z][a-z0-9+.-]*://)(?:([^/\s@?#\"'<>]+)@)?([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)",
                           re.IGNORECASE)
PUBLIC_HOSTS = frozenset({"localhost"})
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
SESSION_PARAMETER = re.compile(r"(;(?:jsessionid|phpsessid|sessionid|sid|session|token)=)([^;/?#\s\"'<>]+)", re.IGNORECASE)
# File-name endings kept after a host name's domain is taken out (`web01.corp.example.com`
# becomes `host-1`, `WEB01.log` stays `host-1.log`).
FILE_ENDINGS = frozenset({"log", "txt", "csv", "ini", "xml", "config", "yaml", "yml", "json", "evtx", "evt", "zip",
                          "reg", "md", "html", "htm", "out", "dmp", "etl", "blg"})
# Fields holding only the tool's own vocabulary (ids, the KB's reference links, whose
# query strings are not secrets). Fact names are not among them: a reason phrase from
# the evidence names facts (`httperr.reason.<phrase>.count`) and may hold an address.
# Lists of ids elsewhere are safe to pass through the patterns, which never match an id.
KEEP = frozenset({"schema_version", "tool", "id", "rule", "kind", "category", "direction", "encoding",
                  "references", "question", "bucket", "group"})


class Redactor:
    """Consistent placeholders for one report."""

    def __init__(self, hosts: Iterable[str] = ()):
        self.mapping: dict[tuple[str, str], str] = {}
        self.counts: dict[str, int] = {}
        names = sorted({h for h in hosts if h and not h.startswith("(")}, key=lambda h: (-len(h), h))
        # A host name beside `_` or `-` (`WEB01_logs`, `iis-WEB01`) is still the name, and
        # the domain labels after it (`WEB01.corp.example.com`) go with it.
        self.hosts = re.compile(r"(?<![0-9A-Za-z])(?:" + "|".join(re.escape(h) for h in names)
                                + r")(?![0-9A-Za-z])((?:\.[A-Za-z0-9-]+)*)", re.IGNORECASE) if names else None

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, value.lower())
        if key not in self.mapping:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.mapping[key] = f"{kind}-{self.counts[kind]}"
        return self.mapping[key]

    def text(self, text: str) -> str:
        text = JWT.sub(lambda m: self.placeholder("token", m.group(0)), text)
        text = URI_AUTHORITY.sub(self._authority, text)
        text = EMAIL.sub(lambda m: self.placeholder("email", m.group(0)), text)
        text = SESSION_PARAMETER.sub(lambda m: m.group(1) + self.placeholder("session", m.group(2)), text)
        text = QUERY.sub(lambda m: f"{m.group(1)}?{self.placeholder('query', m.group(2))}", text)
        text = ADDRESS.sub(lambda m: self.placeholder("addr", m.group(0)), text)
        if self.hosts is not None:
            text = self.hosts.sub(self._host, text)
        return text

    def _authority(self, match: re.Match) -> str:
        scheme, credentials, host = match.groups()
        shown = scheme + (self.placeholder("cred", credentials) + "@" if credentials else "")
        if host.lower() in PUBLIC_HOSTS or ADDRESS.fullmatch(host):
            return shown + host  # an address is replaced by the address pattern
        return shown + self.placeholder("host", host)

    def _host(self, match: re.Match) -> str:
        domain = match.group(1)
        name = match.group(0)[: len(match.group(0)) - len(domain)]
        ending = domain.rsplit(".", 1)[-1] if domain else ""
        keep = f".{ending}" if ending.lower() in FILE_ENDINGS else ""
        return self.placeholder("host", name) + keep

    def value(self, node: Any, key: str = "") -> Any:
        if key in KEEP:
            return node
        if isinstance(node, str):
            return self.text(node)
        if isinstance(node, list):
            return [self.value(item, key) for item in node]
        if isinstance(node, tuple):
            return tuple(self.value(item, key) for item in node)
        if isinstance(node, dict):
            # Keys too: a fact or series may be named after evidence (an unknown reason phrase).
            return {self.text(name) if isinstance(name, str) else name: self.value(item, name if key != "facts" else "")
                    for name, item in node.items()}
        return node


def report_hosts(report: Report) -> list[str]:
    """Every host name the report knows: servers, inputs, and the facts that name hosts."""
    found = [report.host or ""] + [s.host for s in report.servers] + [i.host or "" for i in report.inputs]
    for server in report.servers:
        found += [str(v) for name, v in server.facts.items() if name in ("host.name",) and isinstance(v, str)]
    return [h for h in dict.fromkeys(found) if h]


def redact(report: Report) -> Report:
    """The same report with addresses, host names and query strings replaced (see module doc)."""
    redactor = Redactor(report_hosts(report))
    data = redactor.value(report.model_dump(mode="json"))
    data["redacted"] = True
    return Report.model_validate(data)
