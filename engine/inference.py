"""The one module that talks to durable-rules (the other engine is engine/reference_inference.py).

It compiles the KB's declarative conditions into durable-rules' JSON rulesets once,
and hides the engine's quirks so that callers see a plain function
`facts -> firings`:

* rulesets: durable.lang keeps ruleset names in a process-global registry; we use
  `engine.Host` directly, one private ruleset name per `DurableEngine`, and one
  session emptied after each run, so any number of diagnoses can share a process.
* the Host starts two timer threads that poll forever and can run actions in the
  background; our host does not start them, so every action runs synchronously
  inside `run()`.
* asserting a fact no rule wants raises `MessageNotHandledException` (and, in a
  batch, cancels the actions of the other facts); facts are asserted one by one and
  unwanted ones are reported in `InferenceResult.unused_facts`.
* exceptions raised inside an action are swallowed into the session state; we catch
  them ourselves and raise `RuleFailed` naming the rule.
* `$not` patterns fire before later facts arrive; instead every fact the KB names is
  asserted, unknown ones as `known: false`, so `absent` is a plain, order-free match.
* `durable_rules_engine` compares strings with numbers without complaint; values
  are checked against the fact catalogue's types before they are asserted.
* `delete_state` can crash the process; sessions are cleaned by retracting facts.
* its JSON reader refuses a number with an exponent but no decimal point (`1e-05`,
  `1e+16`, Python's own spelling of those floats) and infinities, failing the run
  half way; such values are sent as a neighbour it reads (`sendable`).
"""
from __future__ import annotations

import copy
import itertools
import math
import sys
import threading
from typing import Any, Callable, Iterable, Mapping

try:
    from durable import engine as _durable
except ImportError as error:  # pragma: no cover - depends on the interpreter
    raise ImportError(
        "durable-rules cannot be imported (it is installed only on Linux and macOS with Python 3.11 "
        "or 3.12, and needs a C compiler to build); the reference engine runs without it: "
        "unset HTTPERR_DOCTOR_ENGINE or use --engine reference. "
        f"Original error: {error}"
    ) from error

from httperr_doctor.kb.schema import Condition, Rule

from .rule_engines import DURABLE, CompiledRules, Firing, InferenceResult, RuleFailed, finish, grouped_by_fact


class _QuietHost(_durable.Host):
    """A Host without the background dispatch threads (we never use timers)."""

    def _run(self) -> None:
        return None


def sendable(value: Any) -> Any:
    """`value`, or for a float durable-rules cannot read, the nearest one it can.

    A float Python writes as `1e-05` moves to its next neighbour away from zero, written
    with a point (`1.0000000000000003e-05`); no number a rule tests lies between the two,
    so every comparison comes out the same. An infinity becomes the largest float.

    >>> sendable(1e-05), sendable(1e16), sendable(-float("inf")), sendable(7.5e-06), sendable(20)
    (1.0000000000000003e-05, 1.0000000000000002e+16, -1.7976931348623157e+308, 7.5e-06, 20)
    """
    if not isinstance(value, float) or math.isnan(value):
        return value
    if math.isinf(value):
        return math.copysign(sys.float_info.max, value)
    while "e" in (text := repr(value)) and "." not in text:
        value = math.nextafter(value, math.copysign(math.inf, value))
    return value


def compile_condition(condition: Condition) -> dict:
    """Translate one KB condition into a durable-rules pattern on a fact message.

    >>> from httperr_doctor.kb.schema import Condition
    >>> compile_condition(Condition(fact="memory.npp_free_mb", below=20))
    {'$and': [{'name': 'memory.npp_free_mb'}, {'known': True}, {'$lt': {'value': 20.0}}]}
    """
    name = {"name": condition.fact}
    op, operand = condition.operator, condition.operand
    if op == "present":
        return {"$and": [name, {"known": True}]}
    if op == "absent":
        return {"$and": [name, {"known": False}]}
    test = {
        "equals": lambda v: {"value": v},
        "not_equals": lambda v: {"$neq": {"value": v}},
        "in": lambda vs: {"$or": [{"value": v} for v in vs]} if len(vs) > 1 else {"value": vs[0]},
        "at_least": lambda v: {"$gte": {"value": v}},
        "at_most": lambda v: {"$lte": {"value": v}},
        "above": lambda v: {"$gt": {"value": v}},
        "below": lambda v: {"$lt": {"value": v}},
        "matches": lambda v: {"$mt": {"value": v}},
    }[op](operand)
    return {"$and": [name, {"known": True}, test]}


def _merge(conditions: list[Condition]) -> dict:
    """One durable-rules pattern for all of a rule's conditions on one fact.

    >>> from httperr_doctor.kb.schema import Condition
    >>> _merge([Condition(fact="n", at_least=1), Condition(fact="n", at_most=3)])
    {'$and': [{'name': 'n'}, {'known': True}, {'$gte': {'value': 1.0}}, {'$lte': {'value': 3.0}}]}
    """
    patterns = [compile_condition(c) for c in conditions]
    if len(patterns) == 1:
        return patterns[0]
    merged = patterns[0]["$and"][:2]
    for pattern in patterns:
        merged += pattern["$and"][2:]
    return {"$and": merged}


_engine_ids = itertools.count(1)
_PROBE = "#cond"


class DurableEngine:
    """Compiled KB rules on durable-rules; `run(facts)` is deterministic and re-entrant."""

    name = DURABLE

    def __init__(self, rules: Iterable[Rule], fact_types: Mapping[str, str] | None = None,
                 on_fire: Callable[[str], None] | None = None):
        self._compiled = CompiledRules.of(rules)
        self._rules = self._compiled.rules
        self._fact_types = dict(fact_types or {})
        self._on_fire = on_fire
        self._lock = threading.Lock()
        self._session = "1"
        self._fired: dict[str, list[Firing]] = {}
        self._errors: dict[str, RuleFailed] = {}
        self.referenced_facts = self._compiled.referenced_facts
        self._name = f"httperr_doctor_{next(_engine_ids)}"
        self._host = _QuietHost()
        if self._rules:
            self._host.set_rulesets({self._name: self._definition()})

    def _definition(self) -> dict:
        ruleset = {}
        for rule in self._rules.values():
            # One fact message can match only one alias of a rule, so several
            # conditions on the same fact are merged into one pattern.
            by_fact = grouped_by_fact(rule)
            aliases = [f"f{i}" for i in range(len(by_fact))]
            ruleset[rule.id] = {
                "all": [{alias: _merge(conds)} for alias, conds in zip(aliases, by_fact.values())],
                "run": self._action(rule.id, aliases),
            }
            for index, cond in enumerate(rule.when):
                ruleset[f"{rule.id}{_PROBE}{index}"] = {
                    "all": [{"f0": compile_condition(cond)}],
                    "run": self._action(f"{rule.id}{_PROBE}{index}", ["f0"]),
                }
        # durable-rules mutates the definition it is given (it pops "run").
        return copy.copy(ruleset)

    def _action(self, rule_id: str, aliases: list[str]) -> Callable:
        def action(closure) -> None:
            sid = str(closure.s.sid)
            try:
                names = tuple(getattr(closure, alias)["name"] for alias in aliases)
                self._fired.setdefault(sid, []).append(Firing(rule_id, names))
                if self._on_fire is not None and _PROBE not in rule_id:
                    self._on_fire(rule_id)
            except BaseException as error:  # noqa: BLE001 - durable-rules would swallow it
                self._errors.setdefault(sid, RuleFailed(rule_id, error))

        return action

    def run(self, facts: Mapping[str, Any]) -> InferenceResult:
        """Assert `facts` (name -> value; unknown facts simply missing) and collect firings."""
        result = InferenceResult()
        if not self._rules:
            result.unused_facts = sorted(facts)
            return result
        with self._lock:
            # One durable session for every run: each new session id keeps about 5 MB of
            # state in the C engine for good (its delete_state can crash the process), and
            # every run retracts what it asserted, so the session is empty again afterwards.
            sid = self._session
            # Every pattern names its fact, so a fact no rule names, or an unknown one no
            # `absent` condition names, could only be refused as not handled: those are
            # not sent to the engine at all (each send and retract costs a JSON round trip).
            named, result.unused_facts = self._compiled.checked_split(facts, self._fact_types)
            messages = [{"sid": sid, "name": name, "known": True, "value": sendable(facts[name])} for name in named]
            for name in self._compiled.absent_facts:
                if name not in facts:
                    messages.append({"sid": sid, "name": name, "known": False})
            try:
                for message in messages:
                    try:
                        self._host.assert_fact(self._name, message)
                    except _durable.MessageNotHandledException:
                        if message["known"]:
                            result.unused_facts.append(message["name"])
                    except _durable.MessageObservedException:
                        pass
            finally:
                for message in messages:
                    try:
                        self._host.retract_fact(self._name, message)
                    except (_durable.MessageNotHandledException, _durable.MessageObservedException):
                        pass
                firings = self._fired.pop(sid, [])
                error = self._errors.pop(sid, None)
        if error is not None:
            raise error
        rule_firings = []
        for firing in firings:
            if _PROBE in firing.rule_id:
                rule_id, _, index = firing.rule_id.partition(_PROBE)
                result.conditions_held.add((rule_id, int(index)))
            else:
                rule_firings.append(firing)
        return finish(result, rule_firings)
