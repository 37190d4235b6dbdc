"""Folding prose to a width without ever splitting what a reader copies: paths and numbers.

textwrap's defaults break at hyphens and cut words longer than the line, which turns
`examples/connections-refused/boot.ini:5` into two pieces nobody can paste back. Here
a line may run past the width rather than split such a word, and the strings named in
`keep` (a path with spaces in it, say) stay on one line whole.
"""
from __future__ import annotations

import textwrap

_GLUE = "\ue000"  # a private-use character: never in a report, and textwrap does not split on it
_SPACES = str.maketrans("\t\n\r\x0b\x0c", "     ")


def fold(text: str, width: int | None, indent: str = "", hang: str = "  ", keep: tuple[str, ...] | list[str] = ()) -> list[str]:
    """`text` as lines of at most `width` columns (None: one line, unwrapped); later lines get `hang` more.

    >>> fold("see examples/connections-refused/boot.ini:5 and 1,268 lines", 20)
    ['see', '  examples/connections-refused/boot.ini:5', '  and 1,268 lines']
    >>> fold("read /a b/c.txt (poolmon)", 12, keep=["/a b/c.txt"])
    ['read', '  /a b/c.txt', '  (poolmon)']
    """
    if width is None:
        return [indent + text.translate(_SPACES).strip()]
    for item in keep:
        text = text.replace(item, item.replace(" ", _GLUE))
    lines = textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + hang,
                          break_long_words=False, break_on_hyphens=False) or [indent]
    return [line.replace(_GLUE, " ") for line in lines]
