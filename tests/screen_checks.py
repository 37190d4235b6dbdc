"""What a person sees when a report reaches a terminal: no escape debris, lines that fit, boxes closed."""
from __future__ import annotations

import re

SGR = re.compile(r"\x1b\[[0-9;]*m")
# What is left of an SGR sequence cut in two: "2;31m", "[0m", "[1;2", a lone ESC.
FRAGMENT = re.compile(r"\x1b|\[[0-9;]*m|(?<![\w.])\d+(?:;\d+)+m?(?!\w)")
# Opening, middle and closing rows of rich's panels and tables, with the character that must end them.
EDGES = {"╭": "╮", "│": "│", "╰": "╯", "┏": "┓", "┃": "┃", "┡": "┩", "└": "┘"}


def visible(text: str) -> str:
    return SGR.sub("", text)


def screen_problems(text: str, width: int, whole: tuple[str, ...] = ()) -> list[str]:
    """Every way `text` (terminal output, colour or not) would look broken at `width` columns.

    A line holding one of the `whole` strings (a folder) may be wider: it is left to the
    terminal to wrap rather than cut in two.
    """
    problems = []
    lines = visible(text).splitlines()
    for number, line in enumerate(lines, start=1):
        shown = line.rstrip()
        if len(shown) > width and not any(item in shown for item in whole):
            problems.append(f"line {number} is {len(shown)} columns wide: {shown!r}")
        if FRAGMENT.search(shown):
            problems.append(f"line {number} has a piece of an escape sequence: {shown!r}")
        start = shown.lstrip()[:1]
        if start in EDGES and not shown.endswith(EDGES[start]):
            problems.append(f"line {number} opens with {start!r} but does not end with {EDGES[start]!r}: {shown!r}")
    # A box's rows all have the box's width: a row folded in two would be shorter.
    box: list[str] = []
    for line in lines + [""]:
        shown = line.rstrip()
        if shown.lstrip()[:1] in EDGES:
            box.append(shown)
        elif box:
            if len({len(row) for row in box}) > 1:
                problems.append(f"a box has rows of widths {sorted({len(row) for row in box})}: {box[0]!r}")
            box = []
    return problems
