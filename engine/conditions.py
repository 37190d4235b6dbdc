"""One condition against one fact's value: the KB's meaning of each operator.

Shared by the reference rule engine, the summary sentences' `when` and the evidence
that settles a question's fact, so all three read a condition the same way (see
`engine/reference_inference.py` for the semantics, which durable-rules also follows).
"""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from httperr_doctor.kb.schema import Condition

def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def comparable(value: Any) -> bool:
    """False for NaN: durable-rules lets it be present but never equal, unequal or ordered."""
    return not (isinstance(value, float) and math.isnan(value))


_ORDER: dict[str, Callable[[float, float], bool]] = {
    "at_least": lambda value, bound: value >= bound,
    "at_most": lambda value, bound: value <= bound,
    "above": lambda value, bound: value > bound,
    "below": lambda value, bound: value < bound,
}


def _kind(value: Any) -> str:
    return "bool" if isinstance(value, bool) else "number" if is_number(value) else type(value).__name__


def _same(value: Any, operand: Any) -> bool:
    return _kind(value) == _kind(operand) and value == operand


def holds(condition: Condition, known: bool, value: Any = None) -> bool:
    """Whether one condition holds for a fact that is `known` with `value`, or unknown.

    >>> from httperr_doctor.kb.schema import Condition
    >>> holds(Condition(fact="memory.npp_free_mb", below=20), True, 19)
    True
    >>> holds(Condition(fact="boot.switch_3gb", not_equals=True), False)
    False
    """
    op, operand = condition.operator, condition.operand
    if op == "absent":
        return not known
    if not known:
        return False
    if op == "present":
        return True
    if not comparable(value):
        return False
    if op in _ORDER:
        return is_number(value) and _ORDER[op](value, operand)
    if op == "matches":
        return isinstance(value, str) and re.fullmatch(operand, value) is not None
    if op == "in":
        return any(_same(value, choice) for choice in operand)
    return _same(value, operand) == (op == "equals")
