"""Which server each evidence file belongs to.

A run may hold one server's files or a farm's, in folders named after the servers or
not; every file is given to one server so each gets its own diagnosis.
"""
from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import PurePath
from typing import Iterable

from .evidence import ReadFile

UNNAMED_HOST = "(unnamed server)"


def host_key(name: str) -> str:
    """Servers are named by their short name in capitals (`web01.contoso.com` -> `WEB01`); IPs stay whole.

    >>> host_key("web01.contoso.local"), host_key("10.0.0.5")
    ('WEB01', '10.0.0.5')
    """
    text = name.strip().upper()
    return text if re.fullmatch(r"[\d.]+|\[?[0-9A-F:]+\]?", text) else text.split(".")[0]


def _folder_name(folder: PurePath) -> str:
    # A folder inside a zip bundle is named `bundle.zip!HOST`.
    return folder.name.rsplit("!", 1)[-1].upper()


def _common_folder(paths: Iterable[PurePath]) -> PurePath | None:
    """The deepest folder holding every path, or None when they share none (two drives or shares).

    >>> from pathlib import PureWindowsPath as W
    >>> _common_folder([W(r"C:\\cases\\WEB01\\a.log"), W(r"c:\\Cases\\b.log")]), _common_folder([W("C:/a/x"), W("D:/a/y")])
    (PureWindowsPath('C:/cases'), None)
    """
    folders = iter(dict.fromkeys(p.parent for p in paths))
    common = next(folders)
    for folder in folders:
        while common != folder and common not in folder.parents:
            if common == common.parent:
                return None
            common = common.parent
    return common


def _host_in_folders(path: PurePath, top: PurePath | None, named_in: dict[PurePath, set[str]]) -> str | None:
    """The one host named in the file's folder or the nearest folder above it that names
    any, without climbing out of its top folder."""
    for folder in path.parents:
        names = named_in.get(folder, set())
        if len(names) == 1 and (top is None or folder == top or top in folder.parents):
            return next(iter(names))
        if names or folder == top:
            return None
    return None


def group_by_host(files: list[ReadFile], flavour: type[PurePath] | None = None) -> dict[str, list[ReadFile]]:
    """Group parsed files by server.

    A file that names its host (systeminfo Host Name, `\\\\HOST\\` in counter paths, the
    event `Computer:`) goes to that host. Any other file takes the host named in its
    folder or the nearest folder above it, without climbing out of its top folder
    (the folder directly under the common root of the run). When the top folders are
    servers (named after their host, or naming several hosts), a top folder that names
    none is a server of its own, called by the folder's name. Otherwise the only host
    in the run, and failing that the top folder's name or "(unnamed server)". Paths on
    different drives or shares have no common root: each one's top folder is then the
    one under its drive or share.

    Paths are made absolute first, so relative and absolute ones can be mixed; `flavour`
    (tests: `PureWindowsPath`) reads the names as another system's paths, as given.
    """
    parsed = [f for f in files if f.result is not None]
    if not parsed:
        return {}
    paths = {id(f): PurePath(os.path.abspath(f.path)) if flavour is None else flavour(f.path) for f in parsed}
    root = _common_folder(paths.values())

    def top_folder(path: PurePath) -> PurePath | None:
        if root is None:
            return path.parents[-2] if len(path.parents) > 1 else None
        inside = path.parent.relative_to(root).parts if path.parent != root else ()
        return root / inside[0] if inside else None

    named_in: dict[PurePath, set[str]] = defaultdict(set)
    for f in parsed:
        if f.result.host:
            for folder in paths[id(f)].parents:
                named_in[folder].add(host_key(f.result.host))
    everyone = named_in.get(root, set()) if root is not None else set()
    top_of = {key: top_folder(path) for key, path in paths.items()}  # once per file: thousands of files in a farm
    tops = set(top_of.values())
    named_tops = {top: named_in[top] for top in tops if top in named_in}
    tops_are_servers = len(set().union(*named_tops.values())) > 1 if named_tops else False
    tops_are_servers = tops_are_servers or any(host_key(_folder_name(t)) in hosts for t, hosts in named_tops.items())
    groups: dict[str, list[ReadFile]] = defaultdict(list)
    for f in parsed:
        path = paths[id(f)]
        top = top_of[id(f)]
        host = host_key(f.result.host) if f.result.host else _host_in_folders(path, top, named_in)
        if host is None:
            if top is not None and tops_are_servers and top not in named_tops:
                host = host_key(_folder_name(top)) or UNNAMED_HOST
            elif len(everyone) == 1:
                host = next(iter(everyone))
            elif top is not None and (everyone or len(tops) > 1):
                host = host_key(_folder_name(top)) or UNNAMED_HOST
            else:
                host = UNNAMED_HOST
        groups[host].append(f)
    return dict(sorted(groups.items()))
