"""A wizard session as a file: the evidence paths and the answers, in the order given
(each with the side the person chose if evidence contradicted it: `kept`).

The same file serves three purposes: Ctrl-C saves it and `--resume` continues it;
`--answers FILE` replays it without a terminal (a ticket attachment or a regression
case); and a finished session can be saved for either. YAML or JSON, by extension.

Files are written to a temporary file in the same folder and moved into place with
`os.replace`, so a crash or a full disk never leaves half a session behind.

A session file may come from someone else (a ticket), so it is read as the KB loader
reads its own files: over `MAX_SESSION_BYTES`, not UTF-8 text, YAML anchors, aliases or
tags, nesting deeper than the KB allows, or an answer that is not one plain value are
refused with one line, before anything is built from it.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any

import yaml

from httperr_doctor.engine.facts import OverrideEvidence
from httperr_doctor.engine.knowledge import yaml_hazards

FORMAT = "httperr-doctor-session"
VERSION = 1
# A session holds a few dozen short answers: a few KB. Far more is not a session.
MAX_SESSION_BYTES = 1024 * 1024
# Which side a person chose when an answer met evidence that says otherwise.
EVIDENCE, ANSWER = "evidence", "answer"


class SessionError(ValueError):
    """The file is not a session this version can read (the message says why)."""


@dataclass
class Answer:
    question: str
    fact: str
    value: Any = None
    # "I don't know / can't check": the fact stays missing; the question is not asked again.
    unknown: bool = False
    # Set once the answer met evidence that says otherwise and the person chose a side:
    # EVIDENCE (the default) or ANSWER (override the evidence on purpose).
    kept: str | None = None

    def to_dict(self) -> dict:
        data = {"question": self.question, "fact": self.fact}
        data.update({"unknown": True} if self.unknown else {"value": self.value})
        if self.kept:
            data["kept"] = self.kept
        return data

    def given(self) -> Any:
        """The value as the engine takes it: marked when it overrides the evidence on purpose."""
        return OverrideEvidence(self.value) if self.kept == ANSWER else self.value


@dataclass
class Tick:
    """One checklist item at the end: a remediation step or a verification."""

    cause: str
    item: str
    title: str
    status: str  # done | skipped

    def to_dict(self) -> dict:
        return {"cause": self.cause, "item": self.item, "title": self.title, "status": self.status}


@dataclass
class Session:
    evidence: list[str] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    checklist: list[Tick] = field(default_factory=list)
    finished: bool = False

    def known(self) -> dict[str, Any]:
        """fact -> value for every real answer (later answers win), as the engine takes them."""
        return {a.fact: a.given() for a in self.answers if not a.unknown}

    def skipped(self) -> set[str]:
        return {a.question for a in self.answers if a.unknown}

    def undo(self) -> Answer | None:
        return self.answers.pop() if self.answers else None

    def to_dict(self, relative_to: Path | None = None) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "finished": self.finished,
            "evidence": [_portable(p, relative_to) for p in self.evidence],
            "answers": [a.to_dict() for a in self.answers],
            "checklist": [t.to_dict() for t in self.checklist],
        }


def _portable(path: str, base: Path | None) -> str:
    """Paths under the session file's folder are stored relative to it, with `/` (which
    Windows reads too), so the pair can move, also between Windows and Linux."""
    if base is None:
        return path
    try:
        return Path(path).resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(Path(path).resolve())


def _beside(base: Path, stored: str) -> str:
    """A stored evidence path as a path here: relative ones are under the session's folder,
    also when a Windows machine wrote them with backslashes."""
    if Path(stored).is_absolute() or PureWindowsPath(stored).anchor:
        return stored
    here = base / stored
    if "\\" in stored and not here.exists():
        here = base.joinpath(*PureWindowsPath(stored).parts)
    return str(here)


def dumps(session: Session, path: Path) -> str:
    data = session.to_dict(path.parent)
    if path.suffix.lower() == ".json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    header = "# httperr-doctor wizard session: replay with `httperr-doctor wizard --answers FILE`\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def save_session(session: Session, path: str | Path) -> Path:
    """Write atomically: a temporary file beside the target, then `os.replace`."""
    path = Path(path)
    text = dumps(session, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def load_session(path: str | Path) -> Session:
    path = Path(path)
    data = _session_data(path, _session_text(path))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(f"{path} is not an httperr-doctor session file (no `format: {FORMAT}`)")
    if data.get("version") != VERSION:
        raise SessionError(f"{path} is a session of version {_short(data.get('version'))}; this httperr-doctor reads version {VERSION}")
    try:
        answers = [Answer(question=_word(a["question"]), fact=_word(a["fact"]), value=_plain_value(a.get("value")),
                          unknown=bool(a.get("unknown", False)), kept=_side(a.get("kept")))
                   for a in data.get("answers") or []]
        ticks = [Tick(**{k: _word(t[k]) for k in ("cause", "item", "title", "status")}) for t in data.get("checklist") or []]
        evidence = [_word(p) for p in data.get("evidence") or []]
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise SessionError(f"{path}: an answer or checklist entry is incomplete or not plain text ({_short(error)})") from error
    base = path.resolve().parent
    evidence = [_beside(base, p) for p in evidence]
    return Session(evidence=evidence, answers=answers, checklist=ticks, finished=bool(data.get("finished")))


def _session_text(path: Path) -> str:
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_SESSION_BYTES + 1)
    except OSError as error:
        raise SessionError(f"cannot read session file {path}: {error.strerror or error}") from error
    if len(raw) > MAX_SESSION_BYTES:
        raise SessionError(f"{path} is over {MAX_SESSION_BYTES:,} bytes; a saved session is a few KB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessionError(f"{path} is not a session file: it is not UTF-8 text") from None
    if "\x00" in text:
        raise SessionError(f"{path} is not a session file: it holds NUL bytes (a binary file?)")
    return text


def _session_data(path: Path, text: str) -> Any:
    """The file's data, parsed only once it is known to be plain, shallow YAML or JSON."""
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text, parse_constant=_no_constant)
        except RecursionError:
            raise SessionError(f"{path} is not a valid session file: nested too deeply") from None
        except ValueError as error:
            raise SessionError(f"{path} is not a valid session file: {_short(error)}") from None
    hazards = yaml_hazards(text, "session files")
    if hazards:
        line, message = hazards[0]
        raise SessionError(f"{path}:{line}: {message}")
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise SessionError(f"{path}{where} is not a valid session file: {_short(getattr(error, 'problem', None) or error)}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a session can hold")


def _word(value: Any) -> str:
    """A name, path or title: text (or a number written as text), never a structure."""
    if isinstance(value, (dict, list)) or value is None:
        raise ValueError(f"expected text, found {type(value).__name__}")
    return str(value)


def _side(value: Any) -> str | None:
    """Which side of a conflict the person chose, if they were asked."""
    if value is None or value in (EVIDENCE, ANSWER):
        return value
    raise ValueError(f"kept must be {EVIDENCE} or {ANSWER}, not {_short(value)}")


def _plain_value(value: Any) -> Any:
    """An answer: yes/no, a finite number, a word, or nothing."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"the number {value} is not finite")
        return value
    if isinstance(value, str):
        return value
    raise ValueError(f"an answer must be one value, found {type(value).__name__}")


def _short(value: Any) -> str:
    """One line of at most 120 characters, for a message about a file someone else wrote."""
    text = " ".join(str(value).split())
    return text if len(text) <= 120 else text[:117] + "..."
