"""Conditions on one fact that can never all hold, and operators on the wrong kind of fact."""
from __future__ import annotations

from httperr_doctor.kb.schema import Condition

NUMERIC = ("at_least", "at_most", "above", "below")
_VALID = {"bool": lambda v: isinstance(v, bool),
          "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          "string": lambda v: isinstance(v, str)}


def why_never(conditions: list[Condition], kind: str | None) -> str | None:
    """Why these conditions on one fact can never all hold, or None."""
    ops = {c.operator for c in conditions}
    if "absent" in ops and len(ops) > 1:
        return "is both absent and tested"
    return _empty_range(conditions) or _clashing_values(conditions) or _wrong_values(conditions, kind)


def _empty_range(conditions: list[Condition]) -> str | None:
    low = max((c.operand for c in conditions if c.operator in ("at_least", "above")), default=None)
    high = min((c.operand for c in conditions if c.operator in ("at_most", "below")), default=None)
    if low is None or high is None:
        return None
    strict = any(c.operator == "above" and c.operand == low for c in conditions) or \
        any(c.operator == "below" and c.operand == high for c in conditions)
    if low > high or (low == high and strict):
        return f"must be at least {low:g} and at most {high:g}"
    return None


def _clashing_values(conditions: list[Condition]) -> str | None:
    equal = {repr(c.operand) for c in conditions if c.operator == "equals"}
    if len(equal) > 1:
        return f"must equal {' and '.join(sorted(equal))} at once"
    for c in conditions:
        if c.operator == "equals":
            if any(o.operator == "not_equals" and o.operand == c.operand for o in conditions):
                return f"must equal and not equal {c.operand!r}"
            if any(o.operator == "in" and c.operand not in o.operand for o in conditions):
                return f"must equal {c.operand!r}, which is not in its `in` list"
    return None


def _wrong_values(conditions: list[Condition], kind: str | None) -> str | None:
    valid = _VALID.get(kind or "")
    for c in conditions:
        values = c.operand if c.operator == "in" else [c.operand] if c.operator in ("equals", "not_equals") else []
        if valid is not None and not all(valid(v) for v in values):
            return f"is a {'yes/no fact' if kind == 'bool' else kind} but is compared with {values!r}"
    return None
