"""Checks of each cause: rules for and against it, and a runbook a help desk can follow."""
from __future__ import annotations

from typing import Iterator

from httperr_doctor.kb.schema import Cause

from ..templates import placeholders
from .base import ERROR, WARNING, Checked, Validator


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
    for name in (name for template in cause.summary for name in placeholders(template)):
        if name not in checked.kb.facts:
            yield f"cause {cause.id}: summary uses unknown fact {name!r}"


def runbook(checked: Checked, cause: Cause) -> Iterator[str]:
    if not any(step.command or step.expect for step in cause.remediation):
        yield f"cause {cause.id}: no remediation step gives a command or a good result to expect"
    if not cause.escalation.strip():
        yield f"cause {cause.id} has no escalation point"


VALIDATORS = (
    Validator("cause-supported", ERROR, supported, "cause"),
    Validator("cause-opposed", WARNING, opposed, "cause"),
    Validator("cause-references", ERROR, references, "cause"),
    Validator("cause-summary-facts", ERROR, summary_facts, "cause"),
    Validator("cause-runbook", ERROR, runbook, "cause"),
)
