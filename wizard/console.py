"""Where the wizard talks: the injected ask function and output stream, and how text is laid on them.

Everything the wizard says goes through `Console.say` (prose folded to the width) or
`Console.say_whole` (a path or command the reader may copy), and every question through
`Console.ask(Prompt)`, so a test can script a whole session (httpie's injected
Environment); `wizard/prompts.py` supplies the questionary-backed `ask` for a real terminal.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from httperr_doctor.engine.render.terminal import render_terminal
from httperr_doctor.engine.render.text import clean
from httperr_doctor.engine.render.wrapping import fold
from httperr_doctor.engine.report import Report

from .prompts import Ask


@dataclass
class Console:
    """The ask function and the output stream, both injected, and the terminal's width."""

    ask: Ask
    out: TextIO
    width: int = 80
    colour: bool = False

    def say(self, text: str = "", indent: str = "", keep: tuple[str, ...] = ()) -> None:
        """Prose folded to the terminal; a path or number is never split (nor a string in `keep`).
        Escape sequences are dropped: question ids, paths and titles may come from a session
        file someone else wrote."""
        if not text:
            self.out.write("\n")
            return
        for paragraph in clean(text).split("\n"):
            self.out.write("\n".join(fold(paragraph, self.width - 1, indent, keep=keep)) + "\n")
        self.out.flush()

    def say_whole(self, line: str) -> None:
        """A line the reader may copy (a path, a command): never folded, so it pastes back whole."""
        self.out.write(clean(line) + "\n")
        self.out.flush()

    def show_report(self, report: Report) -> None:
        """The report laid out by rich for this width, written as it comes.

        Folding it again would count escape bytes as columns and split boxes, tables
        and escape sequences.
        """
        self.out.write(render_terminal(report, top_steps=0, width=self.width - 1,
                                       color_system="standard" if self.colour else None))
        self.out.flush()


def clip(text: str, room: int) -> str:
    """One line cut to `room` characters, with an ellipsis when cut."""
    return text if len(text) <= room else text[: room - 3].rstrip() + "..."
