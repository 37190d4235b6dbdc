"""The guided diagnosis: evidence first, then only the questions that can change the ranking.

The wizard talks through an injected `Console` (`wizard/console.py`), so a test can
script a whole session. This module runs the conversation: it reads evidence, picks the
server the questions are about, asks the question `engine/questioning.py` chooses next
(`wizard/asking.py` shows it and takes the reply), records the answers in the `Session`,
asks which side to use when evidence contradicts an answer (`wizard/conflicts.py`), and
ends with the report, the checklist (`wizard/checklist.py`) and the saved session.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable

from httperr_doctor.engine.diagnosis import diagnose_files, evidence_by_server, read_inputs
from httperr_doctor.engine.evidence import ReadFile
from httperr_doctor.engine.facts import Facts, with_answers
from httperr_doctor.engine.knowledge import KnowledgeBase, default_kb
from httperr_doctor.engine.plurals import counted
from httperr_doctor.engine.questioning import Questioner
from httperr_doctor.engine.render.text import clean
from httperr_doctor.engine.report import Report
from httperr_doctor.engine.standing import Candidate, Standing
from httperr_doctor.engine.templates import format_value

from .asking import ATTACH, BACK, OTHER, RETYPE, STOP, UNKNOWN, WHY, present, reply_to, typed_value
from .checklist import run_checklist
from .conflicts import settle_conflicts
from .console import Console, clip
from .prompts import Prompt
from .report_file import write_report
from .session import Answer, Session, save_session
from .standing_view import explain_why, show_standing

__all__ = ["Console", "Wizard"]


class Wizard:
    def __init__(self, console: Console, session: Session | None = None, kb: KnowledgeBase | None = None,
                 session_path: str | Path = "httperr-doctor-session.yaml", report_path: str | Path | None = None,
                 questioner: Questioner | None = None, lookahead: bool = False,
                 settled: Callable[[], None] = lambda: None):
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
        # Called once the session's long-lived objects are built (the CLI freezes them out of collections).
        self.settled = settled

    def say(self, text: str = "", indent: str = "", keep: tuple[str, ...] = ()) -> None:
        self.console.say(text, indent, keep)

    def standing(self) -> Standing:
        return self.questioner.standing(with_answers(self.evidence, self.session.known(), self.kb).values())

    def show_standing(self) -> None:
        show_standing(self.console, self.kb, self.standing())

    # -- evidence ------------------------------------------------------------------
    def load(self, paths: list[str]) -> int:
        """Read evidence files or folders; return how many files were usable evidence."""
        usable = 0
        for path in paths:
            if not os.path.exists(path):
                self.console.say_whole(f"Not found: {clean(path)}")
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
                    self.console.say_whole(f"  read {clean(item.path)} ({item.kind})")
            self.files += files
            if path not in self.session.evidence:
                self.session.evidence.append(path)
        self._choose_server()
        self._settle_conflicts()
        self.settled()
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
            self.show_standing()

    # -- questions -----------------------------------------------------------------
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

    def _settle_conflicts(self) -> None:
        """Answers the evidence now contradicts: both sides shown, the person chooses."""
        settle_conflicts(self.console, self.kb, self.evidence, self.session)

    def _answer(self, candidate: Candidate, value) -> None:
        question = candidate.question
        self.session.answers.append(Answer(question.id, question.fact, value))
        self._settle_conflicts()
        self.show_standing()

    def _take_back(self) -> None:
        undone = self.session.undo()
        if undone is not None:
            shown = "don't know" if undone.unknown else format_value(undone.value)
            asked = self.kb.questions.get(undone.question)
            about = clip(asked.text if asked else undone.question, self.console.width - 30)
            self.say(f"Took back: {about} ({shown}).", "  ")
            self.show_standing()

    def ask_one(self, candidate: Candidate) -> str | None:
        """Ask one question until it is answered or set aside; returns STOP to end the interview."""
        question = candidate.question
        present(self.console, candidate, self.asked)
        if self.lookahead:
            self._prefetch(candidate)
        while True:
            kind, value = reply_to(self.console, self.questioner, candidate, bool(self.session.answers))
            if value == RETYPE and kind in ("value", "action"):
                continue
            if kind == "file":
                self.load([value])
                self.show_standing()
                return None
            if kind == "value":
                self._answer(candidate, value)
                return None
            if value == OTHER:
                typed = typed_value(self.console, self.questioner, candidate)
                if typed is not None:
                    self._answer(candidate, typed)
                    return None
            elif value == WHY:
                explain_why(self.console, self.kb, candidate, candidate.now or self.standing())
            elif value == UNKNOWN:
                self.session.answers.append(Answer(question.id, question.fact, unknown=True))
                self.say("Noted as unknown; the diagnosis goes on without it.", "  ")
                return None
            elif value == ATTACH:
                self.attach()
                return None
            elif value == BACK:
                self._take_back()
                return None
            elif value == STOP:
                return STOP

    def interview(self) -> None:
        if self.session.answers:
            self.say(f"Resuming after {counted(len(self.session.answers), 'answer')}.")
        if self.files or self.session.answers:
            self.say()
            self.show_standing()
        self.settled()
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

    def write_report(self, path: Path) -> Path:
        """The report built last, with this session's checklist, in the form `path` asks for."""
        return write_report(self.report, self.session, path)

    def finish(self) -> None:
        report = self.build_report()
        self.say()
        self.console.show_report(report)
        if report.causes:
            run_checklist(self.console, report.causes[0], self.session)
        self.session.finished = True
        if self.report_path is not None:
            self.console.say_whole(f"Report written to {self.write_report(self.report_path)}")
        if self.console.ask(Prompt("confirm", "Save this session (evidence paths and answers) for the ticket?", default=True)):
            path = self.console.ask(Prompt("path", "Save as:", default=str(self.session_path)))
            saved = save_session(self.session, Path(str(path).strip() or self.session_path))
            self.console.say_whole(f"Session saved to {saved}. Replay it with:")
            self.console.say_whole(f"  httperr-doctor wizard --answers {saved}")

    def run(self, gather: bool = True) -> int:
        """The whole conversation. Ctrl-C saves the session and returns 130."""
        try:
            if self.session.evidence and not self.files:
                # Paths named on the command line or kept by a resumed session alike.
                self.say("Reading the evidence:")
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
            self.console.say_whole(f"Stopped. Session saved to {path}. Continue with:")
            self.console.say_whole(f"  httperr-doctor wizard --resume {path}")
            return 130
