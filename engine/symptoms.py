"""Which evidence shows a symptom, and which causes the symptom shown can be about.

HTTPERR and IIS logs, event logs and perfmon captures record what the server did to
requests and worker processes; systeminfo, boot settings, PoolMon, registry and netsh
output describe how the server is set up or what it holds. Only the first kind can show
that something went wrong. Two things follow. A bundle with none of it has shown no
problem because nothing in it could (`shows_symptoms`). And once it shows one, a next
step is worth taking only when what it could find is about that symptom: evidence that
would raise a cause the symptom cannot come from (an application pool that cannot start
behind 400 Hostname lines) tells the causes the evidence supports nothing
(`causes_in_reach`).
"""
from __future__ import annotations

from typing import Any, Container, Mapping

from httperr_doctor.kb.schema import Condition

from .facts.catalogue import sources_setting
from .knowledge import KnowledgeBase
from .needs import held_by_rule
from .ranking import Ranking
from .rule_engines import InferenceResult

# Evidence sources (`Source.name`) whose facts record what happened to requests and
# worker processes. `load`, `series` and `sequence` work on HTTPERR, IIS and event logs;
# `appcrash` reads the Application log's crashes.
SYMPTOM_SOURCES = frozenset({"httperr", "iislog", "eventlog", "appcrash", "perfmon", "load", "series", "sequence"})
# Figures of the whole log, whichever symptom it holds: a rule reading them is not about one.
WHOLE_LOG = frozenset({"httperr.lines", "httperr.non_benign_lines", "httperr.non_benign_per_hour",
                       "httperr.top_reason_share", "httperr.idle_share", "iis.requests"})
# What to collect first when none was given, as docs/COLLECTING.md names it.
SYMPTOM_EVIDENCE = ("the HTTPERR log", "the IIS logs", "the System event log", "a perfmon capture")


def shows_symptoms(known: Container[str]) -> bool:
    """Whether any evidence that can show a symptom was given (`known` is the server's facts)."""
    return bool(SYMPTOM_SOURCES & (getattr(known, "sources_read", None) or set()))


def collects_symptoms(kb: KnowledgeBase, facts: list[str]) -> bool:
    """Whether a step's facts come from evidence that can show a symptom (the HTTPERR log, not boot.ini)."""
    setting = sources_setting(kb)
    return any(setting.get(fact) in SYMPTOM_SOURCES for fact in facts)


def causes_in_reach(kb: KnowledgeBase, ranking: Ranking, inference: InferenceResult,
                    values: Mapping[str, Any]) -> set[str]:
    """The causes the symptom shown can be about: those the evidence supports (ranked), those
    the KB names for each HTTPERR reason logged (kb/reason_phrases.yaml `causes`:
    Connections_Refused is evidence for a leaking driver and /3GB as much as for plain pool
    exhaustion), and those with a rule whose condition on the symptom held (WAS 5021 and
    AppOffline together speak of a pool that cannot start). Background noise (the benign
    causes) is not what a problem's next steps are for: whether the idle keep-alive
    expiries beside 404 NotFound lines are harmless tells nothing about the 404s."""
    reach = {s.cause for s in ranking.ranked}
    for name, phrase in kb.phrases.items():
        if values.get(f"httperr.reason.{name}.count", 0) > 0:
            reach.update(phrase.causes)
    setting = sources_setting(kb)
    for rule_id, indices in held_by_rule(inference).items():
        rule = kb.rules.get(rule_id)
        if rule is not None and rule.cause not in reach and any(
                setting.get(rule.when[i].fact) in SYMPTOM_SOURCES and names_a_symptom(rule.when[i]) for i in indices):
            reach.add(rule.cause)
    return {cause for cause in reach if kb.causes[cause].category != "benign"}


def names_a_symptom(condition: Condition) -> bool:
    """Whether a condition that held says a symptom is there: some of it was seen (a count
    at least 1), or it is a given one (a reason phrase, a yes). A condition that held for
    an absence (a count of 0, at most, below) or for any value at all (present) says nothing
    about which symptom the evidence shows."""
    op, value = condition.operator, condition.operand
    if condition.fact in WHOLE_LOG:
        return False
    if op in ("at_least", "above"):
        return not isinstance(value, bool) and value > 0
    return op in ("in", "matches") or (op == "equals" and value not in (0, False))
