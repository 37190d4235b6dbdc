"""The HTTPERR reason-phrase vocabulary, taken once from the knowledge base.

A diagnosis loads the KB (usually from its cache) before it parses in its own
process, and then the names come from it: no second read, and a small diagnosis
never imports the YAML parser. A parser worker forked before the KB was loaded, or
a parser used on its own, reads just `kb/reason_phrases.yaml` instead of importing
and loading the whole KB.
"""
from __future__ import annotations

import re
import sys
from functools import lru_cache

from httperr_doctor.kb import KB_DIR

COUNTED_REFUSAL = re.compile(r"^(\d+)_Connections_Refused$")


@lru_cache(maxsize=1)
def known_reasons() -> frozenset[str]:
    knowledge = sys.modules.get("httperr_doctor.engine.knowledge")
    kb = knowledge.loaded_default_kb() if knowledge is not None else None
    if kb is not None:
        return frozenset(kb.phrases)
    import yaml

    with open(KB_DIR / "reason_phrases.yaml", encoding="utf-8") as handle:
        phrases = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["phrases"]
    return frozenset(map(str, phrases))


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
