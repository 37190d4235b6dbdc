"""The diagnosis as data: the versioned JSON shape every renderer and script reads.

Field names here are a public contract (`schema_version` says which). Add fields;
never rename or remove them.
"""
# No `from __future__ import annotations` here: pydantic would have to compile and
# evaluate every annotation string when the classes are made (about 30 ms of each run).
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.4"


# default_factory functions of our own rather than `list` / `dict`: pydantic reads a
# factory's signature, and a builtin's costs it a tokenizer pass (~0.5 ms a field).
def _new_list() -> list:
    return []


def _new_dict() -> dict:
    return {}


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(Model):
    fact: str = Field(description="Name of the fact, e.g. memory.npp_free_mb")
    value: Any
    text: str = Field(description="The fact in words, with how it was worked out")
    sources: list[str] = Field(default_factory=_new_list, description="file:line references")


class ReasoningStep(Model):
    rule: str
    title: str
    text: str = Field(description="Why the rule fired, with the numbers filled in")
    certainty: float = Field(ge=-1, le=1)
    direction: Literal["for", "against"]
    references: list[str] = Field(default_factory=_new_list)
    strength: Optional[float] = Field(default=None, ge=0, le=1, description="how strongly the evidence shows the symptom this rule reads (0..1); what the rules reading it concluded was multiplied by it (schema 1.1)")
    strength_text: str = Field(default="", description="that strength in words, e.g. '1 entry in 2 days of log' (schema 1.1)")


class RemediationStep(Model):
    number: int
    title: str
    do: str
    command: Optional[str] = None
    expect: Optional[str] = None
    risk: str = "none"


class ReferenceOut(Model):
    id: str
    title: str
    url: Optional[str] = None


class CauseOut(Model):
    id: str
    title: str
    category: str
    confidence: float = Field(ge=0, le=1, description="0..1, from combined certainty factors")
    certainty_factor: float = Field(ge=-1, le=1)
    certainty_explained: str = Field(default="", description="how the rules' certainty factors were combined, step by step (MYCIN)")
    summary: str
    evidence: list[Evidence]
    evidence_against: list[Evidence] = Field(default_factory=_new_list)
    reasoning: list[ReasoningStep]
    remediation: list[RemediationStep]
    verify: list[str]
    escalation: str
    references: list[ReferenceOut]
    servers: list[str] = Field(default_factory=_new_list, description="hosts where this cause was found (fleet runs)")
    triggered_by: list[str] = Field(default_factory=_new_list, description="ids of causes ranked above this one because they set it off; deal with them first (schema 1.1)")


class RuledOut(Model):
    id: str
    title: str
    reasons: list[ReasoningStep]


class Need(Model):
    fact: str
    ask: str = Field(description="What to find out, in words")
    how: str = Field(default="", description="How to measure or collect it")
    question: Optional[str] = Field(default=None, description="Wizard question id that asks for it")
    causes: list[str] = Field(description="Causes the answer would confirm or exclude")
    rules: list[str] = Field(default_factory=_new_list)
    step: Optional[int] = Field(default=None, description="the number of the next step that collects it (`next_steps`); added in schema 1.2")


class NextStep(Model):
    """One thing to do next: a command that collects missing evidence, and why it is worth doing."""

    number: int = Field(description="1 = the step that would best separate the leading causes")
    how: str = Field(description="the exact command or action, from the knowledge base's collection text")
    facts: list[str] = Field(description="the facts it would find out")
    asks: list[str] = Field(description="those facts in words")
    tells_apart: list[str] = Field(description="ids of the causes whose standing against each other it could change, the most affected first")
    why: str = Field(description="what it would tell apart and what its best findings would do to the ranking, in words")
    separation: float = Field(ge=0, description="how far its best finding would move the leading causes against each other (0 = not at all)")


class Problem(Model):
    line: int = Field(description="1-based line number, 0 for the whole file")
    message: str


class InputFile(Model):
    path: str
    kind: str = Field(description="parser that read it, or why it was not read: 'unknown', 'empty', "
                                  "'missing', 'unreadable', 'special', 'skipped', 'refused'")
    host: Optional[str] = None
    host_reason: Optional[str] = Field(default=None, description="(1.3) why the file was put with `host` when the file "
                                       "does not name its server itself (its folder, the only server named, ...); "
                                       "null when it names it")
    encoding: Optional[str] = None
    records: int = 0
    skipped: int = 0
    data_lines: int = 0
    problems: list[Problem] = Field(default_factory=_new_list, description="first skipped lines with reasons, and file-level errors")
    notes: list[str] = Field(default_factory=_new_list)


class Series(Model):
    """One line on the timeline: per-minute values of one thing measured on one server."""

    name: str = Field(description="stable id, e.g. httperr.reason.Connections_Refused, iis.requests, perf.npp_used_mb")
    label: str = Field(description="what the line shows, in words")
    group: Literal["reason", "requests", "counter"] = Field(description="reason: HTTPERR entries per minute; requests: IIS requests per minute; counter: a measured value (perfmon)")
    unit: str = Field(default="", description="unit of the values, e.g. 'per minute', 'MB', '%'")
    points: list[tuple[str, float]] = Field(default_factory=_new_list, description="[minute 'YYYY-MM-DD HH:MM' (UTC), value], sorted by time")
    benign: bool = Field(default=False, description="reason phrases that are normal background noise")
    threshold: Optional[float] = Field(default=None, description="a line worth drawing across the series, e.g. the non-paged pool use at which http.sys starts refusing")
    threshold_label: Optional[str] = None
    sources: list[str] = Field(default_factory=_new_list, description="files the series was read from")


class Incident(Model):
    start: str = Field(description="first minute (UTC) of the burst of problem reason phrases")
    end: str = Field(description="last minute (UTC) of the burst")
    reasons: list[str] = Field(description="the problem reason phrases that burst, most entries first")
    entries: int = Field(description="entries of those reason phrases from start to end")
    window_start: str = Field(description="first minute of the zoomed window drawn around the burst")
    window_end: str = Field(description="last minute of the zoomed window (at most 8 hours after window_start)")
    series: list[Series] = Field(default_factory=_new_list, description="the series that have data in the window, one point a minute; their "
                                "sources are left empty (the same series in the timeline's `series` names them)")


class Timeline(Model):
    bucket: str = Field(default="minute", description="width of one point")
    bucket_minutes: int = Field(default=1, ge=1, description="width of one point in minutes: 1 for runs up to two days; wider for longer runs, "
                                "to keep the report small (at most 2,880 points a series up to a month, fewer the longer "
                                "the run beyond that: hourly for two months, daily for a year)")
    start: Optional[str] = Field(default=None, description="first minute with data")
    end: Optional[str] = Field(default=None, description="last minute with data")
    series: list[Series] = Field(default_factory=_new_list)
    incidents: list[Incident] = Field(default_factory=_new_list, description="bursts of problem reason phrases against their own usual level, "
                                      "the largest few in time order, each with its window at one point a minute; added in schema 1.1")
    incidents_found: int = Field(default=0, ge=0, description="bursts found in all; more than len(incidents) when smaller ones were left out")


class NotEvaluated(Model):
    id: str
    title: str
    settle: list[Need] = Field(default_factory=_new_list, description="the evidence or answers that would let a rule speak for this cause, fewest first")


class Conflict(Model):
    """An answer that disagrees with what the evidence worked out."""

    fact: str = Field(description="the fact the answer was for")
    answered: Any
    evidence_fact: str = Field(description="the fact worked out from the evidence that disagrees")
    evidence_value: Any
    text: str = Field(description="both sides in words")
    kept: Literal["evidence", "answer"] = Field(description="which side the rules used: the evidence, unless the answers "
                                                "include answer.override_evidence = true")


class ServerDiagnosis(Model):
    host: str
    causes: list[CauseOut]
    ruled_out: list[RuledOut]
    not_evaluated: list[str] = Field(description="cause ids no rule could speak to with this evidence")
    needs: list[Need]
    inputs: list[str] = Field(description="paths of the input files used for this server")
    facts: dict[str, Any]
    unused_facts: list[str] = Field(default_factory=_new_list)
    timeline: Optional[Timeline] = Field(default=None, description="per-minute series (reason phrases, requests, counters) for drawing; added in schema 1.0")
    time_zone: Optional[str] = Field(default=None, description="how this server's local times (event logs, perfmon) were turned into UTC, i.e. which offset was used")
    not_evaluated_detail: list[NotEvaluated] = Field(default_factory=_new_list, description="each not-evaluated cause with what would settle it")
    no_problem_found: bool = Field(default=False, description="true when no cause outside the benign category reaches 30%: the evidence shows only background noise (schema 1.1)")
    symptom_evidence: bool = Field(default=True, description="(1.4) false when no file given can show a symptom (no HTTPERR log, IIS log, event log or perfmon capture, only systeminfo, boot settings, PoolMon and the like): `no_problem_found` then means nothing given could show a problem, not that none was seen")
    conflicts: list[Conflict] = Field(default_factory=_new_list, description="answers that disagree with the evidence, with both sides; added in schema 1.1")
    next_steps: list[NextStep] = Field(default_factory=_new_list, description="missing evidence worth collecting, the step that would best separate the leading causes first; `needs` lists their facts; added in schema 1.2")


class Tool(Model):
    name: str = "httperr-doctor"
    version: str
    kb_rules: int
    kb_causes: int
    engine: str = Field(description="the rule engine that evaluated the KB: durable-rules, or reference (the pure-Python evaluator where durable-rules is not installed); added in schema 1.1")


class Report(Model):
    schema_version: str = SCHEMA_VERSION
    tool: Tool
    host: Optional[str] = Field(default=None, description="the server, when the run covers one")
    causes: list[CauseOut] = Field(description="ranked best first; for several servers, merged with `servers` set")
    ruled_out: list[RuledOut]
    not_evaluated: list[str]
    needs: list[Need]
    inputs: list[InputFile]
    servers: list[ServerDiagnosis]
    shared_causes: dict[str, list[str]] = Field(default_factory=_new_dict, description="cause id -> hosts, for causes found on more than one server")
    time_note: str = Field(default="HTTPERR and IIS W3C times are UTC as written by Windows.")
    redacted: bool = Field(default=False, description="true when addresses, host names and URL query strings were replaced by placeholders (diagnose --redact)")
    no_problem_found: bool = Field(default=False, description="true when every server's evidence shows only background noise (no cause outside the benign category reaches 30%) (schema 1.1)")
    symptom_evidence: bool = Field(default=True, description="(1.4) false when some server's files include nothing that can show a symptom (no HTTPERR log, IIS log, event log or perfmon capture); each server says so for itself")
    next_steps: list[NextStep] = Field(default_factory=_new_list, description="for one server, its next steps; for several, each server's (in `servers`) merged by command, best first; added in schema 1.2")
