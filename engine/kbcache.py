"""A cache of the validated knowledge base, so a diagnosis does not re-read ~300 YAML files.

Reading, hazard-scanning and validating the KB costs about 0.1 s of every run, a fifth
of a small diagnosis. The result only changes when a KB file or the code that shapes it
changes, so the loaded KB is kept as JSON in the user's cache folder
(`$XDG_CACHE_HOME/httperr-doctor/`, `~/.cache/httperr-doctor/`, `%LOCALAPPDATA%` on
Windows), one file per KB folder.

The file is plain data (JSON), never a pickle: whoever manages to write it could at
worst change what a diagnosis of their own machine says, never run code as the reader.
Even so the cache is only used in a folder this user owns and nobody else can write,
inside a cache root nobody else can write (or a sticky one, like /tmp), and the file is
opened without following a link at its name and must be a regular file this user owns
and only this user can write. Anything else means the KB is read from YAML as usual.

The file starts with a key: a hash of every `*.yaml` file under the KB folder (names
and bytes), the KB folder's path, the source of the modules that shape the cached data
(named by the owner, see `CachedLoader`), and the Python and pydantic versions. Any
difference, or a file that cannot be read or decoded, means the KB is loaded from YAML
and the cache rewritten (atomically: a temporary file renamed over the old one). A cache
folder that cannot be written is no error; the run just pays the full load.
`HTTPERR_DOCTOR_NO_CACHE=1` turns the cache off.

`kb lint` does not use this: it always reads and checks every file (`load_kb`).
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any, Callable, Mapping

CACHE_FORMAT = b"httperr-doctor kb cache 2 json\n"
NO_CACHE_ENV = "HTTPERR_DOCTOR_NO_CACHE"
MAX_CACHE_BYTES = 64 * 1024 * 1024
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class CachedLoader:
    """What is cached and how, handed in by its owner (engine/knowledge.py) so this
    module knows nothing of the KB's classes."""

    load: Callable[[Path], Any]
    """Reads and validates the files under a root (the slow path)."""
    to_data: Callable[[Any], Any]
    """A loaded result as JSON-able data."""
    from_data: Callable[[Path, Any], Any]
    """The result again from that data; may raise on data it does not recognise."""
    code_files: tuple[str, ...]
    """Source files whose change makes old cache files stale."""


def cache_dir() -> Path | None:
    """Where cache files go, or None when the cache is off or no home folder is known."""
    where = cache_location(os.environ, os.name == "nt", os.path.expanduser("~"))
    return None if where is None else Path(where)


def cache_location(environ: Mapping[str, str], windows: bool, home: str) -> PurePath | None:
    """The cache folder for this environment, as a Windows or a POSIX path (testable on either).

    >>> cache_location({"LOCALAPPDATA": "C:/Users/amy/AppData/Local"}, True, "C:/Users/amy")
    PureWindowsPath('C:/Users/amy/AppData/Local/httperr-doctor')
    >>> cache_location({}, False, "/home/amy")
    PurePosixPath('/home/amy/.cache/httperr-doctor')
    """
    if environ.get(NO_CACHE_ENV):
        return None
    flavour = PureWindowsPath if windows else PurePosixPath
    base = environ.get("XDG_CACHE_HOME") or (environ.get("LOCALAPPDATA") if windows else None)
    if base:
        return flavour(base) / "httperr-doctor"
    if not home or home == "~":
        return None
    return flavour(home) / ("AppData/Local" if windows else ".cache") / "httperr-doctor"


def _yaml_files(root: Path) -> list[str]:
    """Every YAML file under `root` (a superset of what `load_kb` reads), sorted."""
    found = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs.sort()
        found += [os.path.join(folder, name) for name in files if name.endswith(".yaml")]
    return sorted(found)


def kb_key(root: Path, code_files: tuple[str, ...] | list[str]) -> str:
    """The content hash a cache file must carry to stand for the KB under `root`."""
    import pydantic

    digest = hashlib.sha256()
    digest.update(CACHE_FORMAT)
    for part in (sys.version, sys.implementation.cache_tag or "", pydantic.VERSION, str(root)):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    inside = len(os.path.join(str(root), ""))
    for label, paths in (("code", list(code_files)), ("kb", _yaml_files(root))):
        for path in paths:
            with open(path, "rb") as handle:
                data = handle.read()
            # os.walk paths start with the root as given: the rest is the name inside the KB.
            name = path[inside:] if label == "kb" else os.path.basename(path)
            digest.update(f"{label}\0{name}\0{len(data)}\0".encode("utf-8", "surrogateescape"))
            digest.update(data)
    return digest.hexdigest()


def cache_file(folder: Path, root: Path) -> Path:
    tag = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return folder / f"kb-{tag}.json"


def private_folder(folder: Path) -> bool:
    """True when `folder` is a real folder of this user that nobody else can write, in a
    cache root that nobody else can write either (or only in a sticky way, as /tmp):
    otherwise another user could put their own file where the cache is read."""
    if not hasattr(os, "getuid"):  # Windows: the profile folder is the user's own
        return True
    uid = os.getuid()
    try:
        own = os.lstat(folder)
        parent = os.stat(folder.parent)
    except OSError:
        return False
    if not stat.S_ISDIR(own.st_mode) or own.st_uid != uid or own.st_mode & 0o022:
        return False
    shared = parent.st_mode & 0o022 and not parent.st_mode & stat.S_ISVTX
    return parent.st_uid in (uid, 0) and not shared


def _trusted(info: os.stat_result) -> bool:
    """A regular file of sane size that this user owns and nobody else can write."""
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CACHE_BYTES:
        return False
    if not hasattr(os, "getuid"):
        return True
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def read_cache(path: Path, key: str) -> Any:
    """The data cached in `path` for `key`, else None (missing, stale, foreign, a link or corrupt)."""
    header = CACHE_FORMAT + key.encode("ascii") + b"\n"
    try:
        handle = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        with os.fdopen(handle, "rb") as stream:
            if not _trusted(os.fstat(stream.fileno())) or stream.read(len(header)) != header:
                return None
            return json.loads(stream.read())
    except Exception:  # noqa: BLE001 - any damage means "no cache", never a failed diagnosis
        return None


def write_cache(path: Path, key: str, data: Any) -> bool:
    """Write atomically (temp file + rename); False when the folder cannot be written or is not private."""
    import tempfile  # only when (re)writing: a warm run never needs it

    try:
        body = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not private_folder(path.parent):
            return False
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".kb-", suffix=".tmp")
    except Exception:  # noqa: BLE001 - data JSON cannot hold or an unwritable folder: run without a cache
        return False
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(CACHE_FORMAT + key.encode("ascii") + b"\n")
            stream.write(body)
        os.replace(temp, path)
        return True
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass
        return False


def cached_load(root: Path, loader: CachedLoader) -> Any:
    """`loader.load(root)`, or the cached result of an earlier call on identical files and code."""
    folder = cache_dir()
    if folder is None:
        return loader.load(root)
    try:
        key = kb_key(root, loader.code_files)
    except OSError:
        return loader.load(root)  # a file that cannot be read: the loader names it
    path = cache_file(folder, root)
    if private_folder(folder):
        data = read_cache(path, key)
        if data is not None:
            try:
                return loader.from_data(root, data)
            except Exception:  # noqa: BLE001 - data of another shape: rebuild it
                pass
    loaded = loader.load(root)
    write_cache(path, key, loader.to_data(loaded))
    return loaded
