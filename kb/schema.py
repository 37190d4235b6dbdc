"""The shape of every knowledge-base file, as strict pydantic models.

The KB is data: conditions come from a small closed set of operators, text uses
`{{ fact.name }}` placeholders only, and unknown keys are errors (a typo in a rule
must not silently turn a condition off).
"""
# No `from __future__ import annotations`: pydantic would compile and evaluate each
# annotation string when it builds a validator (see engine/report.py).

import re
from functools import cached_property
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Scalar = Union[bool, int, float, str]
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.\-/]+)\s*\}\}")
# What is left of template syntax once the plain placeholders are taken out.
TEMPLATE_SYNTAX = re.compile(r"\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)|\{#|\}\}|%\}")


def plain_template(text: str) -> str:
    """Accept text whose only template syntax is `{{ fact.name }}` (no expressions, filters, blocks).

    >>> plain_template("{{ memory.npp_free_mb }} MB free; ${x} stays")
    '{{ memory.npp_free_mb }} MB free; ${x} stays'
    >>> plain_template("{{ ''.__class__ }}")
    Traceback (most recent call last):
    ValueError: only {{ fact.name }} placeholders are allowed in KB text; found {{ ''.__class__ }}
    """
    leftover = TEMPLATE_SYNTAX.search(PLACEHOLDER.sub("", text))
    if leftover:
        raise ValueError(f"only {{{{ fact.name }}}} placeholders are allowed in KB text; found {leftover.group(0)}")
    return text
def sentences(value):
    """One sentence or several, each plain text or a mapping with `when` and `optional`."""
    value = [value] if isinstance(value, str) else value
    return [{"text": item} if isinstance(item, str) else item for item in value] if isinstance(value, list) else value


OPERATORS = ("equals", "not_equals", "in", "at_least", "at_most", "above", "below", "matches", "present", "absent")
# durable-rules evaluates `matches` with its own small regex engine: keep to this subset.
SAFE_REGEX = re.compile(r"^[A-Za-z0-9_.*+?\[\]\-/| ^$]*$")


class Strict(BaseModel):
    # defer_build: a validator is built on the first validation, not at import. A
    # diagnosis whose KB comes from the cache (engine/kbcache.py) validates nothing here.
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, defer_build=True)


class Condition(Strict):
    """One test on one fact; exactly one operator is set."""

    fact: str
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    at_least: float | None = None
    at_most: float | None = None
    above: float | None = None
    below: float | None = None
    matches: str | None = None
    present: Literal[True] | None = None
    absent: Literal[True] | None = None

    @field_validator("at_least", "at_most", "above", "below", mode="before")
    @classmethod
    def _int_is_number(cls, value):
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _one_operator(self) -> "Condition":
        set_ops = [op for op in OPERATORS if getattr(self, "in_" if op == "in" else op) is not None]
        if len(set_ops) != 1:
            raise ValueError(f"condition on {self.fact!r} needs exactly one of {', '.join(OPERATORS)}; found {set_ops or 'none'}")
        if self.matches is not None:
            if not SAFE_REGEX.match(self.matches):
                raise ValueError(f"`matches` pattern {self.matches!r} uses characters outside the supported subset")
            re.compile(self.matches)
        return self

    # Worked out once per condition (the engine and the report ask for them often);
    # pydantic leaves cached properties out of equality and dumps.
    @cached_property
    def operator(self) -> str:
        return next(op for op in OPERATORS if getattr(self, "in_" if op == "in" else op) is not None)

    @cached_property
    def operand(self):
        return getattr(self, "in_" if self.operator == "in" else self.operator)


class Sentence(Strict):
    """A summary sentence, and what must hold for it to be true besides its placeholders.

    A sentence that claims something no placeholder shows ("set below the default")
    names the facts behind the claim in `when`; it is shown only when they hold.
    """

    text: str
    when: list[Condition] = Field(default_factory=list)
    # Placeholders no rule of the cause tests (a pool or URL named on the lines): the
    # sentence is skipped when they are unknown, and a later one must do without them.
    optional: list[str] = Field(default_factory=list)

    @field_validator("text")
    @classmethod
    def _plain_text(cls, value: str) -> str:
        return plain_template(value)

    @cached_property
    def facts(self) -> tuple[str, ...]:
        """Every fact the sentence relies on: its conditions' and its placeholders'."""
        return tuple(dict.fromkeys([c.fact for c in self.when] + PLACEHOLDER.findall(self.text)))


class Rule(Strict):
    """When every condition holds, the rule adds `certainty` to its cause."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9_]+$")
    cause: str
    title: str
    when: list[Condition] = Field(min_length=1)
    certainty: float = Field(ge=-1.0, le=1.0)
    # Tried in order, as a cause's summary: a sentence may name what only some evidence
    # shows (the pools the events name) under `optional`, before one that does without it.
    because: list[Sentence] = Field(min_length=1)
    rules_out: bool = False
    references: list[str] = Field(default_factory=list)

    @field_validator("certainty", mode="before")
    @classmethod
    def _int_is_number(cls, value):
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("because", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return sentences(value)

    @model_validator(mode="after")
    def _rules_out_is_negative(self) -> "Rule":
        if self.rules_out and self.certainty > 0:
            raise ValueError("a rule that rules its cause out must have a negative certainty")
        return self


class RuleCase(Strict):
    """A twin-file test case: these facts, and whether the rule must fire."""

    name: str
    facts: dict[str, Scalar]
    fires: bool


class RuleCases(Strict):
    cases: list[RuleCase] = Field(min_length=2)

    @model_validator(mode="after")
    def _firing_and_silent(self) -> "RuleCases":
        if not any(c.fires for c in self.cases) or all(c.fires for c in self.cases):
            raise ValueError("a rule needs at least one case that fires and one near miss that stays silent")
        return self


class Step(Strict):
    """One remediation step a help-desk person can follow."""

    title: str
    do: str
    command: str | None = None
    expect: str | None = None
    risk: str = "none"
    # The facts the step's command or check finds out. Once they are known (the evidence
    # given holds them), the step does not ask for them again: it says what they showed
    # instead (`given`, the first sentence its facts support), or it is left out.
    collects: list[str] = Field(default_factory=list)
    given: list[Sentence] = Field(default_factory=list)

    @field_validator("given", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return sentences(value)


class Fill(Strict):
    """What a runbook placeholder (`<pool>`, `<TAG>`) stands for: the facts that name its value
    in this cause's evidence, tried in order, and what to put there when none does."""

    # The placeholder's name: `pool` for `<pool>`.
    placeholder: str = Field(pattern=r"^[A-Za-z][^<>{}\n]*$")
    facts: list[str] = Field(default_factory=list)
    # Completes "Put ... in place of <pool>.": "the name of the application pool (IIS Manager > Application Pools)".
    means: str


class Cause(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]+$")
    title: str
    # The cause named in running text ("tells a leaking driver apart from ..."), lower case.
    short: str = ""
    category: Literal["kernel-memory", "boot-config", "load", "application", "app-pool", "limits", "client", "benign", "configuration"]
    # Tried in order; the first whose placeholders are all known and whose `when` holds is shown.
    summary: list[Sentence] = Field(min_length=1)
    remediation: list[Step] = Field(min_length=1)
    verify: list[str] = Field(min_length=1)
    escalation: str
    engineer_notes: str = ""
    references: list[str] = Field(min_length=1)
    # Causes this one can set off (a memory limit leads to rapid-fail protection): when
    # both are found, this one is ranked first so its remedy is read first.
    leads_to: list[str] = Field(default_factory=list)
    # Every `<placeholder>` its runbook's texts hold.
    fill: list[Fill] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_fill_a_placeholder(self) -> "Cause":
        names = [f.placeholder for f in self.fill]
        if len(names) != len(set(names)):
            raise ValueError("each placeholder is filled once (`fill` names one twice)")
        return self

    @field_validator("summary", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return sentences(value)

    @model_validator(mode="after")
    def _plain_summary_last(self) -> "Cause":
        if self.summary[-1].facts:
            raise ValueError("the last summary must have no {{ placeholders }} and no `when` so one always renders")
        return self


class Choice(Strict):
    label: str
    value: Scalar


class Question(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]+$")
    fact: str
    text: str
    how: str = ""
    kind: Literal["number", "choice", "yesno"]
    unit: str | None = None
    choices: list[Choice] = Field(default_factory=list)

    @model_validator(mode="after")
    def _choices_for_choice(self) -> "Question":
        if self.kind == "choice" and len(self.choices) < 2:
            raise ValueError("a choice question needs at least two choices")
        return self


class Settle(Strict):
    """Evidence that answers a question's fact: when every condition holds, the fact is `value`."""

    when: list[Condition] = Field(min_length=1)
    value: Scalar


class FactSpec(Strict):
    type: Literal["number", "bool", "string"]
    description: str
    unit: str | None = None
    # Worked out from other facts: asking for it means asking for these instead.
    derived_from: list[str] = Field(default_factory=list)
    # Known in every diagnosis (a documented default), so it never makes a rule relevant.
    constant: bool = False
    # The value Windows has when nothing was configured (a registry value or attribute left
    # out): a sentence using the fact is not shown at this value unless its `when` speaks of it.
    default: Scalar | None = None
    # How a person collects the evidence behind it, when no question asks for it.
    how: str = ""
    # Evidence facts that answer this one: once any of them is known it is not asked, and
    # an answer against them is a conflict.
    settled_by: list[Settle] = Field(default_factory=list)


class Reference(Strict):
    title: str
    url: str | None = None
    where: str | None = None


class PhraseGroup(Strict):
    """Reason phrases that tell one story together (kb/reason_phrases.yaml `groups`)."""

    phrases: list[str] = Field(min_length=1)


class ReasonPhrase(Strict):
    status: str
    # One of the file's `families` (the loader checks it).
    family: str
    benign: bool
    meaning: str
    # What usually makes HTTP.sys write it, in words a help desk can follow.
    usual_cause: str
    check: str
    # The KB causes this phrase is evidence for (kb lint checks a rule links them).
    causes: list[str] = Field(min_length=1)
    # Documented by Microsoft, or only seen in real logs / third-party lists.
    documented: bool = True
    references: list[str]
