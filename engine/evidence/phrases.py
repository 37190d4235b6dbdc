"""The HTTPERR reason-phrase names a parser recognises, read from `kb/reason_phrases.yaml`.

A parser only needs the names (to find the reason column in a damaged line), so it
reads them from the phrase file itself: the names of the `phrases:` mapping, one at
two spaces of indent each. That keeps parsers free of the knowledge base and its
YAML parser, in parser workers too; `tests/test_kb.py` checks that the names read
this way are exactly the KB's phrases.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from httperr_doctor.kb import KB_DIR

COUNTED_REFUSAL = re.compile(r"^(\d+)_Connections_Refused$")
_PHRASE_KEY = re.compile(r"^  (?P<q>[\"']?)(?P<name>[^\s\"':#][^\"']*?)(?P=q):\s*(?:#.*)?$")


def phrase_names(path: Path) -> frozenset[str]:
    """The keys of the top-level `phrases:` mapping of a reason-phrase file.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "p.yaml"
    ...     _ = path.write_text("families: [x]\\nphrases:\\n  AppOffline:\\n    family: x\\n  'N/A':\\n    family: x\\nother:\\n  Nope:\\n")
    ...     sorted(phrase_names(path))
    ['AppOffline', 'N/A']
    """
    names: set[str] = set()
    inside = False
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line[:1] not in (" ", "#", "\n", ""):
                inside = line.rstrip() == "phrases:"
                continue
            match = _PHRASE_KEY.match(line.rstrip("\r\n")) if inside else None
            if match:
                names.add(match.group("name"))
    return frozenset(names)


@lru_cache(maxsize=1)
def known_reasons() -> frozenset[str]:
    return phrase_names(KB_DIR / "reason_phrases.yaml")


def split_counted(token: str) -> tuple[str, int]:
    """Split the counted form `N_Connections_Refused` into its reason and count.

    >>> split_counted("24_Connections_Refused")
    ('Connections_Refused', 24)
    >>> split_counted("Timer_ConnectionIdle")
    ('Timer_ConnectionIdle', 1)
    """
    match = COUNTED_REFUSAL.match(token)
    if match:
        return "Connections_Refused", int(match.group(1))
    return token, 1


def is_reason(token: str) -> bool:
    return split_counted(token)[0] in known_reasons()
