"""Checks of each cause: rules for and against it, and a runbook a help desk can follow."""
from __future__ import annotations

from typing import Iterator

from httperr_doctor.kb.schema import Cause

from ..placeholders import FIELDS, placeholders

from .base import ERROR, WARNING, Checked, Validator, optional_without_fallback


def supported(checked: Checked, cause: Cause) -> Iterator[str]:
    if not any(r.certainty > 0 for r in checked.kb.rules_for(cause.id)):
        yield f"cause {cause.id} has no rule that can support it"


def opposed(checked: Checked, cause: Cause) -> Iterator[str]:
    if not any(r.certainty < 0 for r in checked.kb.rules_for(cause.id)):
        yield f"cause {cause.id} has no rule with evidence against it (negative certainty)"


def references(checked: Checked, cause: Cause) -> Iterator[str]:
    for ref in cause.references:
        if ref not in checked.kb.references:
            yield f"cause {cause.id} cites unknown reference {ref!r}"


def summary_facts(checked: Checked, cause: Cause) -> Iterator[str]:
    for name in (name for sentence in cause.summary for name in sentence.facts):
        if name not in checked.kb.facts:
            yield f"cause {cause.id}: summary uses unknown fact {name!r}"


def summary_established(checked: Checked, cause: Cause) -> Iterator[str]:
    """A summary sentence states only facts a rule for the cause tests, or optional ones with a fallback."""
    established = {c.fact for rule in checked.kb.rules_for(cause.id) if rule.certainty > 0 for c in rule.when}
    for number, sentence in enumerate(cause.summary, start=1):
        loose = [name for name in sentence.facts if name not in established and name not in sentence.optional]
        if loose:
            yield (f"cause {cause.id}: summary {number} uses {', '.join(loose)}, which no rule for the cause tests "
                   "(test it in a rule, or list it under `optional` with a later sentence that does without it)")
    for number, name in optional_without_fallback(cause.summary):
        yield f"cause {cause.id}: summary {number} has optional {name} but no later sentence without it"


def runbook(checked: Checked, cause: Cause) -> Iterator[str]:
    if not any(step.command or step.expect for step in cause.remediation):
        yield f"cause {cause.id}: no remediation step gives a command or a good result to expect"
    if not cause.escalation.strip():
        yield f"cause {cause.id} has no escalation point"


def runbook_given(checked: Checked, cause: Cause) -> Iterator[str]:
    """A step that says what the evidence showed names the facts it collects, all known to the KB."""
    for step in cause.remediation:
        if step.given and not step.collects:
            yield f"cause {cause.id}: step {step.title!r} has `given` sentences but `collects` no fact"
        for name in dict.fromkeys([*step.collects, *(n for sentence in step.given for n in sentence.facts)]):
            if name not in checked.kb.facts:
                yield f"cause {cause.id}: step {step.title!r} uses unknown fact {name!r}"


def runbook_placeholders(checked: Checked, cause: Cause) -> Iterator[str]:
    """Every `<placeholder>` in a runbook says what goes there (`fill`), from known text facts."""
    used: set[str] = set()
    for step in cause.remediation:
        texts = [getattr(step, field) or "" for field in FIELDS] + [sentence.text for sentence in step.given]
        for name in placeholders(" ".join(texts)):
            used.add(name)
            if name not in {fill.placeholder for fill in cause.fill}:
                yield f"cause {cause.id}: step {step.title!r} has <{name}> but the cause's `fill` does not say what goes there"
    for fill in cause.fill:
        name = fill.placeholder
        if name not in used:
            yield f"cause {cause.id}: `fill` names <{name}>, which no runbook step holds"
        for fact in fill.facts:
            spec = checked.kb.facts.get(fact)
            if spec is None or spec.type != "string":
                yield f"cause {cause.id}: `fill` of <{name}> uses {fact!r}, which is not a known text fact"


VALIDATORS = (
    Validator("cause-supported", ERROR, supported, "cause"),
    Validator("cause-opposed", WARNING, opposed, "cause"),
    Validator("cause-references", ERROR, references, "cause"),
    Validator("cause-summary-facts", ERROR, summary_facts, "cause"),
    Validator("cause-summary-established", ERROR, summary_established, "cause"),
    Validator("cause-runbook", ERROR, runbook, "cause"),
    Validator("cause-runbook-given", ERROR, runbook_given, "cause"),
    Validator("cause-runbook-placeholders", ERROR, runbook_placeholders, "cause"),
)
