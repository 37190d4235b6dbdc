"""What every rule engine returns, and which engine runs the KB.

Two engines evaluate the same rules with the same meaning: durable-rules
(`engine/inference.py`, the only module that imports it) wherever it is installed,
and the pure-Python reference evaluator (`engine/reference_inference.py`) wherever
it is not (Windows, Python 3.13 and later: durable-rules 2.0.28 does not build
there). Their firings, near misses and unused facts are identical on every fact
set whose values have the types `kb/facts.yaml` declares (tests/test_engines_agree.py).

`HTTPERR_DOCTOR_ENGINE=durable|reference` (or the CLI's `--engine`) forces one;
`auto` (the default) takes durable-rules when it imports.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Protocol

if TYPE_CHECKING:  # the CLI imports this module before it knows whether it needs pydantic
    from httperr_doctor.kb.schema import Condition, Rule

ENGINE_ENV = "HTTPERR_DOCTOR_ENGINE"
DURABLE, REFERENCE, AUTO = "durable-rules", "reference", "auto"
# What the environment variable and --engine accept, and the engine each means.
CHOICES = {"durable": DURABLE, "durable-rules": DURABLE, "reference": REFERENCE, "auto": AUTO}


class RuleFailed(RuntimeError):
    """A rule's action raised; durable-rules would have hidden it."""

    def __init__(self, rule_id: str, error: BaseException):
        self.rule_id = rule_id
        self.error = error
        super().__init__(f"rule {rule_id} failed: {type(error).__name__}: {error}")


class FactTypeError(TypeError):
    """A fact's value does not have the type the catalogue declares."""


class EngineUnavailable(ImportError):
    """The engine asked for cannot run on this interpreter."""


@dataclass(frozen=True)
class Firing:
    rule_id: str
    facts: tuple[str, ...]


@dataclass
class InferenceResult:
    firings: list[Firing] = field(default_factory=list)
    unused_facts: list[str] = field(default_factory=list)
    # (rule id, condition index) for every single condition that held: explains near
    # misses and tells which unknown facts would complete a rule.
    conditions_held: set[tuple[str, int]] = field(default_factory=set)

    @property
    def fired(self) -> set[str]:
        return {f.rule_id for f in self.firings}


class RuleEngine(Protocol):
    """Compiled rules; `run(facts)` is deterministic and re-entrant."""

    name: str
    referenced_facts: list[str]

    def run(self, facts: Mapping[str, Any]) -> InferenceResult: ...


_TYPES: dict[str, tuple[type, ...]] = {"number": (int, float), "bool": (bool,), "string": (str,)}


def check_type(name: str, value: Any, kind: str | None) -> None:
    if kind is None:
        return
    ok = isinstance(value, _TYPES[kind]) and not (kind == "number" and isinstance(value, bool))
    if not ok:
        raise FactTypeError(f"fact {name} must be a {kind}, got {value!r}")


@dataclass(frozen=True)
class CompiledRules:
    """What both engines work out from the rules before any run."""

    rules: dict[str, Rule]
    referenced_facts: list[str]
    referenced: frozenset[str]
    # Facts an `absent` condition names: the only unknown facts any rule can use.
    absent_facts: list[str]

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> "CompiledRules":
        by_id = {rule.id: rule for rule in rules}
        conditions = [c for rule in by_id.values() for c in rule.when]
        referenced = sorted({c.fact for c in conditions})
        return cls(by_id, referenced, frozenset(referenced),
                   sorted({c.fact for c in conditions if c.operator == "absent"}))

    def checked_split(self, facts: Mapping[str, Any], fact_types: Mapping[str, str]) -> tuple[list[str], list[str]]:
        """Type-check every fact (in name order), then split the names into (named by a rule, not)."""
        named, not_named = [], []
        for name in sorted(facts):
            check_type(name, facts[name], fact_types.get(name))
            (named if name in self.referenced else not_named).append(name)
        return named, not_named


def grouped_by_fact(rule: Rule) -> dict[str, list[Condition]]:
    """A rule's conditions per fact, facts in the order the rule first names them.

    One fact has one value, so all conditions on it apply to that same value; this
    order is the order of `Firing.facts`.
    """
    by_fact: dict[str, list[Condition]] = {}
    for condition in rule.when:
        by_fact.setdefault(condition.fact, []).append(condition)
    return by_fact


def finish(result: InferenceResult, firings: Iterable[Firing]) -> InferenceResult:
    """Firings once each, by rule id; unused facts sorted: the same shape from either engine."""
    unique = {(f.rule_id, f.facts): f for f in firings}
    result.firings = sorted(unique.values(), key=lambda f: f.rule_id)
    result.unused_facts.sort()
    return result


_forced: str | None = None


def force_engine(choice: str | None) -> None:
    """Use this engine from now on in this process (`--engine`); None goes back to the environment."""
    global _forced
    if choice is not None and choice not in CHOICES:
        raise ValueError(f"unknown rule engine {choice!r}; choose one of {', '.join(sorted(CHOICES))}")
    _forced = choice


def requested_engine() -> str:
    """durable-rules, reference or auto, as `--engine` or HTTPERR_DOCTOR_ENGINE asked."""
    choice = _forced or os.environ.get(ENGINE_ENV, "").strip().lower() or AUTO
    if choice not in CHOICES:
        raise EngineUnavailable(f"{ENGINE_ENV}={choice!r} is not a rule engine; use durable, reference or auto")
    return CHOICES[choice]


def durable_importable() -> bool:
    try:
        from . import inference  # noqa: F401
    except ImportError:
        return False
    return True


def engine_name() -> str:
    """The engine `new_engine` builds now: the requested one, or for auto durable-rules when it imports."""
    wanted = requested_engine()
    if wanted == AUTO:
        return DURABLE if durable_importable() else REFERENCE
    return wanted


def new_engine(rules: Iterable[Rule], fact_types: Mapping[str, str] | None = None,
               on_fire: Callable[[str], None] | None = None, engine: str | None = None) -> RuleEngine:
    """Compile `rules` on `engine` (default: `engine_name()`)."""
    engine = engine or engine_name()
    if engine == DURABLE:
        from .inference import DurableEngine  # raises ImportError naming durable-rules when it is missing

        return DurableEngine(rules, fact_types, on_fire)
    from .reference_inference import ReferenceEngine

    return ReferenceEngine(rules, fact_types, on_fire)
