"""The report for a person at a terminal (rich): colour, confidence bars, tables.

Rendered into a string so the engine still never prints; the CLI decides whether
the output is a terminal (otherwise it uses the plain-text form). Untrusted text
only ever reaches rich as `Text` objects after `clean()`, never as markup, so a
`[bold]` or an escape sequence in a logged URL is shown as typed, or not at all.
"""
from __future__ import annotations

import io
import os
import re

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..report import CauseOut, Report, ServerDiagnosis
from .common import (GUESSED_SERVERS_TITLE, REDACTED_NOTE, bar, clean, guessed_servers, key_numbers, next_steps_title,
                     no_cause_text, outcome_text, problem_where, ruled_out_why, server_title, shown_steps, step_finds,
                     strength_text, trigger_text, weight_words)


_LINE = re.compile(r"^(.*?)((?::[0-9]+)?)$", re.S)


def _t(text: object, style: str = "") -> Text:
    return Text(clean(str(text)), style=style)


def _colour(confidence: float) -> str:
    return "red" if confidence >= 0.7 else "yellow" if confidence >= 0.4 else "cyan"


def _confidence(cause: CauseOut) -> Text:
    line = Text(bar(cause.confidence, 12, "\u2588", "\u2591"), style=_colour(cause.confidence))
    line.append(f" {cause.confidence:>4.0%}", style="bold")
    return line


def _ranking(server: ServerDiagnosis) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=False)
    table.add_column("#", justify="right")
    table.add_column("confidence")
    table.add_column("cause", overflow="fold")
    for rank, cause in enumerate(server.causes, start=1):
        name = _t(cause.title, "bold")
        name.append(Text(f"  {clean(cause.id)}", style="dim"))
        table.add_row(str(rank), _confidence(cause), name)
    return table


def _numbers(server: ServerDiagnosis) -> Table | None:
    numbers = key_numbers(server)
    if not numbers:
        return None
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="dim")
    table.add_column(style="bold", overflow="fold")
    for item in numbers:
        table.add_row(_t(item.label), _t(item.value))
    return table


def _grid() -> Table:
    """Two columns (a mark, then the text) so wrapped lines hang under the text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _evidence(items, mark: str, style: str, folder: str) -> Table:
    grid = _grid()
    for item in items:
        body = _t(item.text)
        if item.sources:
            body.append(Text("\nat " + clean(", ".join(_short(s, folder) for s in item.sources[:3])), style="dim"))
        grid.add_row(Text(f"  {mark}", style=style), body)
    return grid


def _cause(rank: int, cause: CauseOut, folder: str) -> Panel:
    parts: list = [_t(cause.summary)]
    if trigger_text(cause):
        parts.append(_t(trigger_text(cause), "bold"))
    if cause.servers:
        parts.append(_t(f"servers: {', '.join(cause.servers)}", "dim"))
    parts.append(Text("Evidence for", style="bold green"))
    parts.append(_evidence(cause.evidence, "+", "green", folder))
    if cause.evidence_against:
        parts.append(Text("Evidence against", style="bold magenta"))
        parts.append(_evidence(cause.evidence_against, "-", "magenta", folder))
    parts.append(Text("Reasoning", style="bold"))
    grid = _grid()
    for step in cause.reasoning:
        line = _t(step.text)
        if strength_text(step):
            line.append(_t(strength_text(step), "dim"))
        grid.add_row(Text(f"  {weight_words(step)}", style="green" if step.direction == "for" else "magenta"), line)
    parts.append(grid)
    title = Text(f" {rank}. ")
    title.append(_confidence(cause))
    title.append(_t(f"  {cause.title} ", "bold"))
    return Panel(Group(*parts), title=title, title_align="left", subtitle=_t(cause.id, "dim"),
                 subtitle_align="right", border_style=_colour(cause.confidence))


def _steps(cause: CauseOut) -> Group:
    steps = _grid()
    for step in cause.remediation:
        body = _t(step.title, "bold")
        body.append(_t(f". {step.do}"))
        if step.command:
            body.append(_t(f"\n> {step.command}", "bold cyan"))
        if step.expect:
            body.append(_t(f"\nGood result: {step.expect}", "green"))
        if step.risk and step.risk != "none":
            body.append(_t(f"\nRisk: {step.risk}", "yellow"))
        steps.add_row(Text(f"  [ ] {step.number:>2}.", style="bold"), body)
    verify = _grid()
    for item in cause.verify:
        verify.add_row(Text("    -"), _t(item))
    return Group(_t(f"What to do: {cause.title}", "bold underline"), steps,
                 Text("  Check the fix worked:", style="bold"), verify,
                 Padding(_t(f"Escalate: {cause.escalation}", "dim"), (0, 0, 0, 2)))


def _server(console: Console, report: Report, server: ServerDiagnosis, top_steps: int, folder: str) -> None:
    title = server_title(report, server)
    if title:
        console.print(Rule(_t(title, "bold")))
    numbers = _numbers(server)
    if numbers is not None:
        console.print(Text("Key numbers", style="bold"))
        console.print(Padding(numbers, (0, 0, 0, 2)))
        console.print()
    if outcome_text(server):
        console.print(_t(outcome_text(server), "bold green" if server.symptom_evidence else "bold yellow"))
        console.print()
    if not server.causes:
        console.print(Text(no_cause_text(server), style="yellow"))
    else:
        console.print(_ranking(server))
        console.print()
    for rank, cause in enumerate(server.causes, start=1):
        console.print(_cause(rank, cause, folder))
    if server.ruled_out:
        console.print(Text("Ruled out", style="bold"))
        for item in server.ruled_out:
            why = ruled_out_why(item)
            console.print(Padding(_t(f"- {item.title} ({item.id}): {why}"), (0, 0, 0, 2)))
    if server.not_evaluated:
        console.print(Text("Not evaluated (no evidence either way)", style="bold"))
        console.print(Padding(_t(", ".join(server.not_evaluated), "dim"), (0, 0, 0, 2)))
    if server.conflicts:
        console.print(Text("Answers that disagree with the evidence", style="bold"))
        for conflict in server.conflicts:
            console.print(Padding(_t(f"- {conflict.text}"), (0, 0, 0, 2)))
    if server.next_steps:
        shown, rest = shown_steps(server)
        console.print(Text(next_steps_title(server), style="bold"))
        for step in shown:
            console.print(Padding(_t(f"{step.number}. {step_finds(step)}"), (0, 0, 0, 2)))
            console.print(Padding(_t(f"Why: {step.why}", "dim"), (0, 0, 0, 5)))
            console.print(Padding(_t(f"How: {step.how}", "dim"), (0, 0, 0, 5)))
        if rest:
            console.print(Padding(_t(rest, "dim"), (0, 0, 0, 2)))
    console.print()
    for cause in server.causes[:top_steps]:
        console.print(_steps(cause))
        console.print()


def _fleet(console: Console, report: Report) -> None:
    table = Table(title="Causes across servers", title_style="bold", header_style="bold")
    table.add_column("cause", overflow="fold")
    for server in report.servers:
        table.add_column(clean(server.host), justify="right")
    for cause in report.causes:
        row = [_t(cause.title)]
        for server in report.servers:
            found = next((c for c in server.causes if c.id == cause.id), None)
            row.append(Text(f"{found.confidence:.0%}", style=_colour(found.confidence)) if found else Text("-", style="dim"))
        table.add_row(*row)
    console.print(table)
    console.print()


def _common_folder(paths: list[str]) -> str:
    """The folder every input lies in ('' if none): the table then shows short paths that need no folding.

    >>> _common_folder(["/srv/case/HTTPERR/a.log", "/srv/case/boot.ini"]), _common_folder(["/srv/case/boot.ini"])
    ('/srv/case', '/srv/case')
    """
    try:
        common = os.path.commonpath(paths)
    except ValueError:  # none, or relative and absolute mixed
        return ""
    return os.path.dirname(common) if common in paths else common


def _short(source: str, folder: str) -> str:
    """A path (with its optional `:line`) relative to the evidence folder named at the top.

    >>> _short("/srv/case/boot.ini:5", "/srv/case"), _short("/srv/case/HTTPERR/a.log", "/srv/case")
    ('boot.ini:5', 'HTTPERR/a.log')
    """
    if not folder:
        return source
    path, line = _LINE.match(source).groups()
    inside = os.path.relpath(path, folder) if os.path.isabs(path) == os.path.isabs(folder) else path
    return (path if inside.startswith(os.pardir) else inside) + line


def _inputs(console: Console, report: Report, folder: str) -> None:
    """One row a file; the path comes last, with all the room left, and its problems under it."""
    if not report.inputs:
        console.print(Text("Evidence read: ", style="bold").append("none."))
        return
    table = Table(title="Evidence read", title_style="bold", header_style="bold", title_justify="left")
    table.add_column("kind")
    table.add_column("records", justify="right")
    table.add_column("skipped", justify="right")
    table.add_column("file, and what could not be read", overflow="fold")
    for item in report.inputs:
        where = _t(_short(item.path, folder))
        for problem in item.problems[:3]:
            where.append(_t(f"\n  {problem_where(problem.line)}: {problem.message}", "dim"))
        table.add_row(_t(item.kind), f"{item.records:,}", Text(f"{item.skipped:,}", style="yellow" if item.skipped else ""),
                      where)
    console.print(table)


def render_terminal(report: Report, top_steps: int = 1, width: int = 100, color_system: str | None = "standard") -> str:
    """The report with ANSI colour for a terminal of `width` columns."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color_system is not None, color_system=color_system,
                      highlight=False, markup=False, emoji=False, legacy_windows=False, soft_wrap=False)
    console.print(Text(f"httperr-doctor {report.tool.version} - root-cause report (schema {report.schema_version}, rule engine: {report.tool.engine})", style="bold"))
    if report.redacted:
        console.print(Text(REDACTED_NOTE, style="yellow"))
    folder = _common_folder([item.path for item in report.inputs])
    if folder:
        # Paths below are relative to it, short enough for a panel or a table column. soft_wrap:
        # a folder wider than the screen is left to the terminal, never cut in two by rich.
        console.print(Text("Evidence in ", style="bold").append(_t(folder)), soft_wrap=True)
    console.print()
    if len(report.servers) > 1:
        _fleet(console, report)
    for server in report.servers:
        _server(console, report, server, top_steps, folder)
    guessed = guessed_servers(report, lambda path: _short(path, folder))
    if guessed:
        console.print(Text(GUESSED_SERVERS_TITLE, style="bold"))
        for sentence in guessed:
            console.print(Padding(_t(sentence), (0, 0, 0, 2)))
    _inputs(console, report, folder)
    console.print(Text(report.time_note, style="dim"))
    return buffer.getvalue()
