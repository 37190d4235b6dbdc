"""The HTTPERR reason-phrase vocabulary, taken once from the knowledge base.

It comes from the loaded KB (`default_kb`, usually from its cache) rather than from
reading `kb/reason_phrases.yaml` again: one source, already validated, and a small
diagnosis never has to import or run the YAML parser.
"""
from __future__ import annotations

import re
from functools import lru_cache

COUNTED_REFUSAL = re.compile(r"^(\d+)_Connections_Refused$")


@lru_cache(maxsize=1)
def known_reasons() -> frozenset[str]:
    from ..knowledge import default_kb

    return frozenset(default_kb().phrases)


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
