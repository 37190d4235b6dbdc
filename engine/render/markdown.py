"""The report as Markdown, for tickets and wikis: the same content as the terminal form.

Text from evidence is untrusted, and a ticket system renders Markdown (often with
raw HTML allowed), so every piece of report text goes through `md()` (backslash
escapes for Markdown's markup characters, so `<script>` or `[x](javascript:...)`
stays literal text) or `code()` (a code span fenced longer than any backtick run
inside). No terminal codes are ever written.
"""
from __future__ import annotations

import re

from ..report import CauseOut, Report, ServerDiagnosis
from .common import (NO_FILES_READ, GUESSED_SERVERS_TITLE, REDACTED_NOTE, bar, clean, command_spans, guessed_servers, key_numbers,
                     next_steps_title, no_cause_text, outcome_text, problem_where, ruled_out_why, server_title, shown_steps,
                     step_finds, strength_text, trigger_text, weight_words)


# Characters that can start markup anywhere on a line. Brackets are escaped, so no
# link or image can form and parentheses may stay; `_` only where it can open or
# close emphasis (GFM ignores it inside words such as Connections_Refused); a backslash
# only before the punctuation it would escape (`HKLM\SYSTEM` stays as written); `>`
# only where it would open a quote, at the start (with `<` escaped, no tag can close).
_MARKUP = re.compile(r"([`*\[\]<|~&])|\\(?=[!-/:-@\[-`{-~]|$)|^>|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_LINE_START = re.compile(r"^(\s*)([-+=#]|\d+[.)])")
# GFM makes links of bare `scheme://` and `www.` text (its autolink extension): an
# escaped `:` or `.` there keeps a URL from a log plain text.
_AUTOLINK = re.compile(r"(?<=[A-Za-z])(:)(?=//)|(?<![\w.-])(www)(\.)", re.IGNORECASE)


def md(text: object, line_start: bool = False) -> str:
    r"""Untrusted text as inert Markdown on one line, markup characters escaped.

    `line_start` also escapes what would make a list, heading or quote when the
    text begins a line.

    >>> md("<script>alert(1)</script> [x](javascript:alert(1)) *a* Connection_Dropped _b_")
    '\\<script>alert(1)\\</script> \\[x\\](javascript:alert(1)) \\*a\\* Connection_Dropped \\_b\\_'
    >>> md("> Kernel Memory > Nonpaged, HKLM\\SYSTEM\\HTTP, \\\\server\\share, a\\*b")
    '\\> Kernel Memory > Nonpaged, HKLM\\SYSTEM\\HTTP, \\\\\\server\\share, a\\\\\\*b'
    >>> md("- not a list\nsecond line", line_start=True), md("1.0")
    ('\\- not a list second line', '1.0')
    >>> md("GET http://intranet/x and www.example.com")
    'GET http\\://intranet/x and www\\.example.com'
    """
    flat = " ".join(clean(str(text)).split())
    escaped = _MARKUP.sub(lambda m: "\\" + m.group(0), flat)
    escaped = _AUTOLINK.sub(lambda m: "\\:" if m.group(1) else m.group(2) + "\\.", escaped)
    return _LINE_START.sub(r"\1\\\2", escaped) if line_start else escaped


def code(text: object, in_table: bool = False) -> str:
    """Untrusted text as a code span (literal everywhere, even on GitHub).

    In a table cell a pipe would still end the cell, so GFM wants it escaped there.

    >>> code("a`b"), code("`x`"), code("a|b", in_table=True)
    ('``a`b``', '`` `x` ``', '`a\\\\|b`')
    """
    flat = " ".join(clean(str(text)).split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    if in_table:
        flat = flat.replace("|", "\\|")
    return f"{fence}{pad}{flat}{pad}{fence}"


def _with_code(text: str) -> str:
    """Prose escaped, the commands in it as code spans (the spaces around them kept)."""
    def prose(part: str) -> str:
        return (" " if part[:1].isspace() else "") + md(part) + (" " if part[-1:].isspace() else "")
    return "".join(code(part) if is_command else prose(part) for part, is_command in command_spans(text)).strip()


def _cell(text: object) -> str:
    return md(text) or " "


def _cause(lines: list[str], rank: int, cause: CauseOut) -> None:
    lines += [f"#### {rank}. {md(cause.title)} ({cause.confidence:.0%})", "",
              f"`{bar(cause.confidence, 20)}` **{cause.confidence:.0%}** confidence, id {code(cause.id)}", ""]
    if cause.servers:
        lines += [f"Found on: {md(', '.join(cause.servers))}", ""]
    lines += [md(cause.summary, True), ""]
    if trigger_text(cause):
        lines += [md(trigger_text(cause), True), ""]
    lines += ["**Evidence for**", ""]
    for item in cause.evidence:
        where = f" ({', '.join(code(s) for s in item.sources[:3])})" if item.sources else ""
        lines.append(f"- {md(item.text)}{where}")
    if cause.evidence_against:
        lines += ["", "**Evidence against**", ""]
        lines += [f"- {md(item.text)}" for item in cause.evidence_against]
    lines += ["", "**Reasoning**", ""]
    lines += [f"- **{weight_words(step)}:** {_with_code(step.text + strength_text(step))}" for step in cause.reasoning]
    lines.append("")


def _steps(lines: list[str], cause: CauseOut) -> None:
    lines += [f"### What to do: {md(cause.title)}", ""]
    for step in cause.remediation:
        lines.append(f"{step.number}. [ ] **{md(step.title)}.** {_with_code(step.do)}")
        if step.command:
            lines.append(f"   - Run: {code(step.command)}")
        if step.expect:
            lines.append(f"   - Good result: {_with_code(step.expect)}")
        if step.risk and step.risk != "none":
            lines.append(f"   - Risk: {_with_code(step.risk)}")
    lines += ["", "Check the fix worked:", ""]
    lines += [f"- [ ] {md(item)}" for item in cause.verify]
    lines += ["", f"Escalate: {md(cause.escalation)}", ""]


def _server(lines: list[str], report: Report, server: ServerDiagnosis, top_steps: int) -> None:
    title = server_title(report, server)
    if title:
        lines += [f"## {md(title)}", ""]
    numbers = key_numbers(server)
    if numbers:
        lines += ["| Key number | Value |", "|---|---|"]
        lines += [f"| {_cell(n.label)} | {_cell(n.value)} |" for n in numbers]
        lines.append("")
    lines += ["### Ranked causes", ""]
    if outcome_text(server):
        lines += [f"**{md(outcome_text(server))}**", ""]
    if not server.causes:
        lines += [no_cause_text(server), ""]
    else:
        lines += ["| # | Confidence | Cause | Id |", "|---:|---|---|---|"]
        lines += [f"| {rank} | `{bar(c.confidence)}` {c.confidence:.0%} | {_cell(c.title)} | {code(c.id, True)} |"
                  for rank, c in enumerate(server.causes, start=1)]
        lines.append("")
    for rank, cause in enumerate(server.causes, start=1):
        _cause(lines, rank, cause)
    if server.ruled_out:
        lines += ["### Ruled out", ""]
        for item in server.ruled_out:
            why = ruled_out_why(item)
            lines.append(f"- **{md(item.title)}** ({code(item.id)}): {md(why)}")
        lines.append("")
    if server.not_evaluated_detail:
        lines += ["### Not evaluated", "", "No rule could speak to these with the evidence given.", "",
                  "| Cause | Would be settled by |", "|---|---|"]
        lines += [f"| {_cell(item.title)} {code(item.id, True)} | "
                  f"{_cell('; '.join(n.ask for n in item.settle[:3]) or 'nothing in this evidence points at it')} |"
                  for item in server.not_evaluated_detail]
        lines.append("")
    elif server.not_evaluated:
        lines += ["### Not evaluated", "", "No rule could speak to these with the evidence given: "
                  + ", ".join(code(c) for c in server.not_evaluated) + ".", ""]
    if server.conflicts:
        lines += ["### Answers that disagree with the evidence", ""]
        lines += [f"- {md(conflict.text)}" for conflict in server.conflicts] + [""]
    if server.next_steps:
        shown, rest = shown_steps(server)
        lines += [f"### {md(next_steps_title(server))}", ""]
        for step in shown:
            lines += [f"{step.number}. {md(step_finds(step))}", f"   - Why: {md(step.why)}", f"   - How: {_with_code(step.how)}"]
        lines += ["", md(rest, True)] if rest else []
        lines.append("")
    for cause in server.causes[:top_steps]:
        _steps(lines, cause)


def _fleet(lines: list[str], report: Report) -> None:
    lines += ["## Causes across servers", "", "| Cause | " + " | ".join(_cell(s.host) for s in report.servers) + " |",
              "|---|" + "---:|" * len(report.servers)]
    for cause in report.causes:
        cells = []
        for server in report.servers:
            found = next((c for c in server.causes if c.id == cause.id), None)
            cells.append(f"{found.confidence:.0%}" if found else "-")
        lines.append(f"| {_cell(cause.title)} | " + " | ".join(cells) + " |")
    lines.append("")


def render_markdown(report: Report, top_steps: int = 1) -> str:
    lines = ["# httperr-doctor root-cause report", "",
             f"httperr-doctor {md(report.tool.version)}, report schema {md(report.schema_version)}, "
             f"{report.tool.kb_rules} rules on {report.tool.kb_causes} causes, rule engine: {md(report.tool.engine)}.", ""]
    if report.redacted:
        lines += [f"> {md(REDACTED_NOTE)}", ""]
    if len(report.servers) > 1:
        _fleet(lines, report)
    for server in report.servers:
        _server(lines, report, server, top_steps)
    guessed = guessed_servers(report)
    if guessed:
        lines += [f"## {GUESSED_SERVERS_TITLE}", ""] + [f"- {md(sentence)}" for sentence in guessed] + [""]
    lines += ["## Evidence read", ""] + (["| File | Kind | Records | Skipped | Problems |", "|---|---|---:|---:|---|"]
                                          if report.inputs else [NO_FILES_READ])
    for item in report.inputs:
        problems = "; ".join(f"{problem_where(p.line)}: {p.message}" for p in item.problems[:3])
        lines.append(f"| {code(item.path, True)} | {_cell(item.kind)} | {item.records:,} | {item.skipped:,} | {_cell(problems)} |")
    lines += ["", md(report.time_note, True)]
    return "\n".join(lines) + "\n"
