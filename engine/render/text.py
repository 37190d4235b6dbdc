"""Plain-text report for tickets, files, pipes and colourless terminals: ranked causes, evidence, steps.

Everything that came from evidence is untrusted (URLs in HTTPERR lines are written
by whoever sent the request), so control and escape characters are removed before
anything reaches a terminal.
"""
from __future__ import annotations

from ..report import CauseOut, Report, ServerDiagnosis
from .common import (GUESSED_SERVERS_TITLE, REDACTED_NOTE, bar, clean, counted, guessed_servers, key_numbers,
                     next_steps_title, no_cause_text, outcome_text, reason_line, ruled_out_why, shown_steps, step_finds,
                     trigger_text)
from .wrapping import fold


class _Lines(list):
    """The report's lines; prose is folded to `width` (None: never, for a file or a pipe)."""

    def __init__(self, width: int | None):
        super().__init__()
        self.width = width

    def wrap(self, text: str, indent: str, keep=(), hang: str = "  ") -> None:
        self.extend(fold(clean(text), self.width, indent, hang, keep=[clean(k) for k in keep]))


def _cause(lines: _Lines, rank: int, cause: CauseOut) -> None:
    lines.wrap(f"{rank}. [{bar(cause.confidence)}] {cause.confidence:.0%}  {cause.title}  ({cause.id})", "", hang="   ")
    if cause.servers:
        lines.wrap(f"servers: {', '.join(cause.servers)}", "   ")
    lines.wrap(cause.summary, "   ")
    if trigger_text(cause):
        lines.wrap(trigger_text(cause), "   ")
    lines.append("   Evidence:")
    for item in cause.evidence:
        where = f"  [{', '.join(item.sources[:3])}]" if item.sources else ""
        lines.wrap(f"- {item.text}{where}", "     ", keep=item.sources[:3])
    if cause.evidence_against:
        lines.append("   Evidence against:")
        for item in cause.evidence_against:
            lines.wrap(f"- {item.text}", "     ")
    lines.append("   Reasoning:")
    for step in cause.reasoning:
        lines.wrap(f"- {reason_line(step)}", "     ")


def _steps(lines: _Lines, cause: CauseOut) -> None:
    lines.wrap(f"What to do for: {cause.title}", "")
    for step in cause.remediation:
        lines.wrap(f"{step.number}. {step.title}. {step.do}", "  ")
        if step.command:
            lines.append(f"       > {clean(step.command)}")
        if step.expect:
            lines.wrap(f"Good result: {step.expect}", "       ")
        if step.risk and step.risk != "none":
            lines.wrap(f"Risk: {step.risk}", "       ")
    lines.append("  Check the fix worked:")
    for item in cause.verify:
        lines.wrap(f"- {item}", "    ")
    lines.wrap(f"Escalate: {cause.escalation}", "  ")


def _server(lines: _Lines, server: ServerDiagnosis, top_steps: int) -> None:
    numbers = key_numbers(server)
    if numbers:
        lines.append("Key numbers:")
        width = max(len(n.label) for n in numbers)
        lines.extend(f"  {n.label:<{width}}  {n.value}" for n in numbers)
        lines.append("")
    if outcome_text(server):
        lines.wrap(outcome_text(server), "")
        lines.append("")
    if not server.causes:
        lines.append(no_cause_text(server))
    for rank, cause in enumerate(server.causes, start=1):
        _cause(lines, rank, cause)
        lines.append("")
    if server.ruled_out:
        lines.append("Ruled out:")
        for item in server.ruled_out:
            why = ruled_out_why(item)
            lines.wrap(f"- {item.title} ({item.id}): {why}", "  ")
        lines.append("")
    if server.not_evaluated_detail:
        lines.wrap("Not evaluated (no rule could speak to them with this evidence):", "")
        for item in server.not_evaluated_detail:
            if item.settle:
                lines.wrap(f"- {item.id}: would be settled by: {'; '.join(n.ask for n in item.settle)}", "  ")
        silent = [item.id for item in server.not_evaluated_detail if not item.settle]
        if silent:
            lines.wrap(f"- nothing in this evidence points at: {', '.join(silent)}", "  ")
        lines.append("")
    if server.conflicts:
        lines.append("Answers that disagree with the evidence:")
        for conflict in server.conflicts:
            lines.wrap(f"- {conflict.text}", "  ")
        lines.append("")
    if server.next_steps:
        shown, rest = shown_steps(server)
        lines.append(f"{next_steps_title(server)}:")
        for step in shown:
            lines.wrap(f"{step.number}. {step_finds(step)}", "  ", hang="   ")
            lines.wrap(f"Why: {step.why}", "     ")
            lines.wrap(f"How: {step.how}", "     ")
        if rest:
            lines.wrap(rest, "  ")
        lines.append("")
    for cause in server.causes[:top_steps]:
        _steps(lines, cause)
        lines.append("")


def render_text(report: Report, top_steps: int = 1, width: int | None = None) -> str:
    """The report as plain text, its prose folded to `width` columns (a terminal's) or, with None
    (a file, a pipe), not at all: a path or a number is never split either way."""
    lines = _Lines(width)
    lines.wrap(f"httperr-doctor {report.tool.version} - root-cause report (schema {report.schema_version}, "
               f"rule engine: {report.tool.engine})", "")
    if report.redacted:
        lines.wrap(REDACTED_NOTE, "")
    lines.append("")
    if len(report.servers) > 1:
        lines.append(f"{len(report.servers)} servers. Causes found on more than one server:")
        for cause_id, hosts in report.shared_causes.items():
            lines.wrap(f"{cause_id}: {', '.join(hosts)}", "  ")
        if not report.shared_causes:
            lines.append("  none")
        lines.append("")
    for server in report.servers:
        if len(report.servers) > 1 or server.host != "(unnamed server)":
            lines.append(f"=== Server {clean(server.host)} ===")
        _server(lines, server, top_steps)
    guessed = guessed_servers(report)
    if guessed:
        lines.append(GUESSED_SERVERS_TITLE + ":")
        for sentence in guessed:
            lines.wrap(f"- {sentence}", "  ", keep=[item.path for item in report.inputs])
        lines.append("")
    lines.append("Evidence read:" if report.inputs else "Evidence read: none.")
    for item in report.inputs:
        status = counted(item.records, "record") + (f", {item.skipped:,} skipped" if item.skipped else "")
        lines.wrap(f"- {item.path}: {item.kind}, {status}", "  ", keep=[item.path])
        for problem in item.problems[:3]:
            where = f"line {problem.line}: " if problem.line else ""
            lines.wrap(f"{where}{problem.message}", "      ")
        for note in item.notes[:3]:
            lines.wrap(f"note: {note}", "      ")
    lines.append("")
    lines.wrap(report.time_note, "")
    # Every line is cleaned once more, so no field (titles, host names) can slip past.
    return "\n".join(clean(line) for line in lines) + "\n"
