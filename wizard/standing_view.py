"""How the ranking is shown while the questions go on: the leading causes after each
answer, and, when asked "why?", what each answer to the question would change."""
from __future__ import annotations

from httperr_doctor.engine.knowledge import KnowledgeBase
from httperr_doctor.engine.standing import Candidate, Standing

from .console import Console, clip

LEADING_SHOWN = 3


def cause_title(kb: KnowledgeBase, cause: str, room: int) -> str:
    return clip(kb.causes[cause].title if cause in kb.causes else cause, room)


def show_standing(console: Console, kb: KnowledgeBase, standing: Standing) -> None:
    ranked = [(c, p) for c, p in standing.ranked if p > 0][:LEADING_SHOWN]
    if not ranked:
        console.say("Leading causes: none yet.")
        return
    console.say("Leading causes now:")
    for cause, confidence in ranked:
        console.say(f"  {confidence:4.0%}  {cause_title(kb, cause, console.width - 10)}")


def explain_why(console: Console, kb: KnowledgeBase, candidate: Candidate, now: Standing) -> None:
    """The causes the answer tells apart, then the largest changes each answer would make."""
    separates = candidate.separates
    if not separates:
        causes = ", ".join(cause_title(kb, c, 50) for c in candidate.helps) or "the causes still open"
        console.say(f"No single answer moves the ranking yet, but this fact completes checks for: {causes}.", "  ")
        return
    console.say("The answer tells these causes apart:" if len(separates) > 1 else "The answer bears on this cause:", "  ")
    for cause in separates[:3]:
        state = "ruled out" if cause in now.ruled_out else f"now {now.confidences.get(cause, 0.0):.0%}"
        console.say(f"- {cause_title(kb, cause, console.width - 20)} ({state})", "  ")
    quiet: list[str] = []
    for outcome in candidate.outcomes:
        changes = _changes(kb, now, outcome.standing)
        label = outcome.option.label.split(" (")[0]
        if changes:
            shown = [text for _, text in sorted(changes, key=lambda c: -c[0])[:2]]
            console.say(f"If {label}: {'; '.join(shown)}", "  ")
            quiet.append("")
        elif quiet and quiet[-1] and _joined(quiet[-1], label):
            quiet[-1] = _joined(quiet[-1], label)
        else:
            quiet.append(label)
    if any(quiet):
        console.say(f"If {', '.join(q for q in quiet if q)}: no change", "  ")


def _joined(first: str, then: str) -> str | None:
    """Two number bands that meet, as one ("7,368 MB to 7,377 MB" then "7,377 MB to 8,127 MB"
    read "7,368 MB to 8,127 MB"); None when they do not meet.

    >>> _joined("under 5 MB", "5 MB to 50 MB"), _joined("5 MB to 50 MB", "50 MB or more")
    ('under 50 MB', '5 MB or more')
    >>> _joined("under 5", "exactly 5"), _joined("yes", "no")
    (None, None)
    """
    low, joint, high = first.rpartition(" to ")
    if first.startswith("under "):
        low, high = None, first[len("under "):]
    elif not joint:
        return None
    if then.startswith(f"{high} to "):
        rest = then[len(f"{high} to "):]
        return f"under {rest}" if low is None else f"{low} to {rest}"
    if then == f"{high} or more" and low is not None:
        return f"{low} or more"
    return None


def _changes(kb: KnowledgeBase, now: Standing, after: Standing) -> list[tuple[float, str]]:
    """Each cause an answer would move, in words, with how far (a cause newly ruled out counts as moved)."""
    changes = []
    for cause in set(after.confidences) | set(now.confidences) | after.ruled_out:
        before, then = now.confidences.get(cause, 0.0), after.confidences.get(cause, 0.0)
        named = kb.causes[cause].short or cause if cause in kb.causes else cause
        if cause in after.ruled_out and cause not in now.ruled_out:
            changes.append((before + 0.01, f"rules out {named}"))
        elif abs(then - before) > 0.005:
            changes.append((abs(then - before), f"{named} {before:.0%} -> {then:.0%}"))
    return changes
