"""The JSON form: the report model as is, stable key order, UTF-8.

The text is what `json.dumps(data, indent=2, ensure_ascii=False)` writes
(tests/test_json_writer.py checks it on every report and on random data), except
that a NaN or infinite number is written as `null` (the standard library's `NaN`
and `Infinity` are not JSON, and a report must parse everywhere), and C1 controls and
line separators are `\\u` escapes. It is
written by `dumps` below: with `indent`, the standard library falls back to its
pure-Python encoder, a chain of generators that costs about a microsecond per
value per level of nesting, and a fleet's timeline holds hundreds of thousands of
values. Here strings go through the C string encoder and each list of plain
values (a timeline point, a list of sources) is joined in one step.
"""
from __future__ import annotations

import json
import re
from json.encoder import encode_basestring

from ..report import Report

INFINITY = float("inf")
# Written as escapes, not raw: DEL and the C1 controls (a terminal showing the file obeys
# them) and the line and paragraph separators (line breaks to JavaScript and some editors).
_INVISIBLE_CHARS = [chr(code) for code in range(0x7F, 0xA0)] + ["\u2028", "\u2029"]
_INVISIBLE = re.compile("[" + "".join(_INVISIBLE_CHARS) + "]")


def render_json(report: Report) -> str:
    return dumps(report.model_dump(mode="json")) + "\n"


def json_schema() -> str:
    return json.dumps(Report.model_json_schema(), indent=2) + "\n"


def dumps(value) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte, faster; non-finite numbers are `null`.

    >>> dumps({"points": [["2007-11-13 20:01", 17.0]], "none": {}, "ok": True, "é": None})
    '{\\n  "points": [\\n    [\\n      "2007-11-13 20:01",\\n      17.0\\n    ]\\n  ],\\n  "none": {},\\n  "ok": true,\\n  "é": null\\n}'
    """
    out: list[str] = []
    _write(value, out, "\n")
    text = "".join(out)
    # These only ever stand inside strings, where an escape means the same. A report seldom holds
    # any: an all-ASCII text (a flag Python keeps) has none, and a substring test per character
    # runs at memory speed where a character-class scan does not.
    if text.isascii() or not any(char in text for char in _INVISIBLE_CHARS):
        return text
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _scalar(value) -> str | None:
    """JSON text of a plain value, None for a list or object (same type order and spelling as `json`)."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float.__repr__(value) if -INFINITY < value < INFINITY else "null"
    return None


def _key(key) -> str:
    if isinstance(key, str):
        return encode_basestring(key)
    if isinstance(key, float):  # a key is a string, so json's own spelling is valid JSON here
        return encode_basestring(float.__repr__(key) if -INFINITY < key < INFINITY
                                 else "NaN" if key != key else "Infinity" if key > 0 else "-Infinity")
    if isinstance(key, int) or key is None:  # json turns these keys into strings
        return encode_basestring(_scalar(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _write(value, out: list[str], newline: str) -> None:
    """Append `value`'s text; `newline` is a line break plus the current indentation."""
    text = _scalar(value)
    if text is not None:
        out.append(text)
        return
    inner = newline + "  "
    if isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        first, texts = value[0], None
        if type(first) is list:
            texts = _points(value, inner)
        elif _scalar(first) is not None:
            texts = [_scalar(item) for item in value]
        if texts is not None and None not in texts:  # plain values or timeline points: one join
            out.append("[" + inner + ("," + inner).join(texts) + newline + "]")
            return
        out.append("[")
        separator = inner
        for item in value:
            out.append(separator)
            separator = "," + inner
            _write(item, out, inner)
        out.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        out.append("{")
        separator = inner
        for key, item in value.items():
            out.append(separator + _key(key) + ": ")
            separator = "," + inner
            text = _scalar(item)
            if text is None:
                _write(item, out, inner)
            else:
                out.append(text)
        out.append(newline + "}")
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _points(items: list, newline: str) -> list[str] | None:
    """Timeline points ([minute, finite float]), each in one step; None when any item is something else.

    A farm's report holds tens of thousands of them: one loop, not a call each."""
    inner = newline + "  "
    texts = []
    for item in items:
        if type(item) is not list or len(item) != 2:
            return None
        minute, number = item
        if type(minute) is not str or type(number) is not float or not -INFINITY < number < INFINITY:
            return None
        texts.append(f"[{inner}{encode_basestring(minute)},{inner}{float.__repr__(number)}{newline}]")
    return texts
