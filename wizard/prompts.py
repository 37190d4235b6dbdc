"""The one place that talks to questionary: turns a `Prompt` into a terminal question.

The wizard only ever calls an `ask(prompt)` function it is given, so tests can script
the answers; this module builds the real one. Ctrl-C is not swallowed (questionary's
`ask()` would turn it into None): `unsafe_ask()` lets KeyboardInterrupt reach the
wizard, which saves the session.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

Validator = Callable[[str], "bool | str"]


@dataclass
class Prompt:
    kind: str  # select | text | path | confirm
    message: str
    choices: list[tuple[str, Any]] = field(default_factory=list)
    default: Any = None
    instruction: str | None = None
    validate: Validator | None = None


Ask = Callable[[Prompt], Any]


def _style():
    import questionary

    if os.environ.get("NO_COLOR"):
        # No colour at all; the pointer and the highlighted line still show the choice.
        return questionary.Style([("qmark", "noinherit"), ("pointer", "noinherit bold"),
                                  ("highlighted", "noinherit reverse"), ("selected", "noinherit"),
                                  ("answer", "noinherit bold"), ("instruction", "noinherit")])
    return None


def path_question(message: str, default: str = "", style=None, validate=None, **io):
    """A path prompt with Tab completion that one Enter answers.

    questionary.path's own Enter only closes an open completion menu, and completing a
    folder opens the menu of what is in it, so a Tab-completed folder needed Enter twice.
    Here Enter answers with what the line shows (a completion picked from the menu is in it).
    """
    import questionary
    from prompt_toolkit.shortcuts import CompleteStyle
    from questionary.prompts.path import GreatUXPathCompleter

    kwargs = {"validate": validate} if validate else {}
    return questionary.text(message, default=default, style=style, completer=GreatUXPathCompleter(expanduser=True),
                            complete_style=CompleteStyle.MULTI_COLUMN, **kwargs, **io)


def questionary_ask(input=None, output=None) -> Ask:  # noqa: A002 - prompt_toolkit's names
    """An `ask` on questionary; `input`/`output` let tests use prompt_toolkit's pipe input."""
    import questionary

    io = {k: v for k, v in (("input", input), ("output", output)) if v is not None}

    def ask(prompt: Prompt) -> Any:
        style = _style()
        if prompt.kind == "select":
            choices = [questionary.Choice(title=label, value=index) for index, (label, _) in enumerate(prompt.choices)]
            default = next((c for c, (_, v) in zip(choices, prompt.choices) if v == prompt.default), None)
            index = questionary.select(prompt.message, choices=choices, default=default, style=style,
                                       instruction=prompt.instruction, **io).unsafe_ask()
            return prompt.choices[index][1]
        if prompt.kind == "confirm":
            return questionary.confirm(prompt.message, default=bool(prompt.default), style=style, **io).unsafe_ask()
        if prompt.kind == "text" and prompt.choices:
            # Free text with completion from the known values (e.g. every HTTPERR reason).
            kwargs = {"validate": prompt.validate} if prompt.validate else {}
            return questionary.autocomplete(prompt.message, choices=[label for label, _ in prompt.choices],
                                            style=style, **kwargs, **io).unsafe_ask()
        default = str(prompt.default or "")
        if prompt.kind == "path":
            answer = path_question(prompt.message, default, style, prompt.validate, **io).unsafe_ask()
            # A completed folder ends with a separator; the answer is the folder (the root stays itself).
            return answer[:-1] if len(answer) > 1 and answer.endswith(os.sep) else answer
        kwargs = {"validate": prompt.validate} if prompt.validate else {}
        return questionary.text(prompt.message, default=default, style=style, **kwargs, **io).unsafe_ask()

    return ask
