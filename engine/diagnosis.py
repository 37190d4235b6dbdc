"""The whole path: evidence files -> facts -> rules -> ranking -> report.

Everything a front end needs is here (`diagnose` for paths, `diagnose_files` for files
already read); nothing here prompts or prints.
"""
from __future__ import annotations

from typing import Any

from . import report as out
from .assemble import build_report, input_out
from .assessment import assess, engine_for
from .evidence import ReadFile
from .facts import Facts, evidence_facts, with_answers
from .hosts import UNNAMED_HOST, Placement, place_files
# Progress is part of this module's API (front ends import it from here); it lives in
# ingest.py, which reports it.
from .ingest import Progress, ProgressCallback, read_files, read_inputs  # noqa: F401
from .knowledge import KnowledgeBase, default_kb
from .timezones import Zone
from .timeline import build_timeline


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


def evidence_by_server(files: list[ReadFile], kb: KnowledgeBase, zone: Zone | None = None) -> dict[str, tuple[list[ReadFile], Facts]]:
    """Each server's files and the facts read from them, before any answers (a run
    with no usable file is one unnamed server with no evidence)."""
    return _servers(place_files(files), kb, zone)


def _servers(placement: Placement, kb: KnowledgeBase, zone: Zone | None) -> dict[str, tuple[list[ReadFile], Facts]]:
    groups = placement.groups or {UNNAMED_HOST: []}
    return {host: (members, evidence_facts([f.result for f in members], kb, zone)) for host, members in groups.items()}


def diagnose_files(files: list[ReadFile], answers: dict[str, Any] | None = None, kb: KnowledgeBase | None = None,
                   zone: Zone | None = None) -> out.Report:
    """`diagnose` for files already read (`read_inputs`)."""
    kb = kb or default_kb()
    benign = [name for name, phrase in kb.phrases.items() if phrase.benign]
    host_of: dict[str, str] = {}
    servers = []
    placement = place_files(files)
    for host, (members, evidence) in _servers(placement, kb, zone).items():
        host_of.update((f.path, host) for f in members)
        facts = with_answers(evidence, answers, kb)
        timeline = build_timeline([(f.path, f.result) for f in members], facts.values(), benign)
        server = assess(facts, kb, host, [f.path for f in members], timeline)
        server.time_zone = "; ".join(facts.time_notes) or None
        servers.append(server)
    return build_report(kb, servers, [input_out(f, host_of.get(f.path), placement.reasons.get(f.path)) for f in files])
