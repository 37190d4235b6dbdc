"""Checks of the words a person reads: every count agrees with its noun.

KB text is rendered as the report would render it, each counted placeholder once at 1
and once at 2, and the result is read by the same check the report forms are tested
with (`plurals.disagreements`), so "1 events", "2 time" and "event(s)" never ship.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from httperr_doctor.kb.schema import PLACEHOLDER, Cause, Question, Rule

from ..plurals import SINGULAR_OF, disagreements
from ..templates import render
from .base import ERROR, Checked, Validator

# The words after a counted placeholder, up to where the counted noun must have come.
_FOLLOWING = re.compile(r"\s+((?:(?!of\b|and\b|or\b|than\b)[A-Za-z0-9/_\-]+\s+){0,3}?)([A-Za-z][A-Za-z_\-]*)\b")
_NOT_NOUNS = re.compile(r"(ss|us|is|ous|ys|[A-Z]s)$")


def _texts(item: Any) -> list[str]:
    if isinstance(item, Rule):
        return [item.title, *(s.text for s in item.because)]
    if isinstance(item, Cause):
        steps = [text for step in item.remediation
                 for text in (step.title, step.do, step.expect or "", step.risk, *(g.text for g in step.given))]
        return [item.title, *(s.text for s in item.summary), *steps, *item.verify, item.escalation, item.engineer_notes]
    if isinstance(item, Question):
        return [item.text, item.how, *(choice.label for choice in item.choices)]
    return []


def _rendered(checked: Checked, text: str, count: int) -> str:
    """The text as the report shows it with every counted placeholder at `count`."""
    def sample(name: str) -> object:
        spec = checked.kb.facts.get(name)
        if spec is None or spec.type != "number":
            return "X"
        return 0.5 if spec.unit == "share" else count
    return render(text, {name: sample(name) for name in PLACEHOLDER.findall(text)}, checked.kb.fact_units)


def _unknown_plurals(checked: Checked, text: str) -> Iterator[str]:
    """Plural-looking nouns counted by a placeholder that the renderer cannot make singular."""
    for match in PLACEHOLDER.finditer(text):
        spec = checked.kb.facts.get(match.group(1))
        if spec is None or spec.type != "number" or spec.unit:
            continue
        after = _FOLLOWING.match(text, match.end())
        if after and not any(word in SINGULAR_OF for word in after.group(0).split()):
            noun = after.group(2)
            if noun.endswith("s") and noun.islower() and len(noun) > 3 and not _NOT_NOUNS.search(noun):
                yield noun


def counts_agree(checked: Checked, item: Any) -> Iterator[str]:
    for text in filter(None, _texts(item)):
        found = set(disagreements(text))
        if PLACEHOLDER.search(text):
            found |= set(disagreements(_rendered(checked, text, 1))) | set(disagreements(_rendered(checked, text, 2)))
        for words in sorted(found):
            yield f"{words!r} does not agree in number (write the plural; the report makes it singular after a 1)"
        for noun in sorted(set(_unknown_plurals(checked, text))):
            yield f"counts {noun!r}, which the report cannot make singular after a 1: add it to engine/plurals.py"


# What events name, as facts beside their count (engine/facts/eventlog.py).
NAMED_BY_EVENTS = (".pools", ".addresses")


def events_name_pools(checked: Checked, item: Any) -> Iterator[str]:
    """A sentence that counts events names what they name (pools, addresses), in itself or an earlier variant.

    The events say which application pool or address they concern; "WAS logged 1 event"
    without it leaves out what the help desk needs first.
    """
    sentences = item.because if isinstance(item, Rule) else item.summary
    for number, sentence in enumerate(sentences, start=1):
        for name in PLACEHOLDER.findall(sentence.text):
            for what in NAMED_BY_EVENTS:
                names = name.removesuffix(".count") + what
                if name.startswith("event.") and name.endswith(".count") and names in checked.kb.facts:
                    if not any(names in earlier.facts for earlier in sentences[:number]):
                        yield f"sentence {number} counts {name} but no sentence up to it names {{{{ {names} }}}}"


VALIDATORS = (tuple(Validator(f"{kind}-counts-agree", ERROR, counts_agree, kind) for kind in ("rule", "cause", "question"))
              + tuple(Validator(f"{kind}-events-name-pools", ERROR, events_name_pools, kind) for kind in ("rule", "cause")))
