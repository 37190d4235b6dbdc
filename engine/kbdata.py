"""The KB's validated models as plain data and back, for the cache (engine/kbcache.py).

Kept apart from the loader: this is the form a warm run reads, so it is written for speed
(a run rebuilds about 2,000 models before it can start), and its code is part of the
cache key (a change here makes old cache files stale).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping, get_args, get_origin

from pydantic import BaseModel

from httperr_doctor.kb.schema import Cause, FactSpec, Question, ReasonPhrase, Reference, Rule, RuleCases

MODEL_PARTS: dict[str, type[BaseModel]] = {
    "rules": Rule, "causes": Cause, "questions": Question, "facts": FactSpec,
    "references": Reference, "phrases": ReasonPhrase, "cases": RuleCases,
}


def models_to_data(models: Mapping[str, BaseModel]) -> dict[str, dict]:
    """name -> the model's JSON dump (every field written, defaults too)."""
    return {name: item.model_dump(mode="json") for name, item in models.items()}


def models_from_data(model: type[BaseModel], data: Mapping[str, dict]) -> dict[str, BaseModel]:
    """`models_to_data`'s output as models again, without re-validating (it was validated when written)."""
    return {name: built(model, value) for name, value in data.items()}


def built(model: type[BaseModel], data: dict) -> BaseModel:
    """`model` from its own dump, nested models (`list[Model]` fields) included.

    What `model_construct` does for a dump that names every field (the KB's models keep
    no private attributes and no extras), without its per-field search for aliases and
    defaults (tests/test_kbcache.py checks the result against `model_construct`'s)."""
    values = {name: data[name] for name in _field_names(model)}
    for name, inner in _nested_lists(model):
        values[name] = [built(inner, item) for item in values[name]]
    made = model.__new__(model)
    _set(made, "__dict__", values)
    _set(made, "__pydantic_fields_set__", set(values))
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


_set = object.__setattr__


@lru_cache(maxsize=None)
def _field_names(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(model.model_fields)


@lru_cache(maxsize=None)
def _nested_lists(model: type[BaseModel]) -> tuple[tuple[str, type[BaseModel]], ...]:
    """The fields of `model` that hold a list of models: (field name, model of the items)."""
    found = []
    for name, spec in model.model_fields.items():
        args = get_args(spec.annotation) if get_origin(spec.annotation) is list else ()
        if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            found.append((name, args[0]))
    return tuple(found)
