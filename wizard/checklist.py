"""The fix for the leading cause, one step at a time, each ticked off or skipped; the
ticks go into the saved session and the report file."""
from __future__ import annotations

from httperr_doctor.engine.render.markdown import md
from httperr_doctor.engine.render.text import clean
from httperr_doctor.engine.report import CauseOut

from .console import Console
from .prompts import Prompt
from .session import Session, Tick

STOP = "stop"


def run_checklist(console: Console, cause: CauseOut, session: Session) -> None:
    """Each remediation step, then each check that the fix worked; stops when asked."""
    items = [(str(s.number), s.title, s) for s in cause.remediation]
    items += [(f"verify {i}", text, None) for i, text in enumerate(cause.verify, start=1)]
    console.say()
    console.say(f"Fix it, one step at a time: {cause.title}")
    for index, (item, title, step) in enumerate(items, start=1):
        console.say()
        if step is not None:
            console.say(f"Step {index} of {len(items)}: {step.title}")
            console.say(step.do, "  ")
            if step.command:
                console.say(f"Run: {step.command}", "  ")
            if step.expect:
                console.say(f"Good result: {step.expect}", "  ")
            if step.risk and step.risk != "none":
                console.say(f"Risk: {step.risk}", "  ")
        else:
            console.say(f"Step {index} of {len(items)}: Check that the fix worked")
            console.say(title, "  ")
        reply = console.ask(Prompt("select", "Ticked off?", [("Done", "done"), ("Skip this one", "skipped"),
                                                             ("Stop the checklist", STOP)]))
        if reply == STOP:
            break
        session.checklist.append(Tick(cause.id, item, title, reply))
    console.say()
    console.say(f"If it is not fixed: {cause.escalation}")


def checklist_text(session: Session, markdown: bool = False) -> str:
    """The ticked-off checklist for the report file. Its titles may come from a session
    file, so each is one line of plain text, or inert Markdown (no links, images, HTML)."""
    if not session.checklist:
        return ""
    lines = ["Checklist (from the wizard session):"]
    for tick in session.checklist:
        mark = "[x]" if tick.status == "done" else "[ ]"
        line = f"{tick.cause} {tick.item}: {tick.title}" + ("" if tick.status == "done" else " (skipped)")
        lines.append(f"- {mark} {md(line)}" if markdown else f"  {mark} " + " ".join(clean(line).split()))
    return "\n".join(lines) + "\n"
