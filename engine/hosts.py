"""Which server each evidence file belongs to, and why, when the file does not say.

A run may hold one server's files or a farm's, in folders named after the servers or
not, loose or in zip bundles. A server is known by the name it writes into its own
files (systeminfo Host Name, `\\\\HOST\\` in counter paths, the event `Computer:`, the IIS
log's `s-computername`, the collector's manifest). A file that names no server is put,
in this order of trust, with: the server its own file name spells out; the server named
by the files in its folder or the nearest folder above that names any, or in that
folder's name; its top folder as a server of its own, when the run's top folders are
servers (one is named after the server it holds, they hold several named servers, or,
when nothing names a server, two of them not named after evidence hold the same kind of
file); the only server the run names; and when nothing names a server, one unnamed
server with every other such file, since one server's evidence spread over `HTTPERR\\`,
`tools\\`, ... is still one server. Each guess carries its reason in words, which the
report prints.
"""
from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Iterable

from .evidence import ReadFile
from .plurals import joined

UNNAMED_HOST = "(unnamed server)"

# Folders Windows or a help desk names after the evidence inside, never after a server:
# two of them holding the same kind of file are still one server's.
EVIDENCE_FOLDER_WORDS = frozenset({
    "httperr", "w3svc", "logfiles", "logs", "log", "iislogs", "inetpub", "perf", "perfmon", "perflogs",
    "counters", "typeperf", "poolmon", "events", "eventlog", "eventlogs", "evtx", "tools", "config",
    "configs", "netsh", "netstat", "registry", "reg", "boot", "dumps", "traces", "freb", "failedreqlogfiles",
    "sysinfo", "systeminfo", "evidence", "snapshots", "data", "other", "misc",
})
KIND_WORDS = {
    "httperr": "HTTPERR logs", "iislog": "IIS logs", "poolmon": "PoolMon output", "perfmon": "perfmon counters",
    "eventlog": "event logs", "systeminfo": "systeminfo output", "bootini": "boot.ini files",
    "bcdedit": "bcdedit output", "netstat": "netstat output", "netsh": "netsh output",
    "appconfig": "applicationHost.config files", "regquery": "registry exports",
}


def host_key(name: str) -> str:
    """Servers are named by their short name in capitals (`web01.contoso.com` -> `WEB01`); IPs stay whole.

    >>> host_key("web01.contoso.local"), host_key("10.0.0.5")
    ('WEB01', '10.0.0.5')
    """
    text = name.strip().upper()
    return text if re.fullmatch(r"[\d.]+|\[?[0-9A-F:]+\]?", text) else text.split(".")[0]


def is_evidence_folder(name: str) -> bool:
    """A folder named after what it holds (`HTTPERR`, `W3SVC1`, `perf logs`), not after a server.

    >>> is_evidence_folder("W3SVC1"), is_evidence_folder("HTTPERR-old"), is_evidence_folder("WEB01-httperr-evidence")
    (True, True, False)
    """
    words = re.split(r"[^a-z0-9]+", name.lower())
    first = next((word for word in words if word), "")
    return first.rstrip("0123456789") in EVIDENCE_FOLDER_WORDS


_ZIP_MEMBER = re.compile(r"(?i)(\.zip)!")


def _folder_and_name(path: str, flavour: type[PurePath] | None, folders: dict[str, PurePath]) -> tuple[PurePath, str]:
    """A file's folder and name, with each zip bundle as a folder (`farm.zip!web01/a.log` -> `farm.zip/web01`,
    `a.log`), so a zip's members share the zip as a folder's files share it. `folders` keeps one
    path object per folder: a farm has thousands of files in a few folders."""
    path = _ZIP_MEMBER.sub(r"\1/", path)
    if flavour is not None:
        full = flavour(path)
        return full.parent, full.name
    head, name = os.path.split(os.path.abspath(path))
    folder = folders.get(head)
    if folder is None:
        folder = folders[head] = PurePath(head)
    return folder, name


def _common_folder(folders: Iterable[PurePath]) -> PurePath | None:
    """The deepest folder holding every folder given, or None when they share none (two drives or shares).

    >>> from pathlib import PureWindowsPath as W
    >>> _common_folder([W(r"C:\\cases\\WEB01"), W(r"c:\\Cases")]), _common_folder([W("C:/a"), W("D:/a")])
    (PureWindowsPath('C:/cases'), None)
    """
    folders = iter(dict.fromkeys(folders))
    common = next(folders)
    for folder in folders:
        while common != folder and common not in folder.parents:
            if common == common.parent:
                return None
            common = common.parent
    return common


def _names_in(text: str, hosts: dict[str, re.Pattern]) -> list[str]:
    """The known servers a file or folder name spells out as a word of its own (`web01-poolmon.txt`)."""
    upper = text.upper()
    return [host for host, pattern in hosts.items() if pattern.search(upper)]


@dataclass
class Placement:
    """The servers of a run: their files, and for each file that names no server itself, why it was put where it was."""

    groups: dict[str, list[ReadFile]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)


def group_by_host(files: list[ReadFile], flavour: type[PurePath] | None = None) -> dict[str, list[ReadFile]]:
    """Parsed files grouped by server (`place_files` says why)."""
    return place_files(files, flavour).groups


def place_files(files: list[ReadFile], flavour: type[PurePath] | None = None) -> Placement:
    """Put every parsed file with a server (see the module's docstring for the order).

    Paths are made absolute first, so relative and absolute ones can be mixed; `flavour`
    (tests: `PureWindowsPath`) reads the names as another system's paths, as given.
    """
    parsed = [f for f in files if f.result is not None]
    placement = Placement()
    if not parsed:
        return placement
    run = _Run(parsed, flavour)
    groups: dict[str, list[ReadFile]] = defaultdict(list)
    for f in parsed:
        host, reason = run.place(f)
        groups[host].append(f)
        if reason:
            placement.reasons[f.path] = reason
    placement.groups = dict(sorted(groups.items()))
    return placement


class _Run:
    """What the whole run says about servers: who names whom where, and whether its top folders are servers."""

    def __init__(self, parsed: list[ReadFile], flavour: type[PurePath] | None):
        known: dict[str, PurePath] = {}
        self.located = {id(f): _folder_and_name(f.path, flavour, known) for f in parsed}
        self.root = _common_folder(folder for folder, _ in self.located.values())
        tops = {folder: self._top_folder(folder) for folder in {folder for folder, _ in self.located.values()}}
        self.top_of = {key: tops[folder] for key, (folder, _) in self.located.items()}
        self.by_folder: dict[PurePath, tuple[str, str]] = {}
        self.named_in: dict[PurePath, set[str]] = defaultdict(set)
        self.namer: dict[tuple[PurePath | None, str], str] = {}
        kinds_in: dict[PurePath, set[str]] = defaultdict(set)
        for f in parsed:
            top = self.top_of[id(f)]
            if top is not None:
                kinds_in[top].add(f.kind)
        # systeminfo and the collector's manifest name a server as such: the report cites them first.
        for f in sorted(parsed, key=lambda f: f.kind not in ("systeminfo", "manifest")):
            if f.result.host:
                host = host_key(f.result.host)
                self.namer.setdefault((None, host), f.path)
                folder = self.located[id(f)][0]
                for folder in (folder, *folder.parents):
                    self.named_in[folder].add(host)
                    self.namer.setdefault((folder, host), f.path)
        self.everyone = sorted({host for (_, host) in self.namer})
        self.patterns = {host: re.compile(r"(?<![0-9A-Z])" + re.escape(host) + r"(?![0-9A-Z])") for host in self.everyone}
        self.servers_because = self._top_folders_are_servers(kinds_in)

    def _top_folder(self, folder: PurePath) -> PurePath | None:
        """The folder directly under the run's common root that is or holds `folder` (under its drive
        or share when the paths share no root); None for the root itself."""
        if self.root is None:
            return folder.parents[-2] if len(folder.parents) > 1 else (folder if folder.parents else None)
        inside = folder.relative_to(self.root).parts if folder != self.root else ()
        return self.root / inside[0] if inside else None

    def _top_folders_are_servers(self, kinds_in: dict[PurePath, set[str]]) -> str | None:
        """Why the top folders are one server each (the end of a sentence), or None when they are not."""
        named = {top: self.named_in[top] for top in kinds_in if self.named_in.get(top)}
        for top, hosts in sorted(named.items()):
            if host_key(top.name) in hosts:
                return f"the folder {top.name} beside it holds the evidence of {host_key(top.name)} and is named after it"
        if len(set().union(*named.values())) > 1 if named else False:
            return f"the folders here hold the evidence of several servers ({', '.join(self.everyone)})"
        if named:  # one server named, in a folder not called after it: the others' files are taken as its
            return None
        candidates = sorted(top for top in kinds_in if not is_evidence_folder(top.name))
        for kind in sorted(set().union(*(kinds_in[top] for top in candidates)) if candidates else ()):
            holding = [top.name for top in candidates if kind in kinds_in[top]]
            if len(holding) > 1:
                return (f"the folders {joined(holding[:3])} each hold {KIND_WORDS.get(kind, kind + ' files')} of their own, "
                        "as separate servers' evidence does")
        return None

    def place(self, f: ReadFile) -> tuple[str, str | None]:
        """The server `f` belongs to, and why when the file does not name it itself."""
        if f.result.host:
            return host_key(f.result.host), None
        folder, name = self.located[id(f)]
        hosts = _names_in(name, self.patterns)
        if len(hosts) == 1:
            return hosts[0], f"{hosts[0]} is in the file name, and {self.namer[(None, hosts[0])]} names that server"
        if folder not in self.by_folder:
            self.by_folder[folder] = self._place_in(folder, self.top_of[id(f)])
        return self.by_folder[folder]

    def _place_in(self, folder: PurePath, top: PurePath | None) -> tuple[str, str]:
        """The server of a file in `folder` whose own name names none, and why."""
        found = self._named_in_folders(folder, top)
        if found:
            return found
        if self.servers_because and top is not None and not self.named_in.get(top):
            if is_evidence_folder(top.name):
                return UNNAMED_HOST, (f"nothing names its server, the folder {top.name} is named after the evidence it "
                                      f"holds rather than after a server, and {self.servers_because}")
            return host_key(top.name) or UNNAMED_HOST, (
                f"nothing in the folder {top.name} names a server, and {self.servers_because}; "
                f"the server is called after the folder")
        if len(self.everyone) == 1:
            only = self.everyone[0]
            return only, f"{only} is the only server the evidence names ({self.namer[(None, only)]})"
        if not self.everyone:
            return UNNAMED_HOST, "no file names its server, so every file is taken as one server's evidence"
        return UNNAMED_HOST, f"no name on its path tells which of {joined(self.everyone)} it belongs to"

    def _named_in_folders(self, start: PurePath, top: PurePath | None) -> tuple[str, str] | None:
        """A server named by the files in or the name of `start` or the nearest folder above that
        names any, without climbing out of its top folder."""
        if top is None:
            return None
        for folder in (start, *start.parents):
            inside = sorted(self.named_in.get(folder, ()))
            if len(inside) == 1:
                return inside[0], f"the folder {folder.name} holds {self.namer[(folder, inside[0])]}, which names {inside[0]}"
            spelled = [host for host in _names_in(folder.name, self.patterns) if not inside or host in inside]
            if len(spelled) == 1:
                return spelled[0], (f"the folder {folder.name} is named after {spelled[0]}, "
                                    f"the server {self.namer[(None, spelled[0])]} names")
            if inside or folder == top:
                return None
        return None
