"""The HTTPERR reason-phrase vocabulary, read once from the knowledge base."""
from __future__ import annotations

import re
from functools import lru_cache

import yaml

from httperr_doctor.kb import KB_DIR

COUNTED_REFUSAL = re.compile(r"^(\d+)_Connections_Refused$")


@lru_cache(maxsize=1)
def _phrases() -> dict:
    with open(KB_DIR / "reason_phrases.yaml", encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["phrases"]


@lru_cache(maxsize=1)
def known_reasons() -> frozenset[str]:
    return frozenset(_phrases())


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
