"""What the facts step hands to the rules: named facts with their sources, and the
declaration each evidence source makes of the facts it can set."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from ..evidence.base import ParseResult, SourceRef
from ..timezones import Zone

if TYPE_CHECKING:
    from ..knowledge import KnowledgeBase

MB = 1024 * 1024
# The kinds a fact can be: the same words as `type` in kb/facts.yaml.
NUMBER, BOOL, STRING = "number", "bool", "string"


@dataclass
class Fact:
    name: str
    value: Any
    sources: list[SourceRef] = field(default_factory=list)
    how: str = ""


class Facts(dict):
    """name -> Fact, with helpers for adding and reading values."""

    # How local times were turned into UTC (perfmon bias, event-log zone), in words.
    time_notes: list[str]

    # The evidence sources (`Source.name`) whose files were given: what they set is not asked for.
    sources_read: set[str]
    # Answers that disagree with what the evidence computed.
    conflicts: list["Conflict"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_notes = []
        self.sources_read = set()
        self.conflicts = []

    def add(self, name: str, value: Any, sources: Iterable[SourceRef] = (), how: str = "") -> None:
        if value is None:
            return
        if isinstance(value, float):
            value = round(value, 3)
        self[name] = Fact(name, value, list(dict.fromkeys(sources)), how)

    def value(self, name: str, default: Any = None) -> Any:
        fact = self.get(name)
        return fact.value if fact is not None else default

    def values(self) -> dict[str, Any]:  # type: ignore[override]
        return {name: fact.value for name, fact in self.items()}


@dataclass(frozen=True)
class Conflict:
    """An answer against a value worked out from the evidence, and which one the rules saw."""

    fact: str
    answered: Any
    evidence_fact: str
    evidence_value: Any
    evidence_how: str
    kept: str  # "evidence", or "answer" when the person overrode the evidence on purpose
    evidence_sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True)
class OverrideEvidence:
    """An answer given on purpose against what the evidence worked out: the rules use it.

    Put in the answers in place of the plain value (`{fact: OverrideEvidence(False)}`), so
    the choice is one answer's, not every answer's as with `answer.override_evidence`.
    """

    value: Any


@dataclass
class Context:
    """What a source's step may need besides its own files: the KB's reason-phrase
    vocabulary, the server's time zone, aggregates merged once for several steps, and
    every parsed file of the server by kind (a step that judges its own files against
    another source's, such as URL reservations against the site's bindings, reads them
    here without claiming that source as its own)."""

    kb: KnowledgeBase
    zone: Zone | None = None
    merged: dict[str, Any] = field(default_factory=dict)
    parsed: dict[str, list[ParseResult]] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """One step from parsed files (of `kinds`) to facts, with the facts it can set.

    `produces` maps each fact name to its kind; a name may hold `{phrase}`, `{family}`
    or `{group}`, which stand for every reason phrase, family or group of the KB. These
    declarations are the catalogue `kb lint` checks rules against.
    """

    name: str
    kinds: tuple[str, ...]
    produces: Mapping[str, str]
    collect: Callable[[Facts, list[ParseResult], Context], None]


@dataclass(frozen=True)
class Derivation:
    """Facts worked out from other facts (evidence and answers together), after every source."""

    name: str
    produces: Mapping[str, str]
    derive: Callable[[Facts], None]


def when(stamp: datetime) -> str:
    return stamp.strftime("%Y-%m-%d %H:%M UTC")
