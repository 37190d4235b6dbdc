"""A saved session without a terminal (`wizard --answers FILE`): checked, then diagnosed."""
from __future__ import annotations

from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.knowledge import KnowledgeBase, default_kb
from httperr_doctor.engine.report import Report
from httperr_doctor.engine.rule_engines import FactTypeError, check_type

from .session import Session


def replay(session: Session, kb: KnowledgeBase | None = None) -> Report:
    """A saved session's report: its evidence read again, with its answers."""
    return diagnose(list(session.evidence), session.known(), kb or default_kb())


def check_session(session: Session, kb: KnowledgeBase | None = None) -> list[str]:
    """Problems that would stop a replay: answers for facts the KB does not know, or of the wrong type."""
    kb = kb or default_kb()
    problems = []
    for answer in session.answers:
        spec = kb.facts.get(answer.fact)
        if spec is None:
            problems.append(f"answer to {answer.question!r}: unknown fact {answer.fact!r}")
            continue
        try:
            if not answer.unknown:
                check_type(answer.fact, answer.value, spec.type)
        except FactTypeError as error:
            problems.append(f"answer to {answer.question!r}: {error}")
    return problems
