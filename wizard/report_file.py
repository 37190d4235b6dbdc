"""The wizard's report file, in the form its name asks for, with the ticked-off checklist."""
from __future__ import annotations

from pathlib import Path

from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.json_report import render_json
from httperr_doctor.engine.render.markdown import render_markdown
from httperr_doctor.engine.render.text import render_text
from httperr_doctor.engine.report import Report

from .checklist import checklist_text
from .session import Session


def write_report(report: Report, session: Session, path: Path) -> Path:
    """.md, .html and .json choose their form; any other name gets text."""
    suffix = path.suffix.lower()
    if suffix == ".md":
        text = render_markdown(report, top_steps=1) + "\n" + checklist_text(session, markdown=True)
    elif suffix in (".html", ".htm"):
        text = render_html(report)
    elif suffix == ".json":
        text = render_json(report)
    else:
        text = render_text(report, top_steps=1) + "\n" + checklist_text(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
