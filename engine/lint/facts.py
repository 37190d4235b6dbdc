"""Checks of the fact catalogue: a fact the evidence sets has the kind kb/facts.yaml gives it."""
from __future__ import annotations

from typing import Iterator

from ..knowledge import Problem
from .base import ERROR, Checked, Validator


def kinds_agree(checked: Checked) -> Iterator[Problem]:
    for name, kind in sorted(checked.produced.items()):
        spec = checked.kb.facts.get(name)
        if spec is not None and spec.type != kind:
            yield checked.at("fact", name, f"fact {name} is a {spec.type} in kb/facts.yaml, but engine/facts/ sets it as a {kind}")


VALIDATORS = (Validator("fact-kinds-agree", ERROR, kinds_agree),)
