"""The order the steps run in, and the two entry points: facts from evidence, and
those facts plus a person's answers with everything worked out from both."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..evidence.base import ParseResult
from ..timezones import Zone
from . import (appconfig, appcrash, bcdedit, bootini, eventlog, httperr, iislog, iplisten, limits, load, manifest, memory,
               netsh, netstat, perfmon, poolmon, regquery, sequence, series, systeminfo, urlacl)
from ..conditions import holds
from .model import Conflict, Context, Facts, OverrideEvidence

if TYPE_CHECKING:
    from ..knowledge import KnowledgeBase

# systeminfo first (it names the zone the event logs need); boot.ini before bcdedit
# (boot.ini wins where both speak); HTTPERR and IIS before what combines them; the
# order in time last (it compares the queue with the configured limits).
SOURCES = (systeminfo.SOURCE, bootini.SOURCE, bcdedit.SOURCE, regquery.SOURCE, perfmon.SOURCE, eventlog.SOURCE,
           appcrash.SOURCE, appconfig.SOURCE, netsh.SOURCE, netstat.SOURCE, poolmon.SOURCE, httperr.SOURCE, iislog.SOURCE,
           load.SOURCE, manifest.SOURCE, series.SOURCE, sequence.SOURCE, urlacl.SOURCE,
           iplisten.SOURCE)
DERIVATIONS = (memory.DERIVATION, limits.DERIVATION)


def derive_facts(results: list[ParseResult], kb: KnowledgeBase, answers: dict[str, Any] | None = None,
                 zone: Zone | None = None) -> Facts:
    """All facts for one server, from its parsed files plus answers given by a person."""
    return with_answers(evidence_facts(results, kb, zone), answers, kb)


def evidence_facts(results: list[ParseResult], kb: KnowledgeBase, zone: Zone | None = None) -> Facts:
    """The facts read from the parsed files alone (before answers and cross-source sums).

    `kb` gives the reason-phrase vocabulary; `zone` (from `--tz`) says which zone the
    server's local times are in, and without it the zone comes from systeminfo.
    """
    facts = Facts()
    by_kind: dict[str, list[ParseResult]] = {}
    for result in results:
        by_kind.setdefault(result.kind, []).append(result)
    context = Context(kb, zone, parsed=by_kind)
    for source in SOURCES:
        mine = [result for kind in source.kinds for result in by_kind.get(kind, ())]
        if mine:
            source.collect(facts, mine, context)
            facts.sources_read.add(source.name)
    return facts


# An answer that keeps every answer given even where the evidence says otherwise
# (`OverrideEvidence` does the same for one answer).
OVERRIDE = "answer.override_evidence"


def _against_evidence(kb: KnowledgeBase, evidence: Facts, name: str, value: Any, override: bool) -> Conflict | None:
    """The conflict when an answer disagrees with the evidence: the same fact computed
    with another value, or a fact the KB says the evidence settles (`settled_by`)."""
    kept = "answer" if override else "evidence"
    if name in evidence:
        fact = evidence[name]
        if fact.value != value:
            return Conflict(name, value, name, fact.value, fact.how, kept, tuple(fact.sources))
        return None
    spec = kb.facts.get(name)
    for settle in (spec.settled_by if spec is not None else ()):
        known = [evidence[c.fact] for c in settle.when if c.fact in evidence]
        if (len(known) == len(settle.when) and settle.value != value
                and all(holds(c, True, evidence[c.fact].value) for c in settle.when)):
            return Conflict(name, value, known[0].name, known[0].value, known[0].how, kept, tuple(known[0].sources))
    return None


def with_answers(evidence: Facts, answers: dict[str, Any] | None, kb: KnowledgeBase) -> Facts:
    """Evidence facts plus a person's answers, with the facts worked out from both.

    Split from `evidence_facts` so the wizard can try many hypothetical answers
    without reading the evidence again; `evidence` is not modified. An answer against
    the evidence is a conflict, and the evidence wins unless the answer overrides it.
    """
    facts = Facts(evidence)
    facts.time_notes = list(evidence.time_notes)
    facts.sources_read = set(evidence.sources_read)
    override_all = bool((answers or {}).get(OVERRIDE))
    for name, given in (answers or {}).items():
        value = given.value if isinstance(given, OverrideEvidence) else given
        conflict = _against_evidence(kb, evidence, name, value, override_all or isinstance(given, OverrideEvidence))
        if conflict is not None:
            facts.conflicts.append(conflict)
            if conflict.kept == "evidence":
                continue
        facts.add(name, value, how="answered in the wizard")
    if answers and "httperr.top_reason" in answers:
        httperr.answered_top_reason(facts, kb)
    for derivation in DERIVATIONS:
        derivation.derive(facts)
    return facts
