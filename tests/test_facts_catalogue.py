"""The facts catalogue: what each evidence source declares it sets is what it sets.

`kb lint` trusts these declarations to tell a reachable rule from one no evidence can
ever trigger, so a fact set but not declared (or declared with the wrong kind) is a
defect here, before it is a silent rule in the field.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import EXAMPLES, FIXTURES
from httperr_doctor.engine.diagnosis import read_inputs
from httperr_doctor.engine.hosts import group_by_host
from httperr_doctor.engine.evidence.phrases import known_reasons, phrase_names
from httperr_doctor.engine.facts import catalogue, derive_facts
from httperr_doctor.engine.facts.combine import SOURCES
from httperr_doctor.engine.knowledge import default_kb

CASES = Path(__file__).resolve().parent / "cases"
BUNDLES = sorted([p for p in EXAMPLES.iterdir() if p.is_dir()] + [p for p in CASES.iterdir() if p.is_dir()]
                 + [FIXTURES / "real"])
KINDS = {"number": (int, float), "bool": (bool,), "string": (str,)}


@pytest.mark.parametrize("folder", BUNDLES, ids=[b.name for b in BUNDLES])
def test_every_fact_set_from_evidence_is_declared_with_its_kind(folder):
    kb = default_kb()
    declared = catalogue(kb)
    files = read_inputs([str(folder)], workers=1)
    for members in group_by_host(files).values():
        facts = derive_facts([f.result for f in members], kb)
        assert facts, folder
        undeclared = sorted(set(facts) - declared.keys())
        assert undeclared == []
        wrong = {name: fact.value for name, fact in facts.items()
                 if not isinstance(fact.value, KINDS[declared[name]])
                 or (declared[name] == "number" and isinstance(fact.value, bool))}
        assert wrong == {}


def test_declared_kinds_agree_with_the_kb_fact_types():
    kb = default_kb()
    differ = {name: (kind, kb.facts[name].type) for name, kind in catalogue(kb).items()
              if name in kb.facts and kb.facts[name].type != kind}
    assert differ == {}


def test_templates_expand_to_every_phrase_family_and_group():
    kb = default_kb()
    names = catalogue(kb)
    assert {f"httperr.reason.{p}.lines" for p in kb.phrases} <= names.keys()
    assert {f"httperr.family.{f}.lines" for f in kb.families} <= names.keys()
    assert {f"httperr.{g}.lines" for g in kb.phrase_groups} <= names.keys()
    assert not any("{" in name for name in names)


def test_every_parser_kind_has_a_facts_step():
    from httperr_doctor.engine.evidence import PARSERS

    handled = {kind for source in SOURCES for kind in source.kinds}
    assert {parser.KIND for parser in PARSERS} - handled == set()


def test_parsers_read_the_same_phrase_names_as_the_kb():
    kb = default_kb()
    assert known_reasons() == frozenset(kb.phrases)
    assert phrase_names(kb.root / "reason_phrases.yaml") == frozenset(kb.phrases)
