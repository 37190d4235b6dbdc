"""The whole path: evidence files -> facts -> rules -> ranking -> report.

Everything a front end needs is here (`diagnose` for files, `assess` for facts the
wizard gathered); nothing here prompts or prints.
"""
from __future__ import annotations

import os
import re
from collections import defaultdict
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import PurePath
from typing import Any, Iterable

from . import report as out
from .evidence import ReadFile
from .facts import Facts, derive_facts
from .inference import InferenceResult, RuleEngine
# Progress is part of this module's API (front ends import it from here); it lives in
# ingest.py, which reports it.
from .ingest import Progress, ProgressCallback, read_files, read_inputs  # noqa: F401
from .knowledge import KnowledgeBase, default_kb
from .ranking import CauseScore, rank
from .templates import format_value, render, render_first
from .timezones import Zone
from .timeline import build_timeline

PROBLEMS_SHOWN = 10
UNNAMED_HOST = "(unnamed server)"


_engines: dict[int, tuple[KnowledgeBase, RuleEngine]] = {}


def engine_for(kb: KnowledgeBase) -> RuleEngine:
    """One compiled engine per knowledge base, built on first use."""
    entry = _engines.get(id(kb))
    if entry is None or entry[0] is not kb:
        entry = _engines[id(kb)] = (kb, RuleEngine(kb.rules.values(), kb.fact_types))
    return entry[1]


def tool_version() -> str:
    """The installed version, from the `Version:` header of the package's METADATA.

    Read directly: `importlib.metadata.version` parses the whole file with the email
    package, which costs about 6 ms of every diagnosis.
    """
    try:
        text = distribution("httperr-doctor").read_text("METADATA") or ""
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"
    for line in text.splitlines():
        if not line:
            break  # the headers end at the first empty line
        if line.startswith("Version:"):
            return line.partition(":")[2].strip()
    return version("httperr-doctor")  # pragma: no cover - unusual METADATA


def host_key(name: str) -> str:
    """Servers are named by their short name in capitals (`web01.contoso.com` -> `WEB01`); IPs stay whole.

    >>> host_key("web01.contoso.local"), host_key("10.0.0.5")
    ('WEB01', '10.0.0.5')
    """
    text = name.strip().upper()
    return text if re.fullmatch(r"[\d.]+|\[?[0-9A-F:]+\]?", text) else text.split(".")[0]


def _folder_name(folder: PurePath) -> str:
    # A folder inside a zip bundle is named `bundle.zip!HOST`.
    return folder.name.rsplit("!", 1)[-1].upper()


def group_by_host(files: list[ReadFile]) -> dict[str, list[ReadFile]]:
    """Group parsed files by server.

    A file that names its host (systeminfo Host Name, `\\\\HOST\\` in counter paths, the
    event `Computer:`) goes to that host. Any other file takes the host named in its
    folder or the nearest folder above it, without climbing out of its top folder
    (the folder directly under the common root of the run). When the top folders are
    servers (named after their host, or naming several hosts), a top folder that names
    none is a server of its own, called by the folder's name. Otherwise the only host
    in the run, and failing that the top folder's name or "(unnamed server)".
    """
    parsed = [f for f in files if f.result is not None]
    if not parsed:
        return {}
    paths = {id(f): PurePath(f.path) for f in parsed}
    root = PurePath(os.path.commonpath([str(p.parent) for p in paths.values()]) or ".")

    def top_folder(path: PurePath) -> PurePath | None:
        inside = path.parent.relative_to(root).parts if path.parent != root else ()
        return root / inside[0] if inside else None

    named_in: dict[PurePath, set[str]] = defaultdict(set)
    for f in parsed:
        if f.result.host:
            for folder in paths[id(f)].parents:
                named_in[folder].add(host_key(f.result.host))
    everyone = named_in.get(root, set())
    top_of = {key: top_folder(path) for key, path in paths.items()}  # once per file: thousands of files in a farm
    tops = set(top_of.values())
    named_tops = {top: named_in[top] for top in tops if top in named_in}
    tops_are_servers = len(set().union(*named_tops.values())) > 1 if named_tops else False
    tops_are_servers = tops_are_servers or any(host_key(_folder_name(t)) in hosts for t, hosts in named_tops.items())
    groups: dict[str, list[ReadFile]] = defaultdict(list)
    for f in parsed:
        path = paths[id(f)]
        top = top_of[id(f)]
        host = host_key(f.result.host) if f.result.host else None
        for folder in path.parents if host is None else ():
            names = named_in.get(folder, set())
            if len(names) == 1 and (top is None or folder == top or top in folder.parents):
                host = next(iter(names))
            if names or folder == top:
                break
        if host is None:
            if top is not None and tops_are_servers and top not in named_tops:
                host = host_key(_folder_name(top)) or UNNAMED_HOST
            elif len(everyone) == 1:
                host = next(iter(everyone))
            elif top is not None and (everyone or len(tops) > 1):
                host = host_key(_folder_name(top)) or UNNAMED_HOST
            else:
                host = UNNAMED_HOST
        groups[host].append(f)
    return dict(sorted(groups.items()))


def assess(facts: Facts, kb: KnowledgeBase | None = None, host: str = UNNAMED_HOST,
           inputs: Iterable[str] = (), timeline: out.Timeline | None = None) -> out.ServerDiagnosis:
    """Run the rules on facts and build one server's differential diagnosis."""
    kb = kb or default_kb()
    inference = engine_for(kb).run(facts.values())
    ranking = rank(kb, inference)
    values = facts.values()
    causes = [_cause_out(kb, score, facts) for score in ranking.ranked]
    ruled_out = [out.RuledOut(id=s.cause, title=kb.causes[s.cause].title,
                              reasons=[_step(kb, r, values) for r in (s.ruled_out_by or s.opposing)])
                 for s in ranking.ruled_out if s.cause in kb.causes]
    return out.ServerDiagnosis(
        host=host,
        causes=causes,
        ruled_out=ruled_out,
        not_evaluated=ranking.unevaluated,
        needs=open_needs(kb, inference, facts, [c.id for c in causes]),
        inputs=list(inputs),
        facts={name: values[name] for name in sorted(values)},
        unused_facts=sorted(inference.unused_facts),
        timeline=timeline,
        not_evaluated_detail=settle_unevaluated(kb, inference, facts, ranking.unevaluated),
    )


def _collectable(kb: KnowledgeBase, fact: str, known: set[str]) -> list[str]:
    """The unknown facts a person can actually provide behind `fact` (derived facts expand)."""
    spec = kb.facts.get(fact)
    if spec is None or not spec.derived_from:
        return [fact]
    found: list[str] = []
    for source in spec.derived_from:
        if source not in known:
            found += [f for f in _collectable(kb, source, known) if f not in found]
    return found


def open_needs(kb: KnowledgeBase, inference: InferenceResult, facts: Facts, ranked: list[str]) -> list[out.Need]:
    """What to find out next: unknown facts that would complete a rule still in play.

    A rule is in play when none of its known conditions failed and either one of its
    conditions on real evidence already holds or its cause is among the ranked ones.
    """
    known = set(facts)
    needs: dict[str, out.Need] = {}
    weight: dict[str, float] = defaultdict(float)
    for rule in kb.rules.values():
        if rule.id in inference.fired:
            continue
        held = {i for (rid, i) in inference.conditions_held if rid == rule.id}
        failed = [i for i, c in enumerate(rule.when) if c.fact in known and i not in held]
        unknown = [c for c in rule.when if c.fact not in known and c.operator != "absent"]
        evidence_held = [i for i in held if not getattr(kb.facts.get(rule.when[i].fact), "constant", False)]
        if failed or not unknown or not (evidence_held or rule.cause in ranked):
            continue
        for condition in unknown:
            for fact in _collectable(kb, condition.fact, known):
                need = needs.setdefault(fact, _need(kb, fact))
                if rule.cause not in need.causes:
                    need.causes.append(rule.cause)
                if rule.id not in need.rules:
                    need.rules.append(rule.id)
                bonus = 2.0 if rule.cause in ranked[:3] else 1.0
                weight[fact] += abs(rule.certainty) * bonus * (1 + len(evidence_held)) / len(rule.when)
    return sorted(needs.values(), key=lambda n: (-weight[n.fact], n.fact))


def _need(kb: KnowledgeBase, fact: str, causes: list[str] | None = None, rules: list[str] | None = None) -> out.Need:
    question = kb.question_for(fact)
    spec = kb.facts.get(fact)
    return out.Need(
        fact=fact,
        ask=question.text if question else (spec.description if spec else fact),
        how=question.how.strip() if question else (spec.how if spec else ""),
        question=question.id if question else None,
        causes=list(causes or []), rules=list(rules or []),
    )


def settle_unevaluated(kb: KnowledgeBase, inference: InferenceResult, facts: Facts, causes: list[str]) -> list[out.NotEvaluated]:
    """For each cause no rule spoke to: the fewest unknown facts that would let one of its rules fire.

    A rule already contradicted by the evidence is no way to settle it; nor is one that
    needs more HTTPERR lines of some reason when the HTTPERR log was read and has none.
    """
    known = set(facts)
    httperr_read = "httperr.lines" in known
    found = []
    for cause in causes:
        options = []
        for rule in kb.rules_for(cause):
            if rule.certainty <= 0:
                continue
            held = {i for (rid, i) in inference.conditions_held if rid == rule.id}
            if any(c.fact in known and i not in held for i, c in enumerate(rule.when)):
                continue
            missing = [f for c in rule.when if c.fact not in known and c.operator != "absent"
                       for f in _collectable(kb, c.fact, known)]
            if not missing or (httperr_read and any(f.startswith("httperr.") for f in missing)):
                continue
            options.append((len(set(missing)), -rule.certainty, rule.id, list(dict.fromkeys(missing))))
        settle = []
        if options:
            _, _, rule_id, missing = min(options)
            settle = [_need(kb, fact, [cause], [rule_id]) for fact in missing[:3]]
        found.append(out.NotEvaluated(id=cause, title=kb.causes[cause].title, settle=settle))
    return found


def _fact_text(kb: KnowledgeBase, facts: Facts, name: str) -> out.Evidence:
    fact = facts[name]
    spec = kb.facts.get(name)
    label = spec.description if spec else name
    shown = format_value(fact.value, spec.unit if spec else None)
    unit = f" {spec.unit}" if spec and spec.unit and spec.unit != "share" else ""
    text = f"{label}: {shown}{unit}"
    if fact.how:
        text += f" ({fact.how})"
    return out.Evidence(fact=name, value=fact.value, text=text, sources=[str(s) for s in fact.sources])


def _step(kb: KnowledgeBase, rule, values: dict[str, Any]) -> out.ReasoningStep:
    try:
        text = render(rule.because, values, kb.fact_units)
    except KeyError:
        text = rule.title
    return out.ReasoningStep(rule=rule.id, title=rule.title, text=text, certainty=rule.certainty,
                             direction="for" if rule.certainty > 0 else "against", references=rule.references)


def _evidence(kb: KnowledgeBase, rules, facts: Facts) -> list[out.Evidence]:
    names = []
    for rule in rules:
        for condition in rule.when:
            if condition.fact in facts and condition.fact not in names:
                names.append(condition.fact)
    return [_fact_text(kb, facts, name) for name in names]


def _cause_out(kb: KnowledgeBase, score: CauseScore, facts: Facts) -> out.CauseOut:
    cause = kb.causes[score.cause]
    values = facts.values()
    refs = list(dict.fromkeys(cause.references + [r for rule in score.supporting for r in rule.references]))
    return out.CauseOut(
        id=cause.id,
        title=cause.title,
        category=cause.category,
        confidence=score.confidence,
        certainty_factor=round(score.certainty, 3),
        certainty_explained=score.explain(),
        summary=render_first(cause.summary, values, kb.fact_units),
        evidence=_evidence(kb, score.supporting, facts),
        evidence_against=_evidence(kb, score.opposing, facts),
        reasoning=[_step(kb, r, values) for r in sorted(score.supporting + score.opposing, key=lambda r: (-abs(r.certainty), r.id))],
        remediation=[out.RemediationStep(number=i, **step.model_dump()) for i, step in enumerate(cause.remediation, start=1)],
        verify=cause.verify,
        escalation=cause.escalation,
        references=[out.ReferenceOut(id=r, title=kb.references[r].title if r in kb.references else r,
                                     url=kb.references[r].url if r in kb.references else None) for r in refs],
    )


def _input_out(f: ReadFile, host: str | None) -> out.InputFile:
    problems = [out.Problem(line=0, message=f.error)] if f.error else []
    problems += [out.Problem(line=s.line, message=s.reason) for s in f.skips[:PROBLEMS_SHOWN]]
    notes = list(f.result.notes) if f.result else []
    if len(f.skips) > PROBLEMS_SHOWN:
        notes.append(f"{len(f.skips) - PROBLEMS_SHOWN:,} more skipped line(s) not listed")
    records = 0
    if f.result is not None and f.result.folded_records is not None:
        records = f.result.folded_records
    elif f.result is not None:
        stats = f.result.stats
        records = getattr(stats, "records", None) or getattr(stats, "requests", None) or len(f.result.records)
    return out.InputFile(path=f.path, kind=f.kind, host=host, encoding=f.encoding, records=records,
                         skipped=len(f.skips), data_lines=f.result.data_lines if f.result else 0,
                         problems=problems, notes=notes)


def diagnose(paths: list[str], answers: dict[str, Any] | None = None, kb: KnowledgeBase | None = None,
             progress: ProgressCallback | None = None, zone: Zone | None = None,
             workers: int | None = None) -> out.Report:
    """Diagnose every server whose evidence is under `paths`; `progress` hears about each file read.

    `zone` (from `--tz`) is the servers' local time zone; without it each server's
    systeminfo Time Zone is used for its event-log times. `workers` caps the
    processes that parse files (default: all cores for big inputs).
    """
    # The knowledge base loads and the rules compile here while the workers parse.
    files = read_inputs(paths, progress, workers, meanwhile=lambda: prepare(kb))
    return diagnose_files(files, answers, kb, zone)


def prepare(kb: KnowledgeBase | None = None) -> None:
    """Load the knowledge base and compile its rules (what a diagnosis does before it can start)."""
    engine_for(kb or default_kb())


def diagnose_files(files: list[ReadFile], answers: dict[str, Any] | None = None, kb: KnowledgeBase | None = None,
                   zone: Zone | None = None) -> out.Report:
    """`diagnose` for files already read (`read_inputs`)."""
    kb = kb or default_kb()
    groups = group_by_host(files)
    host_of = {f.path: host for host, members in groups.items() for f in members}
    if not groups:
        groups = {UNNAMED_HOST: []}
    servers = []
    for host, members in groups.items():
        facts = derive_facts([f.result for f in members], kb, answers, zone)
        benign = [name for name, phrase in kb.phrases.items() if phrase.benign]
        timeline = build_timeline([(f.path, f.result) for f in members], facts.values(), benign)
        server = assess(facts, kb, host, [f.path for f in members], timeline)
        server.time_zone = "; ".join(facts.time_notes) or None
        servers.append(server)
    return build_report(kb, servers, [_input_out(f, host_of.get(f.path)) for f in files])


def _time_note(servers: list[out.ServerDiagnosis]) -> str:
    note = out.Report.model_fields["time_note"].default
    used = [(s.host, s.time_zone) for s in servers if s.time_zone]
    return " ".join([note] + [f"{host}: {how}." for host, how in used])


def build_report(kb: KnowledgeBase, servers: list[out.ServerDiagnosis], inputs: list[out.InputFile]) -> out.Report:
    tool = out.Tool(version=tool_version(), kb_rules=len(kb.rules), kb_causes=len(kb.causes))
    time_note = _time_note(servers)
    if len(servers) == 1:
        only = servers[0]
        return out.Report(tool=tool, host=None if only.host == UNNAMED_HOST else only.host, causes=only.causes,
                          ruled_out=only.ruled_out, not_evaluated=only.not_evaluated, needs=only.needs,
                          inputs=inputs, servers=servers, time_note=time_note)
    merged: dict[str, out.CauseOut] = {}
    for server in servers:
        for cause in server.causes:
            best = merged.get(cause.id)
            if best is None or cause.confidence > best.confidence:
                merged[cause.id] = cause.model_copy(update={"servers": (best.servers if best else [])})
            merged[cause.id].servers.append(server.host)
    causes = sorted(merged.values(), key=lambda c: (-c.confidence, c.id))
    shared = {c.id: sorted(c.servers) for c in causes if len(c.servers) > 1}
    everywhere_out = set.intersection(*({r.id for r in s.ruled_out} for s in servers))
    ruled_out = [r for r in servers[0].ruled_out if r.id in everywhere_out]
    not_evaluated = sorted(set.intersection(*(set(s.not_evaluated) for s in servers)))
    needs = {n.fact: n for s in servers for n in s.needs}
    return out.Report(tool=tool, causes=causes, ruled_out=ruled_out, not_evaluated=not_evaluated,
                      needs=list(needs.values()), inputs=inputs, servers=servers, shared_causes=shared,
                      time_note=time_note)
