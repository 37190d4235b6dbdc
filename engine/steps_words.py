"""A next step's reason in plain words: which leading causes it tells apart, and what
each of its best findings would do to them ("if it shows that no pool tag stands out,
a leaking driver would be ruled out")."""
from __future__ import annotations

from dataclasses import dataclass

from .knowledge import KnowledgeBase
from .standing import MEANINGFUL, Standing


@dataclass(frozen=True)
class Told:
    """One finding to put in words: the rule title it would show, the facts it also needs
    from other steps, and the ranking it would give."""

    title: str
    others: tuple[str, ...]
    after: Standing


def label(kb: KnowledgeBase, cause: str) -> str:
    """The cause's short name for running text ("a leaking driver"), else its title."""
    found = kb.causes.get(cause)
    if found is None:
        return cause
    return getattr(found, "short", "") or found.title


def mid_sentence(title: str) -> str:
    """A title or description inside a sentence ("if it shows that ..."): a plain first word loses its capital.

    >>> mid_sentence("No pool tag stands out"), mid_sentence("PoolMon shows a tag"), mid_sentence("HTTP.sys logged N/A")
    ('no pool tag stands out', 'PoolMon shows a tag', 'HTTP.sys logged N/A')
    >>> mid_sentence("A pool tag grows"), mid_sentence("Non-paged pool in use"), mid_sentence("WAS 5002 / W3SVC 1002")
    ('a pool tag grows', 'non-paged pool in use', 'WAS 5002 / W3SVC 1002')
    """
    first = title.split(" ", 1)[0]
    if first[:1].isupper() and (len(first) == 1 or first[1:].replace("-", "").isalpha() and first[1:].islower()):
        return title[0].lower() + title[1:]
    return title


def _level(standing: Standing, cause: str) -> float:
    return 0.0 if cause in standing.ruled_out else standing.confidences.get(cause, 0.0)


def moved_causes(now: Standing, after: Standing) -> dict[str, float]:
    """cause -> how far a finding moves it (ruling a cause out moves it to 0)."""
    causes = set(now.confidences) | set(after.confidences) | (after.ruled_out - now.ruled_out)
    moves = {c: abs(_level(after, c) - _level(now, c)) for c in causes}
    return {c: m for c, m in moves.items() if m > MEANINGFUL}


def effect(kb: KnowledgeBase, now: Standing, after: Standing) -> str:
    """What one finding would do to the ranking, in words: the ranked causes it would rule
    out and a new first cause, else the cause it moves most, else the causes it would rule
    out that no evidence pointed at yet."""
    ruled = sorted(after.ruled_out - now.ruled_out)
    out = [f"{label(kb, c)} would be ruled out" for c in ruled if c in now.confidences]
    if after.clear_top and after.clear_top != now.clear_top:
        before = f", ahead of {label(kb, now.clear_top)}" if now.clear_top else ""
        out.append(f"{label(kb, after.clear_top)} would come first ({_pct(_level(after, after.clear_top))}){before}")
    moves = moved_causes(now, after)
    if not out and moves:
        cause = max(sorted(moves), key=lambda c: moves[c])
        out.append(f"{label(kb, cause)} would go from {_pct(_level(now, cause))} to {_pct(_level(after, cause))}")
    if not out:
        out = [f"{label(kb, c)} would be ruled out" for c in ruled] or ["the causes would barely move"]
    return " and ".join(out)


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def describe(kb: KnowledgeBase, now: Standing, findings: list[Told], leading: list[str]) -> tuple[list[str], str]:
    """The causes a step tells apart (the ones it moves most first) and its reason in words."""
    moves: dict[str, float] = {}
    raised, lowered, ruled = set(), set(), set()
    for finding in findings:
        for cause, move in moved_causes(now, finding.after).items():
            moves[cause] = max(moves.get(cause, 0.0), move)
            (raised if _level(finding.after, cause) > _level(now, cause) else lowered).add(cause)
        for cause in finding.after.ruled_out - now.ruled_out:
            moves.setdefault(cause, 0.0)
            ruled.add(cause)
    apart = sorted(moves, key=lambda c: (-moves[c], c))
    others = [c for c in leading if c not in apart]
    if len(apart) == 1 and others:
        apart.append(others[0])
    if len(apart) > 1:
        head = f"Tells {label(kb, apart[0])} apart from {_joined([label(kb, c) for c in apart[1:3]])}"
    else:
        could = " or ".join(word for word, side in (("confirm", raised), ("weaken", lowered - ruled), ("rule out", ruled))
                            if apart[0] in side)
        head = f"Could {could} {label(kb, apart[0])}"
    details = [f"if it{_together(kb, f.others)} shows that {mid_sentence(f.title)}, {effect(kb, now, f.after)}"
               for f in findings]
    return apart[:3], f"{head}: {'; '.join(details)}."


def _together(kb: KnowledgeBase, facts: tuple[str, ...]) -> str:
    """" together with <what else the rule needs>" for a finding this step cannot give alone."""
    if not facts:
        return ""
    named = [mid_sentence(kb.facts[f].description) if f in kb.facts else f for f in facts]
    return f" (together with {_joined(named)})"


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
