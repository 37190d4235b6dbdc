"""One question on screen and the reply to it: a menu of answers and actions, a number
typed with its unit, a value typed in full, or the path of a file to attach instead.

A reply is `(kind, value)`: `("value", v)` an answer, `("file", path)` evidence to read,
`("action", name)` one of the actions below. Which question comes next, and what the
reply does, is the interview's business (`wizard/interactive.py`).
"""
from __future__ import annotations

import os
import re
from typing import Any

from httperr_doctor.engine.questioning import Questioner
from httperr_doctor.engine.standing import Candidate

from .console import Console
from .prompts import Prompt

UNKNOWN, ATTACH, WHY, BACK, STOP, OTHER = "unknown", "attach", "why", "back", "stop", "other"
RETYPE = "#retype"
ACTION_LABELS = {
    OTHER: "Something else (type it as written)",
    UNKNOWN: "I don't know / can't check",
    ATTACH: "Attach an evidence file instead",
    WHY: "Why are you asking?",
    BACK: "Back: undo the last answer",
    STOP: "Stop asking and show the report",
}
_NUMBER = re.compile(r"^\s*([-+]?[0-9][0-9,]*(?:\.[0-9]+)?|[-+]?\.[0-9]+)\s*([A-Za-z%]*)\s*$")


def parse_number(text: str, unit: str | None = None) -> float | int | None:
    """A number as a person types it: '109', '1,268', '19.5 MB' (the question's unit may follow).

    >>> parse_number("1,268"), parse_number("19.5 MB", "MB"), parse_number("12 GB", "MB"), parse_number("lots")
    (1268, 19.5, None, None)
    """
    match = _NUMBER.match(text or "")
    if not match or (match.group(2) and (not unit or match.group(2).lower() != unit.lower())):
        return None
    value = float(match.group(1).replace(",", ""))
    return int(value) if value.is_integer() else value


def present(console: Console, candidate: Candidate, number: int) -> None:
    question = candidate.question
    console.say()
    console.say(f"Question {number}: {question.text.strip()}")
    if question.how:
        console.say(f"How to check: {' '.join(question.how.split())}", "  ")


def reply_to(console: Console, questioner: Questioner, candidate: Candidate, can_go_back: bool) -> tuple[str, Any]:
    """The person's reply to the question on screen: a number, or a choice from its menu."""
    question = candidate.question
    if question.kind == "number":
        return _number(console, questioner, candidate, can_go_back)
    answers = [("Yes", True), ("No", False)] if question.kind == "yesno" else \
        [(c.label, c.value) for c in question.choices]
    return _menu(console, questioner, candidate, answers, can_go_back)


def _menu(console: Console, questioner: Questioner, candidate: Candidate, answers: list[tuple[str, Any]],
          can_go_back: bool) -> Any:
    other = [OTHER] if len(questioner.vocabulary(candidate.question)) > len(candidate.question.choices) else []
    actions = other + [UNKNOWN, ATTACH, WHY] + ([BACK] if can_go_back else []) + [STOP]
    choices = [(label, ("value", value)) for label, value in answers]
    choices += [(ACTION_LABELS[a], ("action", a)) for a in actions]
    return console.ask(Prompt("select", "Your answer:", choices, instruction="(arrow keys, Enter)"))


def _number(console: Console, questioner: Questioner, candidate: Candidate, can_go_back: bool) -> Any:
    question = candidate.question
    unit = question.unit or ""
    console.say(f"Type the number{' in ' + unit if unit else ''}, or the path of a file to attach "
                "(Tab completes). Enter on an empty line: don't know, why, back, stop.", "  ")

    def valid(text: str) -> bool | str:
        if not text.strip() or parse_number(text, unit) is not None or os.path.exists(os.path.expanduser(text.strip())):
            return True
        return f"Type a number{' in ' + unit if unit else ''}, an existing file path, or nothing"

    text = str(console.ask(Prompt("path", "Answer:", validate=valid)) or "").strip()
    if not text:
        return _menu(console, questioner, candidate, [("Type the number after all", RETYPE)], can_go_back)
    number = parse_number(text, unit)
    if number is not None:
        return ("value", number)
    if os.path.exists(os.path.expanduser(text)):
        return ("file", os.path.expanduser(text))
    console.say(valid(text), "  ")
    return ("action", RETYPE)


def typed_value(console: Console, questioner: Questioner, candidate: Candidate) -> str | None:
    """A value typed in full (Tab completes); empty goes back to the list."""
    known = {v.lower(): v for v in questioner.vocabulary(candidate.question)}

    def valid(text: str) -> bool | str:
        return True if not text.strip() or text.strip().lower() in known else "Not a value httperr-doctor knows (Tab shows them)"

    text = str(console.ask(Prompt("text", "Type it (Tab completes, Enter on empty goes back):",
                                  [(v, v) for v in known.values()], validate=valid)) or "").strip()
    return known.get(text.lower())
