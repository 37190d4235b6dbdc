"""Counted nouns that agree with their number: "1 event", "2 events", never "event(s)".

One table serves the Python strings (`counted`), the KB templates (`singular_after_one`,
used by `templates.render`) and the check that finds a number and noun that disagree
(`disagreements`, used by `kb lint` and the tests of every report form), so a noun
the report counts is spelt one way everywhere.
"""
from __future__ import annotations

import re

# Nouns the report counts, singular first; a plural that is not the singular plus "s" is given.
_NOUNS = (
    "answer", "burst", "cause", "client", "connection", "counter", "drop", "error", "event", "fact", "failure",
    "file", "line", "member", "minute", "overrun", "path", "place", "pool", "problem", "question", "record", "recycle",
    "request", "reservation", "reset", "rule", "sample", "second", "server", "site", "snapshot", "step", "tag", "time",
    "timeout", "URL", "value", "warning", "worker",
)
_IRREGULAR = {"crash": "crashes", "entry": "entries", "process": "processes", "address": "addresses"}
PLURAL_OF = {**{noun: noun + "s" for noun in _NOUNS}, **_IRREGULAR}
SINGULAR_OF = {many: one for one, many in PLURAL_OF.items()}


def plural(noun: str) -> str:
    """The plural of a counted noun (its last word, so "shutdown overrun" works too).

    >>> plural("entry"), plural("worker-process crash"), plural("byte")
    ('entries', 'worker-process crashes', 'bytes')
    """
    head, _, last = noun.rpartition(" ")
    many = PLURAL_OF.get(last, last + "s")
    return f"{head} {many}" if head else many


def number_text(value: int | float) -> str:
    """A number as a person writes it: thousands separators, no ".0", two decimals below 10.

    >>> number_text(1234567), number_text(19.0), number_text(0.8125), number_text(5.63), number_text(31.25)
    ('1,234,567', '19', '0.81', '5.63', '31.2')
    >>> number_text(0.0012)
    '0.0012'
    """
    if isinstance(value, float):
        if 0 < abs(value) < 0.005:
            return f"{value:.2g}"
        if not value.is_integer():
            return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
        value = int(value)
    return f"{value:,}"


def joined(words: list[str]) -> str:
    """`a, b and c`, as running text lists things.

    >>> joined(["web01"]), joined(["web01", "web02", "web03"])
    ('web01', 'web01, web02 and web03')
    """
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def counted(number: int | float, noun: str) -> str:
    """A number with its noun in agreement (a plural for anything but exactly 1).

    >>> counted(1, "event"), counted(364, "HTTPERR line"), counted(2500, "entry"), counted(0, "pool")
    ('1 event', '364 HTTPERR lines', '2,500 entries', '0 pools')
    >>> counted(1.0, "request") + "/min", counted(0.5, "request") + "/min"
    ('1 request/min', '0.50 requests/min')
    """
    return f"{number_text(number)} {noun if number == 1 else plural(noun)}"


# A counted noun up to three words after the number ("1 WAS / W3SVC event"), never across "of", "and", "or", "than".
_COUNTED_NOUN = re.compile(r"^(\s+(?:(?!of\b|and\b|or\b|than\b)[A-Za-z0-9/_\-]+\s+){0,3}?)("
                           + "|".join(sorted(SINGULAR_OF, key=len, reverse=True)) + r")\b")


def singular_after_one(text: str) -> str:
    """Turn the counted noun that follows a 1 into its singular (at most three words on).

    >>> singular_after_one(" refused connections, and 2 events")
    ' refused connection, and 2 events'
    >>> singular_after_one(" WAS / W3SVC events for worker processes")
    ' WAS / W3SVC event for worker processes'
    >>> singular_after_one(" MB free")
    ' MB free'
    """
    return _COUNTED_NOUN.sub(lambda m: m.group(1) + SINGULAR_OF[m.group(2)], text, count=1)


_HEDGED = re.compile(r"\w\(s\)|\w\(es\)")
_NUMBER_NOUN = re.compile(r"(?<![\w.,:/+-])((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)((?:[ \t]+(?!(?:of|and|or|than|in|a|an|the|per|for|to|with|while|at|on|by|from|[KMGT]?B|ms|s)\b)[A-Za-z0-9/_]+){0,3}?)[ \t]+("
                          + "|".join(sorted(set(SINGULAR_OF) | set(PLURAL_OF), key=len, reverse=True)) + r")\b(?![-(])")


def disagreements(text: str) -> list[str]:
    """Where `text` hedges a plural ("event(s)") or counts a known noun in the wrong number.

    Only nouns in the table are judged: "5 MB", "16,384-byte" and "2 of 3" say nothing,
    nor does a number of four digits or more without a separator, an event ID or a year.

    >>> disagreements("1 events, 2 request, 1 WAS / W3SVC event, 3 pool(s), 2 of 3 entries, 1.5 times")
    ['1 events', '2 request', 'pool(s)']
    >>> disagreements("the System log has no WAS 5117 event; 1,000 requests; (event 5117, application pool X)")
    []
    """
    found = []
    for match in _NUMBER_NOUN.finditer(text):
        number, noun = match.group(1).replace(",", ""), match.group(3)
        if len(number) >= 4 and "," not in match.group(1):
            continue
        one = float(number) == 1 and "." not in number
        if (one and noun in SINGULAR_OF) or (not one and "." not in number and noun in PLURAL_OF and noun not in SINGULAR_OF):
            found.append(match.group(0).strip())
    found += [text[max(0, m.start() - 20):m.end()].split()[-1] for m in _HEDGED.finditer(text)]
    return found
