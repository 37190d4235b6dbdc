"""The report as a whole: each server's diagnosis, the files read, and for a farm the
causes merged across servers (the best confidence each, and where it was found)."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution, version

from . import report as out
from .evidence import ReadFile
from .evidence.base import skipped_lines
from .hosts import UNNAMED_HOST
from .knowledge import KnowledgeBase
from .plurals import counted
from .rule_engines import engine_name

PROBLEMS_SHOWN = 10


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


def input_out(f: ReadFile, host: str | None, host_reason: str | None = None) -> out.InputFile:
    problems = [out.Problem(line=0, message=f.error)] if f.error else []
    problems += [out.Problem(line=s.line, message=s.reason) for s in f.skips[:PROBLEMS_SHOWN]]
    notes = list(f.result.notes) if f.result else []
    if skipped_lines(f.skips) > PROBLEMS_SHOWN:
        notes.append(f"{counted(skipped_lines(f.skips) - PROBLEMS_SHOWN, 'more skipped line')} not listed")
    records = 0
    if f.result is not None and f.result.folded_records is not None:
        records = f.result.folded_records
    elif f.result is not None:
        stats = f.result.stats
        records = getattr(stats, "records", None) or getattr(stats, "requests", None) or len(f.result.records)
    return out.InputFile(path=f.path, kind=f.kind, host=host, host_reason=host_reason, encoding=f.encoding, records=records,
                         skipped=skipped_lines(f.skips), data_lines=f.result.data_lines if f.result else 0,
                         problems=problems, notes=notes)


def _time_note(servers: list[out.ServerDiagnosis]) -> str:
    note = out.Report.model_fields["time_note"].default
    used = [(s.host, s.time_zone) for s in servers if s.time_zone]
    return " ".join([note] + [f"{host}: {how}." for host, how in used])


def build_report(kb: KnowledgeBase, servers: list[out.ServerDiagnosis], inputs: list[out.InputFile]) -> out.Report:
    tool = out.Tool(version=tool_version(), kb_rules=len(kb.rules), kb_causes=len(kb.causes), engine=engine_name())
    time_note = _time_note(servers)
    quiet = bool(servers) and all(s.no_problem_found for s in servers)
    symptoms = all(s.symptom_evidence for s in servers)
    if len(servers) == 1:
        only = servers[0]
        return out.Report(tool=tool, host=None if only.host == UNNAMED_HOST else only.host, causes=only.causes,
                          ruled_out=only.ruled_out, not_evaluated=only.not_evaluated, needs=only.needs,
                          next_steps=only.next_steps,
                          inputs=inputs, servers=servers, time_note=time_note, no_problem_found=quiet,
                          symptom_evidence=symptoms)
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
                      time_note=time_note, no_problem_found=quiet, symptom_evidence=symptoms,
                      next_steps=fleet_steps(servers))


def fleet_steps(servers: list[out.ServerDiagnosis]) -> list[out.NextStep]:
    """Every server's next steps, one per command (the best-separating server's reason), best first."""
    best: dict[str, out.NextStep] = {}
    for server in servers:
        for step in server.next_steps:
            if step.how not in best or step.separation > best[step.how].separation:
                best[step.how] = step
    ranked = sorted(best.values(), key=lambda s: (-s.separation, s.number, s.how))
    return [step.model_copy(update={"number": i}) for i, step in enumerate(ranked, start=1)]
