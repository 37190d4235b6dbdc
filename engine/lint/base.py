"""What every KB check shares: its severity, and where in the KB files a problem is."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterable

from ..facts import catalogue
from ..knowledge import KnowledgeBase, Problem

ERROR, WARNING = "error", "warning"


@dataclass
class Checked:
    """The KB under check, with what several checks look up (worked out once)."""

    kb: KnowledgeBase
    run_cases: bool = True
    # What one check works out once for all the items it is given.
    memo: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def produced(self) -> dict[str, str]:
        """Every fact the facts step can set, with its kind (engine/facts/ declarations)."""
        return catalogue(self.kb)

    @cached_property
    def needed(self) -> set[str]:
        """Every fact a rule tests, plus everything those facts are derived from."""
        todo = [c.fact for rule in self.kb.rules.values() for c in rule.when]
        seen: set[str] = set()
        while todo:
            fact = todo.pop()
            if fact not in seen:
                seen.add(fact)
                spec = self.kb.facts.get(fact)
                todo.extend(spec.derived_from if spec else [])
        return seen

    def at(self, kind: str, key: str, message: str) -> Problem:
        """A problem at the item's file and line (`kind` as in `kb.origin`: rule, cause, ...)."""
        path, line = self.kb.origin.get((kind, key), ("kb", 0))
        return Problem(path, line, message)


def optional_without_fallback(sentences: list) -> Iterable[tuple[int, str]]:
    """(number, fact) for each optional fact no later sentence does without: the text could go unshown."""
    for number, sentence in enumerate(sentences, start=1):
        for name in sentence.optional:
            if not any(name not in later.facts for later in sentences[number:]):
                yield number, name


# The items a per-item validator is given, each with the key `kb.origin` locates it by.
ITEMS: dict[str, Callable[[KnowledgeBase], Iterable[tuple[str, Any]]]] = {
    "rule": lambda kb: ((rule.id, rule) for rule in kb.rules.values()),
    "cause": lambda kb: ((cause.id, cause) for cause in kb.causes.values()),
    "question": lambda kb: ((question.id, question) for question in kb.questions.values()),
    "phrase": lambda kb: ((name, (name, phrase)) for name, phrase in kb.phrases.items()),
}


@dataclass(frozen=True)
class Validator:
    """One check of the KB, with the severity of what it finds (pySigma's rule validators).

    With `each` ("rule", "cause", "question", "phrase") `check(checked, item)` yields
    messages about that one item, placed at its file and line; without it
    `check(checked)` looks across the KB and yields whole problems.
    """

    name: str
    severity: str
    check: Callable[..., Iterable[Any]]
    each: str | None = None

    def run(self, checked: Checked) -> list[Problem]:
        if self.each is None:
            found = list(self.check(checked))
        else:
            found = [checked.at(self.each, key, message)
                     for key, item in ITEMS[self.each](checked.kb) for message in self.check(checked, item)]
        return [Problem(p.path, p.line, p.message, self.severity) for p in found]
