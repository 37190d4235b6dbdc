"""`httperr-doctor kb lint` and `kb coverage`: checks that span files, which the schema alone cannot see.

Each check is a small validator with a severity (an error fails the lint, a warning
is shown), grouped by what it checks: rules, causes, questions, reason phrases, the
fact catalogue and the twin case files. Each problem names the file and line, so a
rule author can go straight to it. The lint also runs every rule's twin cases through
the real engine, because a rule whose cases no longer fire as written is as broken as
one with a typo.
"""
from __future__ import annotations

from ..knowledge import KnowledgeBase, Problem
from . import cases, causes, facts, phrases, questions, rules, wording
from .base import ERROR, WARNING, Checked, Validator
from .phrases import phrase_usage

VALIDATORS: tuple[Validator, ...] = (rules.VALIDATORS + causes.VALIDATORS + questions.VALIDATORS + phrases.VALIDATORS
                                     + facts.VALIDATORS + cases.VALIDATORS + wording.VALIDATORS)

__all__ = ["ERROR", "VALIDATORS", "WARNING", "Validator", "lint", "phrase_usage"]


def lint(kb: KnowledgeBase, run_cases: bool = True) -> list[Problem]:
    """Every problem every validator finds (running the twin cases unless told not to)."""
    checked = Checked(kb, run_cases)
    return [problem for validator in VALIDATORS for problem in validator.run(checked)]
