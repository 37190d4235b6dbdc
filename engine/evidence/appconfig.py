"""IIS 7+ `%windir%\\System32\\inetsrv\\config\\applicationHost.config` (the server's IIS settings).

Only the settings that decide whether connections are queued, limited or dropped are
read. Sample input (abridged; defaults are usually left out of the file)::

    <applicationPools>
        <add name="DefaultAppPool" queueLength="5000">
            <failure rapidFailProtection="true" rapidFailProtectionMaxCrashes="5" />
            <processModel pingResponseTime="00:01:30" shutdownTimeLimit="00:01:30" />
        </add>
        <applicationPoolDefaults managedRuntimeVersion="v4.0" />
    </applicationPools>
    <sites><site name="Default Web Site" id="1"><limits maxConnections="500" /></site></sites>
    <webLimits connectionTimeout="00:02:00" minBytesPerSecond="240" headerWaitTimeout="00:00:00" />

The XML is parsed with `defusedxml` (no DTDs, entities or external references: the
file may come from anywhere). One record per app pool, pool defaults, site, site
defaults and `webLimits`, each with the attributes as written and their line numbers;
a site's record also keeps its bindings (protocol, bindingInformation, line) and the
paths of its applications and virtual directories.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("applicationHost.config", [
...     '<configuration><system.applicationHost><applicationPools>',
...     '<add name="DefaultAppPool" queueLength="5000"><failure rapidFailProtection="false" /></add>',
...     '</applicationPools></system.applicationHost></configuration>',
... ]))
>>> pool = result.records[0].data
>>> pool.section, pool.name, pool.attributes["queueLength"], pool.failure
('apppool', 'DefaultAppPool', '5000', {'rapidFailProtection': 'false'})
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from xml.sax.handler import ContentHandler

from .base import Lines, NotThisKind, ParseResult, Record

KIND = "appconfig"
MAX_CHARS = 32 * 1024 * 1024
Section = Literal["apppool", "apppool_defaults", "site", "site_defaults", "weblimits"]
# The child elements kept, by the field of ConfigElement that holds their attributes.
CHILDREN = {"failure": "failure", "processModel": "process_model", "limits": "limits"}


@dataclass(frozen=True, slots=True)
class SiteBinding:
    """One `<binding>` of a site, as written."""

    protocol: str
    # `ip:port:host`, e.g. `*:80:` or `10.1.2.20:443:shop.contoso.com`.
    information: str
    line: int


@dataclass(slots=True)
class ConfigElement:
    """One app pool, the pool defaults, a site, the site defaults or `webLimits` (a record's `data`).

    Attributes stay as written: what the file leaves out is at its IIS default, which
    the facts step knows.
    """

    section: Section
    name: str | None
    attributes: dict[str, str]
    site_id: str | None = None
    # The attributes of its <failure>, <processModel> and <limits> children.
    failure: dict[str, str] = field(default_factory=dict)
    process_model: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)
    # Line of each child read, by the field holding it (failure, process_model, limits).
    line_of: dict[str, int] = field(default_factory=dict)
    # A site's bindings and the paths of its applications and virtual directories.
    bindings: list[SiteBinding] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


def sniff(head: str) -> bool:
    return "<configuration" in head and ("system.applicationHost" in head or "<applicationPools" in head
                                          or "configSections" in head and "applicationHost" in head)


class _Handler(ContentHandler):
    def __init__(self, lines: Lines):
        super().__init__()
        self.lines = lines
        self.stack: list[str] = []
        self.records: list[Record[ConfigElement]] = []
        self.current: Record[ConfigElement] | None = None
        self.locator = None
        self.app_path = "/"

    def setDocumentLocator(self, locator):  # noqa: N802 - SAX API name
        self.locator = locator

    def _record(self, section: Section, attributes) -> Record[ConfigElement]:
        record = Record(KIND, self.lines.ref(self._line()), ConfigElement(
            section, attributes.get("name"), dict(attributes.items()), site_id=attributes.get("id")))
        self.records.append(record)
        return record

    def _line(self) -> int:
        return self.locator.getLineNumber() if self.locator else 0

    def _in_site(self) -> bool:
        """Inside a `<site>`: its bindings and application paths say which URLs the site serves."""
        return self.current is not None and self.current.data.section == "site"

    def startElement(self, name, attributes):  # noqa: N802 - SAX API name
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if name == "add" and parent == "applicationPools":
            self.current = self._record("apppool", attributes)
        elif name == "applicationPoolDefaults":
            self.current = self._record("apppool_defaults", attributes)
        elif name == "site" and parent == "sites":
            self.current = self._record("site", attributes)
        elif name == "siteDefaults":
            self.current = self._record("site_defaults", attributes)
        elif name == "webLimits":
            self._record("weblimits", attributes)
        elif name == "binding" and parent == "bindings" and self._in_site():
            self.current.data.bindings.append(
                SiteBinding(attributes.get("protocol", ""), attributes.get("bindingInformation", ""), self._line()))
        elif name == "application" and parent == "site" and self._in_site():
            self.app_path = attributes.get("path", "/")
            self.current.data.paths.append(self.app_path)
        elif name == "virtualDirectory" and parent == "application" and self._in_site():
            path = self.app_path.rstrip("/") + "/" + attributes.get("path", "/").lstrip("/")
            self.current.data.paths.append(path)
        elif self.current is not None and parent in ("add", "applicationPoolDefaults", "site", "siteDefaults"):
            target = CHILDREN.get(name)
            if target:
                setattr(self.current.data, target, dict(attributes.items()))
                self.current.data.line_of[target] = self._line()

    def endElement(self, name):  # noqa: N802 - SAX API name
        self.stack.pop()
        if name in ("add", "applicationPoolDefaults", "site", "siteDefaults") and self.current is not None \
                and self.stack and self.stack[-1] in ("applicationPools", "sites", "applicationHost", "system.applicationHost"):
            self.current = None


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    parts: list[str] = []
    size = 0
    for _, line in lines:
        size += len(line) + 1
        if size > MAX_CHARS:
            raise NotThisKind("larger than any applicationHost.config")
        parts.append(line)
        result.data_lines += 1
    # The text is already decoded: an encoding="utf-16" declaration would now be a lie.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", "\n".join(parts), count=1)
    # Keep line numbers: the removed declaration sat on line 1 and held no newline.
    handler = _Handler(lines)
    # The SAX reader pulls in urllib.request and http.client: only when a config is read.
    import xml.sax

    import defusedxml.sax
    from defusedxml import DefusedXmlException

    try:
        # Lone surrogates cannot be UTF-8; they become "?" rather than crash the parse.
        defusedxml.sax.parseString(text.encode("utf-8", errors="replace"), handler, forbid_dtd=True)
    except DefusedXmlException as error:
        raise NotThisKind(f"refused unsafe XML ({type(error).__name__})") from error
    except xml.sax.SAXParseException as error:
        if not handler.records:
            raise NotThisKind(f"not well-formed XML: {error.getMessage()} at line {error.getLineNumber()}") from error
        result.notes.append(f"XML ends early or is broken at line {error.getLineNumber()}: {error.getMessage()}; settings before it were read")
    if not handler.records and "system.applicationHost" not in text:
        raise NotThisKind("no applicationHost settings")
    result.records = handler.records
    result.data_lines = len(handler.records)
    return result
