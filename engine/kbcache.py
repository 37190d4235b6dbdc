"""A cache of the validated knowledge base, so a diagnosis does not re-read ~300 YAML files.

Reading, hazard-scanning and validating the KB costs about 0.1 s of every run, a fifth
of a small diagnosis. The result only changes when a KB file or the code that shapes it
changes, so the loaded `KnowledgeBase` is kept as a pickle in the user's cache folder
(`$XDG_CACHE_HOME/httperr-doctor/`, `~/.cache/httperr-doctor/`, `%LOCALAPPDATA%` on
Windows), one file per KB folder.

The file starts with a key: a hash of every `*.yaml` file under the KB folder (names
and bytes), the KB folder's path, the source of the modules whose classes are pickled
(`kb/schema.py`, `engine/knowledge.py`; stronger than the package version, which does
not change while a developer edits them), and the Python and pydantic versions. Any
difference, or a file that cannot be read or unpickled, means the KB is loaded from
YAML as usual and the cache rewritten (atomically: a temporary file renamed over the
old one). A cache folder that cannot be written is no error; the run just pays the
full load. A file not owned by this user, or writable by others, is never unpickled.
`HTTPERR_DOCTOR_NO_CACHE=1` turns the cache off.

`kb lint` does not use this: it always reads and checks every file (`load_kb`).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Callable

CACHE_FORMAT = b"httperr-doctor kb cache 1\n"
NO_CACHE_ENV = "HTTPERR_DOCTOR_NO_CACHE"


def cache_dir() -> Path | None:
    """Where cache files go, or None when the cache is off or no home folder is known."""
    if os.environ.get(NO_CACHE_ENV):
        return None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base and os.name == "nt":
        base = os.environ.get("LOCALAPPDATA")
    if not base:
        home = os.path.expanduser("~")
        if home == "~":
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "httperr-doctor"


def _code_files() -> list[str]:
    """Source files of the classes inside the pickle: a change to them makes old pickles stale."""
    from httperr_doctor.kb import schema

    from . import knowledge

    return [schema.__file__, knowledge.__file__]


def _yaml_files(root: Path) -> list[str]:
    """Every YAML file under `root` (a superset of what `load_kb` reads), sorted."""
    found = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs.sort()
        found += [os.path.join(folder, name) for name in files if name.endswith(".yaml")]
    return sorted(found)


def kb_key(root: Path) -> str:
    """The content hash a cache file must carry to stand for the KB under `root`."""
    import pydantic

    digest = hashlib.sha256()
    digest.update(CACHE_FORMAT)
    for part in (sys.version, sys.implementation.cache_tag or "", pydantic.VERSION, str(root)):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    inside = len(os.path.join(str(root), ""))
    for label, paths in (("code", _code_files()), ("kb", _yaml_files(root))):
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
    return folder / f"kb-{tag}.pickle"


def _trusted(handle) -> bool:
    """Only a file this user owns and nobody else can write is unpickled."""
    if not hasattr(os, "getuid"):  # Windows: the profile folder is the user's own
        return True
    info = os.fstat(handle.fileno())
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def read_cache(path: Path, key: str):
    """The cached KB if `path` holds one for `key`, else None (missing, stale, foreign or corrupt)."""
    header = CACHE_FORMAT + key.encode("ascii") + b"\n"
    try:
        with open(path, "rb") as handle:
            if not _trusted(handle) or handle.read(len(header)) != header:
                return None
            return pickle.loads(handle.read())
    except Exception:  # noqa: BLE001 - any damage means "no cache", never a failed diagnosis
        return None


def write_cache(path: Path, key: str, kb) -> bool:
    """Write atomically (temp file + rename); False when the folder cannot be written."""
    import tempfile  # only when (re)writing: a warm run never needs it

    try:
        data = pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".kb-", suffix=".tmp")
    except Exception:  # noqa: BLE001 - an unpicklable KB or an unwritable folder: run without a cache
        return False
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(CACHE_FORMAT + key.encode("ascii") + b"\n")
            stream.write(data)
        os.replace(temp, path)
        return True
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass
        return False


def cached_load(root: Path, load: Callable[[Path], object], kind: type | None = None):
    """`load(root)`, or the cached result of an earlier call on identical KB files and code."""
    folder = cache_dir()
    if folder is None:
        return load(root)
    try:
        key = kb_key(root)
    except OSError:
        return load(root)  # a file that cannot be read: the loader names it
    path = cache_file(folder, root)
    kb = read_cache(path, key)
    if kb is not None and (kind is None or isinstance(kb, kind)) and getattr(kb, "root", None) == root:
        return kb
    kb = load(root)
    write_cache(path, key, kb)
    return kb
