"""An answer against what the evidence worked out, shown the moment it appears, and the
person's choice of which side the diagnosis uses.

Questions are never asked about what the evidence already says, so a conflict appears
when evidence arrives after the answer: a file attached later, or the evidence read
again when a session resumes. Both sides are shown (the answer, the value the evidence
worked out and the file lines it came from) and the person chooses: the evidence, the
default, or their answer on purpose. The choice is kept on the answer (`Answer.kept`),
saved with the session, and the report says which side was used and why.
"""
from __future__ import annotations

from httperr_doctor.engine.assessment import conflict_sides, value_words
from httperr_doctor.engine.facts import Facts, with_answers
from httperr_doctor.engine.facts.model import Conflict
from httperr_doctor.engine.knowledge import KnowledgeBase

from .console import Console
from .prompts import Prompt
from .session import ANSWER, EVIDENCE, Answer, Session

SOURCES_SHOWN = 3


def undecided(kb: KnowledgeBase, evidence: Facts, session: Session) -> list[tuple[Conflict, Answer]]:
    """Each answer the evidence contradicts whose side the person has not chosen yet."""
    latest = {a.fact: a for a in session.answers if not a.unknown}
    conflicts = with_answers(evidence, session.known(), kb).conflicts
    return [(c, latest[c.fact]) for c in conflicts if c.fact in latest and latest[c.fact].kept is None]


def settle_conflicts(console: Console, kb: KnowledgeBase, evidence: Facts, session: Session) -> None:
    """Show both sides of each new conflict and record the side the person chooses."""
    for conflict, answer in undecided(kb, evidence, session):
        show_conflict(console, kb, conflict, answer)
        answered = value_words(kb, answer.fact, answer.value)
        computed = value_words(kb, conflict.evidence_fact, conflict.evidence_value)
        console.say("The evidence is used unless you choose your answer on purpose, when you know "
                    "the files are wrong or incomplete here.", "  ")
        answer.kept = console.ask(Prompt("select", "Which should the diagnosis use?", [
            (f"Keep the evidence ({computed})", EVIDENCE), (f"Use my answer ({answered})", ANSWER),
        ], default=EVIDENCE, instruction="(arrow keys, Enter)"))
        if answer.kept == ANSWER:
            console.say("Your answer is used; the report shows both sides and that you chose yours.", "  ")
        else:
            console.say("The evidence is used; your answer stays in the session and the report shows both.", "  ")


def show_conflict(console: Console, kb: KnowledgeBase, conflict: Conflict, answer: Answer) -> None:
    question = kb.questions.get(answer.question)
    _, computed = conflict_sides(kb, conflict)
    console.say()
    console.say("Your answer and the evidence disagree.")
    console.say(f"You answered: {value_words(kb, answer.fact, answer.value)}, to \"{question.text.strip() if question else answer.question}\"", "  ")
    console.say(f"The evidence says: {computed}", "  ")
    sources = conflict.evidence_sources
    if sources:
        console.say("Worked out from:", "  ")
        for source in sources[:SOURCES_SHOWN]:
            console.say_whole(f"    {source}")
        if len(sources) > SOURCES_SHOWN:
            console.say(f"and {len(sources) - SOURCES_SHOWN} more", "    ")
