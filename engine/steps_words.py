"""A next step's reason in plain words: which leading causes it tells apart, and what
each of its best findings would do to them ("if it shows that no pool tag stands out,
a leaking driver would be ruled out"; for a question, the answer that would do it: "if
the answer is no, an application that never sends its response would be ruled out")."""
from __future__ import annotations

import re
from dataclasses import dataclass

from httperr_doctor.kb.schema import Condition, Question, Rule

from .knowledge import KnowledgeBase
from .plurals import joined
from .standing import MEANINGFUL, Standing
from .templates import format_value


@dataclass(frozen=True)
class Told:
    """One finding to put in words: how it is introduced ("if the answer is yes"), what
    else it needs from other steps ("step 3"), and the ranking it would give."""

    clause: str
    others: tuple[str, ...]
    after: Standing


_NUMBER_WORDS = {"at_least": "{} or more", "at_most": "{} or less", "above": "more than {}", "below": "less than {}",
                 "equals": "{}"}


def answer_words(question: Question, condition: Condition) -> str | None:
    """The answers to `question` that `condition` holds for, as a person would say them;
    None when no short answer says it (a pattern, a presence test).

    >>> from httperr_doctor.kb.schema import Condition, Question
    >>> yesno = Question(id="yn", fact="f", text="?", kind="yesno")
    >>> mb = Question(id="mb", fact="f", text="?", kind="number", unit="MB")
    >>> answer_words(yesno, Condition(fact="f", equals=False)), answer_words(mb, Condition(fact="f", below=20))
    ('no', 'less than 20 MB')
    """
    op, value = condition.operator, condition.operand
    if question.kind == "yesno" and op in ("equals", "not_equals") and isinstance(value, bool):
        return "yes" if value == (op == "equals") else "no"
    if question.kind == "number" and op in _NUMBER_WORDS and not isinstance(value, bool):
        unit = f" {question.unit}" if question.unit and question.unit != "%" else (question.unit or "")
        return _NUMBER_WORDS[op].format(format_value(value) + unit)
    if question.kind == "choice" and op in ("equals", "in", "not_equals"):
        values = [str(v) for v in (value if op == "in" else [value])]
        return ("anything but " if op == "not_equals" else "") + _one_of(values)
    return None


def _one_of(values: list[str]) -> str:
    """'A', 'A or B', 'A, B or C'; a long list by its first three and how many more.

    >>> _one_of(["QueueFull"]), _one_of(["a", "b", "c"]), _one_of(["a", "b", "c", "d", "e"])
    ('QueueFull', 'a, b or c', 'one of a, b, c and 2 more')
    """
    if len(values) > 3:
        return f"one of {', '.join(values[:3])} and {len(values) - 3} more"
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def finding_clause(kb: KnowledgeBase, rule: Rule, facts: list[str]) -> str:
    """How a step's reason introduces one finding: for a question, the answer that would let
    `rule` fire ("if the answer is no"); for evidence, what the evidence would show ("if it
    shows that a pool tag grows steadily across PoolMon snapshots")."""
    questions = {fact: kb.question_for(fact) for fact in facts}
    if not facts or not all(questions.values()):
        return f"if it shows that {mid_sentence(rule.title)}"
    on_step = [c for c in rule.when if c.fact in questions]
    words = [answer_words(questions[c.fact], c) for c in on_step]
    if on_step and all(words) and len({c.fact for c in on_step}) == 1:
        return "if the answer is " + " and ".join(words)
    return f"if the answer shows that {mid_sentence(rule.title)}"


def label(kb: KnowledgeBase, cause: str) -> str:
    """The cause's short name for running text ("a leaking driver"), else its title."""
    found = kb.causes.get(cause)
    if found is None:
        return cause
    return getattr(found, "short", "") or found.title


# Capitalised words that keep their capital inside a sentence.
PROPER_NOUNS = {"Windows", "Microsoft", "Server"}


def mid_sentence(title: str) -> str:
    """A title or description inside a sentence ("if it shows that ..."): a plain first word loses its capital.

    >>> mid_sentence("No pool tag stands out"), mid_sentence("PoolMon shows a tag"), mid_sentence("HTTP.sys logged N/A")
    ('no pool tag stands out', 'PoolMon shows a tag', 'HTTP.sys logged N/A')
    >>> mid_sentence("A pool tag grows"), mid_sentence("Non-paged pool in use"), mid_sentence("WAS 5002 / W3SVC 1002")
    ('a pool tag grows', 'non-paged pool in use', 'WAS 5002 / W3SVC 1002')
    """
    first = title.split(" ", 1)[0]
    if first in PROPER_NOUNS:
        return title
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
        head = f"Tells {label(kb, apart[0])} apart from {joined([label(kb, c) for c in apart[1:3]])}"
    else:
        could = " or ".join(word for word, side in (("confirm", raised), ("weaken", lowered - ruled), ("rule out", ruled))
                            if apart[0] in side)
        head = f"Could {could} {label(kb, apart[0])}"
    details = [f"{f.clause}{_together(f.others)}, {effect(kb, now, f.after)}" for f in findings]
    return apart[:3], f"{head}: {'; '.join(details)}."


def _together(others: tuple[str, ...]) -> str:
    """" (together with non-paged pool in use)" for a finding this step cannot give alone."""
    return f" (together with {joined(list(others))})" if others else ""


def other_evidence(kb: KnowledgeBase, facts: list[str]) -> tuple[str, ...]:
    """What else a finding needs, by what it is ("non-paged pool in use", "whether
    EnableAggressiveMemoryUsage is 1"; the first two and how many more). Not by step
    number: the report shows only its first steps, and a fleet's steps are numbered anew."""
    named: list[str] = []
    for fact in facts:
        spec = kb.facts.get(fact)
        words = fact if spec is None else ("whether " if spec.type == "bool" else "") + mid_sentence(_bare(spec.description))
        if words not in named:
            named.append(words)
    if len(named) > 2:
        return (*named[:2], f"{len(named) - 2} more")
    return tuple(named)


def _bare(description: str) -> str:
    """A fact's description by its name alone: without the explanation after a colon or
    the trailing aside that lists its values or default.

    >>> _bare("Windows family (xp, 2003, 2008r2, 2016+)"), _bare("Free pool (MB) left")
    ('Windows family', 'Free pool (MB) left')
    >>> _bare("HttpEvent 15005/15010 in the System log: HTTP.sys could not bind an address")
    'HttpEvent 15005/15010 in the System log'
    """
    return re.sub(r"\s*\([^()]*\)$", "", description.split(": ", 1)[0])
