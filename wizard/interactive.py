"""The guided diagnosis: evidence first, then only the questions that can change the ranking.

Everything the wizard says goes to `console.out` and every question goes through
`console.ask(Prompt)`, so a test can script a whole session (httpie's injected
Environment); `wizard/prompts.py` supplies the questionary-backed `ask` for a real
terminal. Which question comes next is decided by `engine/questioning.py`.
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from httperr_doctor.engine.diagnosis import diagnose, diagnose_files, evidence_by_server, read_inputs
from httperr_doctor.engine.evidence import ReadFile
from httperr_doctor.engine.facts import Facts, with_answers
from httperr_doctor.engine.rule_engines import FactTypeError, check_type
from httperr_doctor.engine.knowledge import KnowledgeBase, default_kb
from httperr_doctor.engine.questioning import Questioner
from httperr_doctor.engine.standing import Candidate, Standing
from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.json_report import render_json
from httperr_doctor.engine.render.markdown import md, render_markdown
from httperr_doctor.engine.render.terminal import render_terminal
from httperr_doctor.engine.render.text import clean, render_text
from httperr_doctor.engine.render.wrapping import fold
from httperr_doctor.engine.report import CauseOut, Report
from httperr_doctor.engine.templates import format_value

from .prompts import Ask, Prompt
from .session import Answer, Session, Tick, save_session

UNKNOWN, ATTACH, WHY, BACK, STOP, OTHER = "unknown", "attach", "why", "back", "stop", "other"
RETYPE = "#retype"
ACTION_LABELS = {
    OTHER: "Something else (type it as written)",
    UNKNOWN: "I don't know / can't check",
    ATTACH: "Attach an evidence file instead",
    WHY: "Why are you asking?",
    BACK: "Back: undo the last answer",
    STOP: "Stop asking and show the report",
}
LEADING_SHOWN = 3
_NUMBER = re.compile(r"^\s*([-+]?[0-9][0-9,]*(?:\.[0-9]+)?|[-+]?\.[0-9]+)\s*([A-Za-z%]*)\s*$")


@dataclass
class Console:
    """Where the wizard talks: the ask function and the output stream, both injected."""

    ask: Ask
    out: TextIO
    width: int = 80
    colour: bool = False


def parse_number(text: str, unit: str | None = None) -> float | int | None:
    """A number as a person types it: '109', '1,268', '19.5 MB' (the question's unit may follow).

    >>> parse_number("1,268"), parse_number("19.5 MB", "MB"), parse_number("12 GB", "MB"), parse_number("lots")
    (1268, 19.5, None, None)
    """
    match = _NUMBER.match(text or "")
    if not match or (match.group(2) and (not unit or match.group(2).lower() != unit.lower())):
        return None
    value = float(match.group(1).replace(",", ""))
    return int(value) if value.is_integer() else value


class Wizard:
    def __init__(self, console: Console, session: Session | None = None, kb: KnowledgeBase | None = None,
                 session_path: str | Path = "httperr-doctor-session.yaml", report_path: str | Path | None = None,
                 questioner: Questioner | None = None, lookahead: bool = False):
        self.console = console
        self.session = session or Session()
        self.kb = kb or default_kb()
        self.questioner = questioner or Questioner(self.kb)
        self.session_path = Path(session_path)
        self.report_path = Path(report_path) if report_path else None
        self.files: list[ReadFile] = []
        self.loaded: set[str] = set()
        self.host: str | None = None
        self.evidence = Facts()
        self.report: Report | None = None
        self.asked = 0
        # Work out the next step in the background while a person reads a question (real terminals).
        self.lookahead = lookahead

    # -- output --------------------------------------------------------------------
    def say(self, text: str = "", indent: str = "", keep: tuple[str, ...] = ()) -> None:
        """Prose folded to the terminal; a path or number is never split (nor a string in `keep`).
        Escape sequences are dropped: question ids, paths and titles may come from a session
        file someone else wrote."""
        if not text:
            self.console.out.write("\n")
            return
        for paragraph in clean(text).split("\n"):
            self.console.out.write("\n".join(fold(paragraph, self.console.width - 1, indent, keep=keep)) + "\n")
        self.console.out.flush()

    def say_whole(self, line: str) -> None:
        """A line the reader may copy (a path, a command): never folded, so it pastes back whole."""
        self.console.out.write(clean(line) + "\n")
        self.console.out.flush()

    def show_report(self, report: Report) -> None:
        """The report laid out by rich for this width, written as it comes.

        Folding it again would count escape bytes as columns and split boxes, tables
        and escape sequences.
        """
        self.console.out.write(render_terminal(report, top_steps=0, width=self.console.width - 1,
                                               color_system="standard" if self.console.colour else None))
        self.console.out.flush()

    @staticmethod
    def _clip(text: str, room: int) -> str:
        return text if len(text) <= room else text[: room - 3].rstrip() + "..."

    def _title(self, cause: str, room: int) -> str:
        return self._clip(self.kb.causes[cause].title if cause in self.kb.causes else cause, room)

    def show_standing(self, standing: Standing) -> None:
        ranked = [(c, p) for c, p in standing.ranked if p > 0][:LEADING_SHOWN]
        if not ranked:
            self.say("Leading causes: none yet.")
            return
        self.say("Leading causes now:")
        for cause, confidence in ranked:
            self.say(f"  {confidence:4.0%}  {self._title(cause, self.console.width - 10)}")

    def standing(self) -> Standing:
        return self.questioner.standing(with_answers(self.evidence, self.session.known(), self.kb).values())

    # -- evidence ------------------------------------------------------------------
    def load(self, paths: list[str]) -> int:
        """Read evidence files or folders; return how many files were usable evidence."""
        usable = 0
        for path in paths:
            if not os.path.exists(path):
                self.say_whole(f"Not found: {clean(path)}")
                continue
            if path in self.loaded:
                continue
            files = read_inputs([path])
            self.loaded.add(path)
            for item in files:
                if item.result is None:
                    why = item.error or "not a kind of evidence httperr-doctor knows"
                    self.say(f"  skipped {clean(item.path)}: {clean(why)}", keep=(clean(item.path),))
                else:
                    usable += 1
                    self.say_whole(f"  read {clean(item.path)} ({item.kind})")
            self.files += files
            if path not in self.session.evidence:
                self.session.evidence.append(path)
        self._choose_server()
        return usable

    def _choose_server(self) -> None:
        """The questions are about one server: the one whose leading cause is strongest."""
        servers = evidence_by_server(self.files, self.kb)

        def lead(host: str) -> float:
            ranked = self.questioner.standing(with_answers(servers[host][1], {}, self.kb).values()).ranked
            return ranked[0][1] if ranked else 0.0

        self.host = min(servers, key=lambda host: (-lead(host), host))
        self.evidence = servers[self.host][1]
        if len(servers) > 1:
            self.say(f"The evidence covers {len(servers)} servers ({', '.join(clean(h) for h in servers)}); "
                     f"the questions are about {clean(self.host)}, the report covers them all.")

    def _existing_or_empty(self, text: str) -> bool | str:
        text = text.strip()
        return True if not text or os.path.exists(os.path.expanduser(text)) else "No such file or folder"

    def gather_evidence(self) -> None:
        self.say("Evidence first (optional): HTTPERR logs, IIS logs, poolmon output, boot.ini, "
                 "systeminfo, or a folder of them. One path at a time (Tab completes); "
                 "press Enter on an empty line to go on to the questions.")
        while True:
            path = str(self.console.ask(Prompt("path", "Evidence file or folder:", validate=self._existing_or_empty)) or "").strip()
            if not path:
                return
            self.load([os.path.expanduser(path)])

    def attach(self) -> None:
        path = str(self.console.ask(Prompt("path", "File or folder to attach:", validate=self._existing_or_empty)) or "").strip()
        if path and not self.load([os.path.expanduser(path)]):
            self.say("Nothing in it could be read as evidence; the question stays open.")
        elif path:
            self.show_standing(self.standing())

    # -- questions -----------------------------------------------------------------
    def why(self, candidate: Candidate) -> None:
        now = candidate.now or self.standing()
        separates = candidate.separates
        if not separates:
            causes = ", ".join(self._title(c, 50) for c in candidate.helps) or "the causes still open"
            self.say(f"No single answer moves the ranking yet, but this fact completes checks for: {causes}.", "  ")
            return
        self.say("The answer tells these causes apart:", "  ")
        for cause in separates[:3]:
            state = "ruled out" if cause in now.ruled_out else f"now {now.confidences.get(cause, 0.0):.0%}"
            self.say(f"- {self._title(cause, self.console.width - 20)} ({state})", "  ")
        quiet = []
        for outcome in candidate.outcomes:
            changes = []
            for cause in set(outcome.standing.confidences) | set(now.confidences) | outcome.standing.ruled_out:
                before, after = now.confidences.get(cause, 0.0), outcome.standing.confidences.get(cause, 0.0)
                if cause in outcome.standing.ruled_out and cause not in now.ruled_out:
                    changes.append((before + 0.01, f"{cause} ruled out"))
                elif abs(after - before) > 0.005:
                    changes.append((abs(after - before), f"{cause} {before:.0%} -> {after:.0%}"))
            label = outcome.option.label.split(" (")[0]
            if changes:
                shown = [text for _, text in sorted(changes, key=lambda c: -c[0])[:2]]
                self.say(f"If {label}: {'; '.join(shown)}", "  ")
            else:
                quiet.append(label)
        if quiet:
            self.say(f"If {', '.join(quiet)}: no change", "  ")

    def _present(self, candidate: Candidate) -> None:
        question = candidate.question
        self.say()
        self.say(f"Question {self.asked}: {question.text.strip()}")
        if question.how:
            self.say(f"How to check: {' '.join(question.how.split())}", "  ")

    def _menu(self, candidate: Candidate, answers: list[tuple[str, Any]]) -> Any:
        other = [OTHER] if len(self.questioner.vocabulary(candidate.question)) > len(candidate.question.choices) else []
        actions = other + [UNKNOWN, ATTACH, WHY] + ([BACK] if self.session.answers else []) + [STOP]
        choices = [(label, ("value", value)) for label, value in answers]
        choices += [(ACTION_LABELS[a], ("action", a)) for a in actions]
        return self.console.ask(Prompt("select", "Your answer:", choices, instruction="(arrow keys, Enter)"))

    def _number(self, candidate: Candidate) -> Any:
        question = candidate.question
        unit = question.unit or ""
        self.say(f"Type the number{' in ' + unit if unit else ''}, or the path of a file to attach "
                 "(Tab completes). Enter on an empty line: don't know, why, back, stop.", "  ")

        def valid(text: str) -> bool | str:
            if not text.strip() or parse_number(text, unit) is not None or os.path.exists(os.path.expanduser(text.strip())):
                return True
            return f"Type a number{' in ' + unit if unit else ''}, an existing file path, or nothing"

        text = str(self.console.ask(Prompt("path", "Answer:", validate=valid)) or "").strip()
        if not text:
            return self._menu(candidate, [("Type the number after all", RETYPE)])
        number = parse_number(text, unit)
        if number is not None:
            return ("value", number)
        if os.path.exists(os.path.expanduser(text)):
            return ("file", os.path.expanduser(text))
        self.say(valid(text), "  ")
        return ("action", RETYPE)

    def _prefetch(self, candidate: Candidate | None) -> None:
        """While the person reads a prompt, work out what comes next (compiles the small rule engines).

        With a question: the next step after each of its answers. Without one (the evidence
        prompt): the first question as if no evidence came, which compiles most engines.
        """
        args = (self.evidence, dict(self.session.known()), set(self.session.skipped()))

        def work() -> None:
            try:
                if candidate is None:
                    self.questioner.candidates(*args)
                else:
                    self.questioner.prefetch(*args, candidate)
            except Exception:  # noqa: BLE001 - only a speed-up; the real step recomputes anything missing
                pass

        threading.Thread(target=work, name="httperr-doctor-lookahead", daemon=True).start()

    def _other(self, candidate: Candidate) -> str | None:
        """A value typed in full (Tab completes); empty goes back to the list."""
        known = {v.lower(): v for v in self.questioner.vocabulary(candidate.question)}

        def valid(text: str) -> bool | str:
            return True if not text.strip() or text.strip().lower() in known else "Not a value httperr-doctor knows (Tab shows them)"

        text = str(self.console.ask(Prompt("text", "Type it (Tab completes, Enter on empty goes back):",
                                           [(v, v) for v in known.values()], validate=valid)) or "").strip()
        return known.get(text.lower())

    def ask_one(self, candidate: Candidate) -> str | None:
        """Ask one question until it is answered or set aside; returns STOP to end the interview."""
        question = candidate.question
        self._present(candidate)
        if self.lookahead:
            self._prefetch(candidate)
        while True:
            if question.kind == "number":
                reply = self._number(candidate)
            else:
                answers = [("Yes", True), ("No", False)] if question.kind == "yesno" else \
                    [(c.label, c.value) for c in question.choices]
                reply = self._menu(candidate, answers)
            kind, value = reply
            if value == RETYPE and kind in ("value", "action"):
                continue
            if kind == "file":
                self.load([value])
                self.show_standing(self.standing())
                return None
            if kind == "value":
                self.session.answers.append(Answer(question.id, question.fact, value))
                self.show_standing(self.standing())
                return None
            if value == OTHER:
                typed = self._other(candidate)
                if typed is not None:
                    self.session.answers.append(Answer(question.id, question.fact, typed))
                    self.show_standing(self.standing())
                    return None
            elif value == WHY:
                self.why(candidate)
            elif value == UNKNOWN:
                self.session.answers.append(Answer(question.id, question.fact, unknown=True))
                self.say("Noted as unknown; the diagnosis goes on without it.", "  ")
                return None
            elif value == ATTACH:
                self.attach()
                return None
            elif value == BACK:
                undone = self.session.undo()
                if undone is not None:
                    shown = "don't know" if undone.unknown else format_value(undone.value)
                    asked = self.kb.questions.get(undone.question)
                    about = self._clip(asked.text if asked else undone.question, self.console.width - 30)
                    self.say(f"Took back: {about} ({shown}).", "  ")
                    self.show_standing(self.standing())
                return None
            elif value == STOP:
                return STOP

    def interview(self) -> None:
        if self.session.answers:
            self.say(f"Resuming after {len(self.session.answers)} answer(s).")
        if self.files or self.session.answers:
            self.say()
            self.show_standing(self.standing())
        while True:
            candidate = self.questioner.next_question(self.evidence, self.session.known(), self.session.skipped())
            if candidate is None:
                self.say()
                self.say("No other question could change the ranking.")
                return
            self.asked = len(self.session.answers) + 1
            if self.ask_one(candidate) == STOP:
                return

    # -- the end ---------------------------------------------------------------------
    def build_report(self) -> Report:
        if self.session.evidence and not self.files:
            self.files = read_inputs(list(self.session.evidence))
        self.report = diagnose_files(self.files, self.session.known(), self.kb)
        return self.report

    def checklist(self, cause: CauseOut) -> None:
        items = [(str(s.number), s.title, s) for s in cause.remediation]
        items += [(f"verify {i}", text, None) for i, text in enumerate(cause.verify, start=1)]
        self.say()
        self.say(f"Fix it, one step at a time: {cause.title}")
        for index, (item, title, step) in enumerate(items, start=1):
            self.say()
            if step is not None:
                self.say(f"Step {index} of {len(items)}: {step.title}")
                self.say(step.do, "  ")
                if step.command:
                    self.say(f"Run: {step.command}", "  ")
                if step.expect:
                    self.say(f"Good result: {step.expect}", "  ")
                if step.risk and step.risk != "none":
                    self.say(f"Risk: {step.risk}", "  ")
            else:
                self.say(f"Step {index} of {len(items)}: check the fix worked")
                self.say(title, "  ")
            reply = self.console.ask(Prompt("select", "Ticked off?", [("Done", "done"), ("Skip this one", "skipped"),
                                                                     ("Stop the checklist", STOP)]))
            if reply == STOP:
                break
            self.session.checklist.append(Tick(cause.id, item, title, reply))
        self.say()
        self.say(f"If it is not fixed: {cause.escalation}")

    def checklist_text(self, markdown: bool = False) -> str:
        """The ticked-off checklist for the report file. Its titles may come from a session
        file, so each is one line of plain text, or inert Markdown (no links, images, HTML)."""
        if not self.session.checklist:
            return ""
        lines = ["Checklist (from the wizard session):"]
        for tick in self.session.checklist:
            mark = "[x]" if tick.status == "done" else "[ ]"
            line = f"{tick.cause} {tick.item}: {tick.title}" + ("" if tick.status == "done" else " (skipped)")
            lines.append(f"- {mark} {md(line)}" if markdown else f"  {mark} " + " ".join(clean(line).split()))
        return "\n".join(lines) + "\n"

    def write_report(self, path: Path) -> Path:
        """The report in the form the file name asks for (.md, .html, .json; text otherwise)."""
        suffix = path.suffix.lower()
        if suffix == ".md":
            text = render_markdown(self.report, top_steps=1) + "\n" + self.checklist_text(markdown=True)
        elif suffix in (".html", ".htm"):
            text = render_html(self.report)
        elif suffix == ".json":
            text = render_json(self.report)
        else:
            text = render_text(self.report, top_steps=1) + "\n" + self.checklist_text()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def finish(self) -> None:
        report = self.build_report()
        self.say()
        self.show_report(report)
        if report.causes:
            self.checklist(report.causes[0])
        self.session.finished = True
        if self.report_path is not None:
            self.say_whole(f"Report written to {self.write_report(self.report_path)}")
        if self.console.ask(Prompt("confirm", "Save this session (evidence paths and answers) for the ticket?", default=True)):
            path = self.console.ask(Prompt("path", "Save as:", default=str(self.session_path)))
            saved = save_session(self.session, Path(str(path).strip() or self.session_path))
            self.say_whole(f"Session saved to {saved}. Replay it with:")
            self.say_whole(f"  httperr-doctor wizard --answers {saved}")

    def run(self, gather: bool = True) -> int:
        """The whole conversation. Ctrl-C saves the session and returns 130."""
        try:
            if self.session.evidence and not self.files:
                self.say("Evidence from the session:")
                self.load(list(self.session.evidence))
            if gather:
                if self.lookahead:
                    self._prefetch(None)
                self.gather_evidence()
            self.interview()
            self.finish()
            return 0
        except KeyboardInterrupt:
            path = save_session(self.session, self.session_path)
            self.say()
            self.say_whole(f"Stopped. Session saved to {path}. Continue with:")
            self.say_whole(f"  httperr-doctor wizard --resume {path}")
            return 130


def replay(session: Session, kb: KnowledgeBase | None = None) -> Report:
    """A saved session's report, with no terminal: `wizard --answers FILE`."""
    return diagnose(list(session.evidence), session.known(), kb or default_kb())


def check_session(session: Session, kb: KnowledgeBase | None = None) -> list[str]:
    """Problems that would stop a replay: answers for facts the KB does not know, or of the wrong type."""
    kb = kb or default_kb()
    problems = []
    for answer in session.answers:
        spec = kb.facts.get(answer.fact)
        if spec is None:
            problems.append(f"answer to {answer.question!r}: unknown fact {answer.fact!r}")
            continue
        try:
            if not answer.unknown:
                check_type(answer.fact, answer.value, spec.type)
        except FactTypeError as error:
            problems.append(f"answer to {answer.question!r}: {error}")
    return problems
