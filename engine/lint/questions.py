"""Checks of each wizard question: it asks for a known fact, once, in the fact's kind, and
says how to find the answer."""
from __future__ import annotations

from typing import Iterator

from httperr_doctor.kb.schema import Condition, Question

from ..knowledge import Problem
from .base import ERROR, WARNING, Checked, Validator
from .conditions import why_never


def asks_known_facts(checked: Checked, question: Question) -> Iterator[str]:
    if question.fact not in checked.kb.facts:
        yield f"question {question.id} asks for unknown fact {question.fact!r}"


def says_how(checked: Checked, question: Question) -> Iterator[str]:
    if not question.how.strip():
        yield f"question {question.id} does not say how to find the answer (`how`)"


def asked_once(checked: Checked) -> Iterator[Problem]:
    asked: dict[str, str] = {}
    for question in checked.kb.questions.values():
        if question.fact in asked:
            yield checked.at("question", question.id, f"question {question.id} asks for {question.fact}, as {asked[question.fact]} already does")
        asked.setdefault(question.fact, question.id)


def answer_kinds(checked: Checked, question: Question) -> Iterator[str]:
    spec = checked.kb.facts.get(question.fact)
    if spec is None:
        return
    if question.kind == "number" and spec.type != "number":
        yield f"question {question.id} asks a number for {question.fact}, a {spec.type}"
    elif question.kind == "yesno" and spec.type != "bool":
        yield f"question {question.id} asks yes/no for {question.fact}, a {spec.type}"
    elif question.kind == "choice":
        wrong = [c.value for c in question.choices if why_never([Condition(fact=question.fact, equals=c.value)], spec.type)]
        if wrong:
            yield f"question {question.id} offers {wrong!r}, not valid {spec.type} values for {question.fact}"


def used(checked: Checked, question: Question) -> Iterator[str]:
    if question.fact in checked.kb.facts and question.fact not in checked.needed:
        yield f"question {question.id} asks for {question.fact}, which no rule uses"


VALIDATORS = (
    Validator("question-known-fact", ERROR, asks_known_facts, "question"),
    Validator("question-says-how", ERROR, says_how, "question"),
    Validator("question-asked-once", ERROR, asked_once),
    Validator("question-answer-kind", ERROR, answer_kinds, "question"),
    Validator("question-used", WARNING, used, "question"),
)
