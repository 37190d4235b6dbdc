"""The report as one self-contained HTML page: to mail, attach to a ticket, open offline.

No network fetches at all (inline CSS and SVG, system fonts, no script), and a
Content-Security-Policy that forbids scripts and fetches as a second line of
defence. Everything shown goes through `esc()`, because URLs in HTTPERR lines are
written by whoever sent the request; the only links are the knowledge base's
http(s) references. Printing gives a clean copy, the remediation checklist on its
own page with boxes to tick.
"""
from __future__ import annotations

import re
from html import escape

from ..report import CauseOut, Evidence, InputFile, Report, ServerDiagnosis, Timeline
from .common import (NO_FILES_READ, REDACTED_NOTE, clean, command_spans, counted, esc, key_numbers, next_steps_title, no_cause_text,
                     outcome_text, problem_where, server_title, shown_steps, step_finds, strength_text, trigger_text,
                     weight_words)
from .svg import incident_svg, overview_bucket, per_text, timeline_svg, zoom_needed


CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
CHECKLIST_MIN_CONFIDENCE = 0.5
# Where a path may wrap: after each separator, so the separator ends the line.
PATH_PARTS = re.compile(r"(?<=[/\\!])")

STYLE = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--accent:#0b5cad;--high:#c62828;--mid:#e08a00;--low:#2b7bb9;--good:#1a7f37;--bad:#8250df}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff;overflow-wrap:anywhere}
main{max-width:1040px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:17px;margin:26px 0 10px}h4{margin:0;font-size:16px}
.meta{color:var(--muted);margin:0 0 8px}
code,.mono{font:13px/1.4 ui-monospace,"Cascadia Mono",Consolas,"Liberation Mono",monospace;overflow-wrap:anywhere}
code{background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:0 4px}
code.path>span{display:inline-block;overflow-wrap:break-word}
section.inputs{overflow-x:auto}.inputs td,.inputs th{overflow-wrap:break-word}.inputs code.path>span{white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:8px 0 16px}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}td.num,th.num{text-align:right;white-space:nowrap}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:8px;margin:8px 0 16px}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 10px;background:var(--soft)}
.card .label{color:var(--muted);font-size:12.5px}.card .value{font-size:17px;font-weight:650;overflow-wrap:break-word}
.rank{list-style:none;padding:0;margin:0 0 8px}
.rank li{display:grid;grid-template-columns:2.2em 170px 3.4em 1fr;gap:10px;align-items:center;padding:5px 0;border-bottom:1px solid var(--line)}
@media (max-width:600px){.rank li{grid-template-columns:2.2em 1fr 3.4em}.rank li>span:last-child{grid-column:2/4}}
.bar{height:12px;border-radius:6px;background:#e6eaef;overflow:hidden}.bar span{display:block;height:100%;border-radius:6px}
.high .bar span{background:var(--high)}.mid .bar span{background:var(--mid)}.low .bar span{background:var(--low)}
.pct{font-weight:700;text-align:right}.cid{color:var(--muted);font-size:12.5px}
.cause{border:1px solid var(--line);border-left:6px solid var(--low);border-radius:8px;padding:12px 16px;margin:14px 0;break-inside:avoid-page}
.cause.high{border-left-color:var(--high)}.cause.mid{border-left-color:var(--mid)}
.cause header{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}.cause header .bar{width:160px}
.cause .summary{margin:8px 0}
.ev{margin:4px 0 8px;padding-left:0;list-style:none}.ev li{margin:4px 0;padding-left:22px;position:relative}
.ev li::before{position:absolute;left:2px;font-weight:700}
.ev.for li::before{content:"+";color:var(--good)}.ev.against li::before{content:"\\2212";color:var(--bad)}
.src{display:block;color:var(--muted);font-size:12.5px}
.reasoning td:first-child{white-space:nowrap;font-weight:600}.cf-for{color:var(--good)}.cf-against{color:var(--bad)}
.chips span{display:inline-block;border:1px solid var(--line);border-radius:12px;padding:1px 9px;margin:2px;background:var(--soft);font-size:13px}
.timeline{width:100%;height:auto;border:1px solid var(--line);border-radius:8px;background:#fff}
.timeline text{font:11px sans-serif;fill:var(--muted)}.timeline .panel-title{font:600 12.5px sans-serif;fill:var(--ink)}
.timeline .legend{font:11.5px sans-serif;fill:var(--ink)}.timeline .tick.day{font-weight:600}
.timeline .incident-band{fill:#fdecea}h4.incident{margin:18px 0 6px;font-size:14.5px}
.timeline .benign{fill:var(--muted)}.timeline .grid{stroke:#eef1f4}.timeline .axis,.timeline .tickline{stroke:#8c959f}
.timeline .marker text,.timeline .threshold text{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.timeline .marker line{stroke:var(--high);stroke-width:1.2;stroke-dasharray:5 4}.timeline .marker text{fill:var(--high);font-weight:600}
.timeline .marker.cross line{stroke:var(--bad)}.timeline .marker.cross text{fill:var(--bad)}
.timeline .threshold line{stroke:var(--high);stroke-dasharray:2 3}.timeline .threshold text{fill:var(--high)}
.note{color:var(--muted);font-size:13px}
.checklist ol{padding-left:0;list-style:none;counter-reset:step}
.checklist li{border:1px solid var(--line);border-radius:8px;padding:10px 12px 10px 46px;margin:8px 0;position:relative;break-inside:avoid}
.checklist li::before{content:"";position:absolute;left:14px;top:13px;width:18px;height:18px;border:2px solid var(--ink);border-radius:3px}
.checklist .cmd{display:block;margin:6px 0;padding:6px 8px;background:#0d1117;color:#e6edf3;border-radius:6px;white-space:pre-wrap}
.checklist .expect{color:var(--good)}.checklist .risk{color:#9a6700}
.skipped{color:#9a6700;font-weight:600}
.inputs td:first-child{width:42%}.inputs td:last-child{width:30%}
.redacted{border:1px solid #d4a72c;background:#fff8c5;border-radius:6px;padding:6px 10px}
.matrix td{vertical-align:middle}.matrix td.hit{font-weight:700;text-align:center;min-width:5.5em}.matrix td.miss{color:var(--muted);text-align:center}
details summary{cursor:pointer;color:var(--accent)}
@media print{
 @page{margin:14mm 12mm}
 body{font-size:11pt;-webkit-print-color-adjust:exact;print-color-adjust:exact}
 main{max-width:none;padding:0}
 h2{break-after:avoid}h3{break-after:avoid}
 .server{break-before:page}.server:first-of-type{break-before:auto}
 .checklist{break-before:page}
 .timeline,.card,tr,.ev li,.checklist li{break-inside:avoid}
 .cause{break-inside:auto}.cause header{break-after:avoid}
 details>summary{display:none}.facts,.refs{display:none}
 a{color:inherit;text-decoration:none}
}
"""


def _with_code(text: str) -> str:
    """Prose escaped, the commands in it as <code>."""
    return "".join(f"<code>{esc(part)}</code>" if is_command else esc(part) for part, is_command in command_spans(text))


def _level(confidence: float) -> str:
    return "high" if confidence >= 0.7 else "mid" if confidence >= 0.4 else "low"


def path_code(path: str) -> str:
    """A file path as code that wraps only after a folder separator (/, \\ or a zip's !).

    Each piece is an inline block, so a line never ends inside a file or folder name at
    its hyphens ("connections-/refused") unless that one name is wider than the page.

    >>> path_code("examples/connections-refused/boot.ini:5")
    '<code class="path"><span>examples/</span><span>connections-refused/</span><span>boot.ini:5</span></code>'
    """
    return '<code class="path">' + "".join(f"<span>{esc(part)}</span>" for part in PATH_PARTS.split(path) if part) + "</code>"


def _bar(confidence: float) -> str:
    return f'<div class="bar"><span style="width:{confidence * 100:.0f}%"></span></div>'


def _safe_url(url: str | None) -> str | None:
    """Only plain web links from the knowledge base are ever made clickable."""
    if url and url.lower().startswith(("https://", "http://")) and not any(c in url for c in "\"'<> \t\n"):
        return url
    return None


def _evidence(items: list[Evidence], css: str) -> str:
    rows = []
    for item in items:
        where = f'<span class="src">{", ".join(path_code(s) for s in item.sources[:4])}</span>' if item.sources else ""
        rows.append(f"<li>{esc(item.text)}{where}</li>")
    return f'<ul class="ev {css}">{"".join(rows)}</ul>'


def _cause(rank: int, cause: CauseOut) -> str:
    parts = [f'<article class="cause {_level(cause.confidence)}" id="cause-{rank}-{esc(cause.id)}"><header>'
             f"<h4>{rank}. {esc(cause.title)}</h4>{_bar(cause.confidence)}"
             f'<span class="pct">{cause.confidence:.0%}</span><span class="cid">{esc(cause.id)}</span></header>']
    if cause.servers:
        parts.append(f'<p class="note">Found on: {esc(", ".join(cause.servers))}</p>')
    parts.append(f'<p class="summary">{esc(cause.summary)}</p>')
    if trigger_text(cause):
        parts.append(f'<p class="summary"><strong>{esc(trigger_text(cause))}</strong></p>')
    parts.append("<strong>Evidence for</strong>" + _evidence(cause.evidence, "for"))
    if cause.evidence_against:
        parts.append("<strong>Evidence against</strong>" + _evidence(cause.evidence_against, "against"))
    rows = "".join(f'<tr><td class="cf-{s.direction}">{esc(weight_words(s))}</td>'
                   f"<td>{esc(s.text + strength_text(s))}</td></tr>" for s in cause.reasoning)
    parts.append(f'<details open><summary>Reasoning ({counted(len(cause.reasoning), "reason")})</summary>'
                 f'<table class="reasoning">{rows}</table></details>')
    if cause.references:
        refs = []
        for ref in cause.references:
            url = _safe_url(ref.url)
            label = f"{esc(ref.id)}: {esc(ref.title)}"
            refs.append(f'<li><a href="{escape(url, quote=True)}" rel="noreferrer noopener">{label}</a></li>' if url else f"<li>{label}</li>")
        parts.append(f'<details class="refs"><summary>References ({len(refs)})</summary><ul>{"".join(refs)}</ul></details>')
    parts.append("</article>")
    return "".join(parts)


def _checklist(cause: CauseOut) -> str:
    steps = []
    for step in cause.remediation:
        item = f"<strong>{step.number}. {esc(step.title)}.</strong> {esc(step.do)}"
        if step.command:
            item += f'<code class="cmd">{esc(step.command)}</code>'
        if step.expect:
            item += f'<div class="expect">Good result: {esc(step.expect)}</div>'
        if step.risk and step.risk != "none":
            item += f'<div class="risk">Risk: {esc(step.risk)}</div>'
        steps.append(f"<li>{item}</li>")
    verify = "".join(f"<li>{esc(v)}</li>" for v in cause.verify)
    return (f"<h3>{esc(cause.title)} <span class=\"cid\">{esc(cause.id)}, {cause.confidence:.0%}</span></h3>"
            f"<ol>{''.join(steps)}</ol><p><strong>Check the fix worked</strong></p><ol>{verify}</ol>"
            f'<p class="note">Escalate: {esc(cause.escalation)}</p>')


def _numbers(server: ServerDiagnosis) -> str:
    cards = "".join(f'<div class="card"><div class="label">{esc(n.label)}</div><div class="value">{esc(n.value)}</div></div>'
                    for n in key_numbers(server))
    return f'<div class="cards">{cards}</div>' if cards else ""


def _timeline(timeline: Timeline, host: str) -> str:
    """The whole span, then each incident a minute at a time when the whole span cannot show minutes."""
    svg = timeline_svg(timeline, f"Timeline of {host}")
    if not svg:
        return ""
    parts = [f"<h3>Timeline (UTC)</h3>{svg}<p class=\"note\">Bars and lines share one time axis: read down "
             "from the moment a reason phrase starts to the counters below it.</p>"]
    if not zoom_needed(timeline):
        return "".join(parts)
    shown, found = len(timeline.incidents), timeline.incidents_found
    more = (f" The {shown} largest of {found} bursts are shown." if found > shown else "")
    parts.append(f'<p class="note">The whole span is drawn in buckets of {per_text(overview_bucket(timeline))}; each burst of '
                 f"problem reason phrases follows, one minute at a time, the burst itself shaded.{more}</p>")
    for number, incident in enumerate(timeline.incidents, start=1):
        same_day = incident.start[:10] == incident.end[:10]
        until = incident.end[11:16] if same_day else incident.end
        parts.append(f'<h4 class="incident" id="incident-{number}">Incident {number} of {shown}: '
                     f'<time class="start">{esc(incident.start)}</time> to <time class="end">{esc(until)}</time> UTC, '
                     f"{esc(', '.join(incident.reasons))} ({counted(incident.entries, 'entry')})</h4>"
                     + incident_svg(incident, f"Incident {number} on {host}"))
    return "".join(parts)


def _server(report: Report, index: int, server: ServerDiagnosis, top_steps: int) -> str:
    title = server_title(report, server) or "Diagnosis"
    parts = [f'<section class="server" id="server-{index}"><h2>{esc(title)}</h2>', _numbers(server)]
    if server.timeline is not None:
        parts.append(_timeline(server.timeline, clean(server.host)))
    parts.append("<h3>Ranked causes</h3>")
    if outcome_text(server):
        parts.append(f"<p><strong>{esc(outcome_text(server))}</strong></p>")
    if server.causes:
        rows = "".join(f'<li class="{_level(c.confidence)}"><span>{rank}.</span>{_bar(c.confidence)}'
                       f'<span class="pct">{c.confidence:.0%}</span><span><a href="#cause-{rank}-{esc(c.id)}">{esc(c.title)}</a> '
                       f'<span class="cid">{esc(c.id)}</span></span></li>' for rank, c in enumerate(server.causes, start=1))
        parts.append(f'<ol class="rank">{rows}</ol>')
        parts += [_cause(rank, cause) for rank, cause in enumerate(server.causes, start=1)]
    else:
        parts.append(f"<p>{esc(no_cause_text(server))}</p>")
    parts.append("<h3>Ruled out</h3>")
    if server.ruled_out:
        parts.append("<ul>" + "".join(f"<li><strong>{esc(r.title)}</strong> <span class=\"cid\">{esc(r.id)}</span>: "
                                      f"{esc('; '.join(x.text for x in r.reasons) or 'evidence against it')}</li>"
                                      for r in server.ruled_out) + "</ul>")
    else:
        parts.append('<p class="note">Nothing was ruled out by the evidence.</p>')
    parts.append("<h3>Not evaluated</h3>")
    if server.not_evaluated_detail:
        rows = []
        for item in server.not_evaluated_detail:
            settle = "; ".join(n.ask for n in item.settle[:3]) or "nothing in this evidence points at it"
            rows.append(f"<tr><td>{esc(item.title)} <span class=\"cid\">{esc(item.id)}</span></td><td>{esc(settle)}</td></tr>")
        parts.append('<p class="note">No rule could speak for or against these with the evidence given.</p>'
                     f"<table><thead><tr><th>Cause</th><th>Would be settled by</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    elif server.not_evaluated:
        parts.append('<p class="note">No rule could speak for or against these with the evidence given:</p><p class="chips">'
                     + "".join(f"<span>{esc(c)}</span>" for c in server.not_evaluated) + "</p>")
    else:
        parts.append('<p class="note">Every cause was evaluated.</p>')
    if server.conflicts:
        parts.append("<h3>Answers that disagree with the evidence</h3><ul>"
                     + "".join(f"<li>{esc(c.text)}</li>" for c in server.conflicts) + "</ul>")
    if server.next_steps:
        shown, rest = shown_steps(server)
        items = "".join(f"<li>{esc(step_finds(s))}<div>Why: {esc(s.why)}</div><div class=\"note\">How: {_with_code(s.how)}</div></li>"
                        for s in shown)
        more = f'<p class="note">{esc(rest)}</p>' if rest else ""
        parts.append(f"<h3>{esc(next_steps_title(server))}</h3><ol>{items}</ol>{more}")
    chosen = [c for c in server.causes if c.confidence >= CHECKLIST_MIN_CONFIDENCE][:max(top_steps, 1)] or server.causes[:1]
    if chosen:
        parts.append('<section class="checklist"><h2>Remediation checklist' + (f" for {esc(server.host)}" if title != "Diagnosis" else "")
                     + "</h2><p class=\"note\">Tick each box as you go; print this page to take it to the server.</p>"
                     + "".join(_checklist(c) for c in chosen) + "</section>")
    facts = "".join(f"<tr><td><code>{esc(name)}</code></td><td>{esc(value)}</td></tr>" for name, value in server.facts.items())
    parts.append(f"<details class=\"facts\"><summary>All {counted(len(server.facts), 'fact')}</summary><table>{facts}</table></details></section>")
    return "".join(parts)


def _fleet(report: Report) -> str:
    head = "".join(f'<th class="num"><a href="#server-{i}">{esc(s.host)}</a></th>' for i, s in enumerate(report.servers))
    rows = []
    for cause in report.causes:
        cells = []
        for server in report.servers:
            found = next((c for c in server.causes if c.id == cause.id), None)
            if found is None:
                cells.append('<td class="miss">&ndash;</td>')
            else:
                # one hue, stronger with confidence: a heat map, not a traffic light
                shade = f"rgba(198,40,40,{0.12 + 0.88 * found.confidence:.2f})"
                ink = "#fff" if found.confidence >= 0.45 else "#1f2328"
                cells.append(f'<td class="hit" style="background:{shade};color:{ink}">{found.confidence:.0%}</td>')
        rows.append(f"<tr><td>{esc(cause.title)} <span class=\"cid\">{esc(cause.id)}</span></td>{''.join(cells)}</tr>")
    shared = "".join(f"<li><code>{esc(cid)}</code> on {esc(', '.join(hosts))}</li>" for cid, hosts in report.shared_causes.items())
    return (f'<section class="fleet"><h2>Across {len(report.servers)} servers</h2>'
            f'<table class="matrix"><thead><tr><th>Cause</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            + (f"<p><strong>Found on more than one server:</strong></p><ul>{shared}</ul>" if shared else
               '<p class="note">No cause was found on more than one server.</p>') + "</section>")


def _input_row(item: InputFile) -> str:
    problems = "".join(f"<div>{esc(problem_where(p.line))}: {esc(p.message)}</div>" for p in item.problems)
    notes = "".join(f'<div class="note">{esc(n)}</div>' for n in item.notes)
    skipped = f'<span class="skipped">{item.skipped:,}</span>' if item.skipped else "0"
    why = f'<div class="note">Server: {esc(item.host or "")}, because {esc(item.host_reason)}.</div>' if item.host_reason else ""
    return (f"<tr><td>{path_code(item.path)}</td><td>{esc(item.kind)}</td><td>{esc(item.host or '')}</td>"
            f'<td class="num">{item.records:,}</td><td class="num">{skipped}</td><td>{problems}{notes}{why}</td></tr>')


def render_html(report: Report, top_steps: int = 3) -> str:
    """One HTML page; `top_steps` caps how many causes (at 50% or more) get a checklist."""
    hosts = ", ".join(s.host for s in report.servers if s.host)
    title = f"httperr-doctor report: {hosts}" if hosts else "httperr-doctor report"
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="meta">httperr-doctor {esc(report.tool.version)} &middot; report schema {esc(report.schema_version)} '
            f"&middot; {report.tool.kb_rules} rules on {report.tool.kb_causes} causes &middot; rule engine: {esc(report.tool.engine)} "
            f"&middot; {esc(report.time_note)}</p>"]
    if report.redacted:
        body.append(f'<p class="redacted">{esc(REDACTED_NOTE)}</p>')
    if len(report.servers) > 1:
        body.append(_fleet(report))
    body += [_server(report, i, s, top_steps) for i, s in enumerate(report.servers)]
    body.append('<section class="inputs"><h2>Evidence read</h2>' + (
        '<table><thead><tr><th>File</th><th>Kind</th><th>Server</th>'
        '<th class="num">Records</th><th class="num">Skipped lines</th><th>Problems and notes</th></tr></thead><tbody>'
        + "".join(_input_row(i) for i in report.inputs) + "</tbody></table>" if report.inputs
        else f"<p>{esc(NO_FILES_READ)}</p>") + "</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="referrer" content="no-referrer"><title>{esc(title)}</title><style>{STYLE}</style></head>'
            f"<body><main>{''.join(body)}</main></body></html>\n")
