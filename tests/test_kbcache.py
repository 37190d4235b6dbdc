"""The validated-KB cache: used when nothing changed, never trusted when anything did."""
from __future__ import annotations

import ast
import dataclasses
import os
import pickle
import shutil
import stat
from pathlib import Path

import pytest
from pydantic import BaseModel

from conftest import run_cli
from httperr_doctor.engine import kbcache
from httperr_doctor.engine.knowledge import (
    KB_CACHE, KB_DIR, KBError, KnowledgeBase, cached_kb, default_kb, kb_from_data, kb_to_data, load_kb,
)
from httperr_doctor.engine.kbdata import MODEL_PARTS

RULE = os.path.join("rules", "noise", "ONLY_IDLE_TIMEOUTS.yaml")


@pytest.fixture
def kb_copy(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(KB_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    monkeypatch.delenv(kbcache.NO_CACHE_ENV, raising=False)
    return folder / "httperr-doctor"


class CountingLoader:
    """load_kb, counting the times the YAML files were really read."""

    def __init__(self):
        self.calls = 0

    def __call__(self, root):
        self.calls += 1
        return load_kb(root)


def load(root, loader, **changes):
    return kbcache.cached_load(root, dataclasses.replace(KB_CACHE, load=loader, **changes))


def the_cache_file(cache, root):
    return kbcache.cache_file(cache, root)


def test_second_load_comes_from_the_cache_and_equals_the_yaml(kb_copy, cache):
    loader = CountingLoader()
    first = load(kb_copy, loader)
    assert the_cache_file(cache, kb_copy).is_file()
    second = load(kb_copy, loader)
    assert loader.calls == 1
    assert second is not first
    fresh = load_kb(kb_copy)
    for part in (f.name for f in dataclasses.fields(fresh)):  # every part, so a new one cannot be left out
        assert getattr(second, part) == getattr(fresh, part), part
    assert second.root == kb_copy and second.fact_types == fresh.fact_types


def test_models_from_the_cache_are_what_model_construct_builds():
    """The cache rebuilds its ~2,000 models without model_construct's per-field search:
    each must be the object model_construct would give from the same values (fields,
    fields set, extras, private attributes), nested models included."""
    fresh = load_kb(KB_DIR)
    cached = kb_from_data(KB_DIR, kb_to_data(fresh))

    def same(built, model):
        values = {name: getattr(built, name) for name in model.model_fields}
        reference = model.model_construct(**values)
        assert type(built) is model and vars(built) == vars(reference)
        for state in ("__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
            assert getattr(built, state) == getattr(reference, state), state
        for value in values.values():
            for inner in value if isinstance(value, list) else []:
                if isinstance(inner, BaseModel):
                    same(inner, type(inner))

    checked = 0
    for part, model in MODEL_PARTS.items():
        for name, built in getattr(cached, part).items():
            assert built == getattr(fresh, part)[name]
            same(built, model)
            checked += 1
    assert checked > 500


def test_an_edited_rule_is_seen(kb_copy, cache):
    loader = CountingLoader()
    assert load(kb_copy, loader).rules["ONLY_IDLE_TIMEOUTS"].certainty == pytest.approx(0.8)
    rule = kb_copy / RULE
    # Same length, so only the bytes differ (no size or name change to notice).
    rule.write_text(rule.read_text().replace("certainty: 0.8", "certainty: 0.7"))
    assert load(kb_copy, loader).rules["ONLY_IDLE_TIMEOUTS"].certainty == pytest.approx(0.7)
    assert load(kb_copy, loader).rules["ONLY_IDLE_TIMEOUTS"].certainty == pytest.approx(0.7)
    assert loader.calls == 2


def test_an_added_or_removed_file_is_seen(kb_copy, cache):
    loader = CountingLoader()
    question = kb_copy / "questions" / "extra_question.yaml"
    assert "extra_question" not in load(kb_copy, loader).questions
    question.write_text("id: extra_question\nfact: memory.npp_free_mb\ntext: How much pool is free?\nkind: number\n")
    assert "extra_question" in load(kb_copy, loader).questions
    question.unlink()
    assert "extra_question" not in load(kb_copy, loader).questions
    assert loader.calls == 3


def test_a_kb_made_invalid_is_refused_not_served_from_the_cache(kb_copy, cache):
    load(kb_copy, CountingLoader())
    rule = kb_copy / RULE
    rule.write_text(rule.read_text().replace("certainty: 0.8", "certainty: 1.8"))
    with pytest.raises(KBError, match="ONLY_IDLE_TIMEOUTS"):
        load(kb_copy, CountingLoader())


def test_a_change_to_the_schema_code_makes_old_caches_stale(kb_copy, cache, tmp_path, monkeypatch):
    code = tmp_path / "schema.py"
    code.write_text("# version 1\n")
    loader = CountingLoader()
    load(kb_copy, loader, code_files=(str(code),))
    load(kb_copy, loader, code_files=(str(code),))
    code.write_text("# version 2\n")
    load(kb_copy, loader, code_files=(str(code),))
    assert loader.calls == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other-json", "wrong-types", "pickle"])
def test_a_corrupt_cache_file_is_ignored_and_rewritten(kb_copy, cache, damage):
    loader = CountingLoader()
    load(kb_copy, loader)
    path = the_cache_file(cache, kb_copy)
    data = path.read_bytes()
    header = data[:data.index(b"\n", len(kbcache.CACHE_FORMAT)) + 1]
    path.write_bytes({
        "garbage": header + b"\x80\x05not JSON at all",
        "truncated": data[:len(data) // 2],
        "empty": b"",
        "other-json": header + b'{"rules": {}}',
        "wrong-types": header + b'{"rules": [], "causes": 1, "origin": "x"}',
        "pickle": header + pickle.dumps(kb_to_data(load_kb(kb_copy))),
    }[damage])
    kb = load(kb_copy, loader)
    assert loader.calls == 2 and "ONLY_IDLE_TIMEOUTS" in kb.rules
    assert load(kb_copy, loader).rules.keys() == kb.rules.keys() and loader.calls == 2


def test_an_unwritable_cache_folder_still_diagnoses(kb_copy, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    loader = CountingLoader()
    assert "ONLY_IDLE_TIMEOUTS" in load(kb_copy, loader).rules
    assert "ONLY_IDLE_TIMEOUTS" in load(kb_copy, loader).rules
    assert loader.calls == 2
    assert not any(p.name.endswith(".tmp") for p in tmp_path.rglob("*"))


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_file_others_can_write_is_not_read(kb_copy, cache):
    loader = CountingLoader()
    load(kb_copy, loader)
    os.chmod(the_cache_file(cache, kb_copy), 0o666)
    load(kb_copy, loader)
    assert loader.calls == 2


def test_no_cache_env_turns_it_off(kb_copy, cache, monkeypatch):
    monkeypatch.setenv(kbcache.NO_CACHE_ENV, "1")
    loader = CountingLoader()
    load(kb_copy, loader)
    load(kb_copy, loader)
    assert loader.calls == 2 and not cache.exists()


def test_kb_lint_reads_the_files_not_the_cache(cache, monkeypatch):
    """A cache entry that matches the files but says something else is what diagnose
    sees (the cache is used), while `kb lint` still checks the YAML itself."""
    real = load_kb(KB_DIR)
    poisoned = KnowledgeBase(root=KB_DIR, causes=real.causes, facts=real.facts, phrases=real.phrases)
    key = kbcache.kb_key(KB_DIR, KB_CACHE.code_files)
    assert kbcache.write_cache(kbcache.cache_file(cache, KB_DIR), key, kb_to_data(poisoned))
    assert cached_kb(KB_DIR).rules == {}
    code, text = run_cli("kb", "lint")
    assert code == 0, text
    assert text.strip().endswith(f"{len(real.rules)} rules, {len(real.causes)} causes, "
                                 f"{len(real.questions)} questions, 0 problems")


def test_the_test_session_never_writes_the_users_cache():
    assert kbcache.cache_dir() is not None
    assert not str(kbcache.cache_dir()).startswith(os.path.join(os.path.expanduser("~"), ".cache"))
    assert default_kb().root == KB_DIR


class RunsCode:
    """A pickle payload: unpickling it would create `marker` (code run as the reader)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_planted_pickle_never_runs(kb_copy, cache, tmp_path):
    loader = CountingLoader()
    load(kb_copy, loader)
    path = the_cache_file(cache, kb_copy)
    header = path.read_bytes().split(b"\n", 2)
    marker = tmp_path / "code-ran"
    path.write_bytes(b"\n".join(header[:2]) + b"\n" + pickle.dumps(RunsCode(marker)))
    assert "ONLY_IDLE_TIMEOUTS" in load(kb_copy, loader).rules
    assert not marker.exists() and loader.calls == 2
    assert path.read_bytes().startswith(kbcache.CACHE_FORMAT)


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="POSIX links")
def test_a_link_at_the_cache_files_name_is_not_followed(kb_copy, cache, tmp_path):
    loader = CountingLoader()
    load(kb_copy, loader)
    path = the_cache_file(cache, kb_copy)
    elsewhere = tmp_path / "elsewhere.json"
    os.replace(path, elsewhere)
    before = elsewhere.read_bytes()
    path.symlink_to(elsewhere)
    assert "ONLY_IDLE_TIMEOUTS" in load(kb_copy, loader).rules
    assert loader.calls == 2
    assert not path.is_symlink() and elsewhere.read_bytes() == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_at_the_cache_files_name_does_not_block(kb_copy, cache):
    cache.mkdir(parents=True, mode=0o700)
    os.mkfifo(the_cache_file(cache, kb_copy))
    loader = CountingLoader()
    assert "ONLY_IDLE_TIMEOUTS" in load(kb_copy, loader).rules
    assert loader.calls == 1


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
@pytest.mark.parametrize("shared", ["cache folder 0777", "cache folder 0775", "cache root 0777"])
def test_a_folder_others_can_write_is_neither_read_nor_written(kb_copy, cache, shared):
    loader = CountingLoader()
    load(kb_copy, loader)
    path = the_cache_file(cache, kb_copy)
    folder = cache.parent if "root" in shared else cache
    folder.chmod(int(shared.split()[-1], 8))
    path.unlink()
    load(kb_copy, loader)
    assert not path.exists() and not any(cache.iterdir())
    cache.parent.chmod(0o700)
    cache.chmod(0o700)
    load(kb_copy, loader)
    assert path.exists()
    os.chmod(folder, int(shared.split()[-1], 8))
    load(kb_copy, loader)
    assert loader.calls == 4


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_sticky_shared_cache_root_like_tmp_is_fine(kb_copy, cache):
    cache.parent.mkdir()
    cache.parent.chmod(0o1777)
    loader = CountingLoader()
    load(kb_copy, loader)
    load(kb_copy, loader)
    assert loader.calls == 1


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to give a folder away")
def test_a_cache_folder_of_another_user_is_not_used(kb_copy, cache):
    loader = CountingLoader()
    load(kb_copy, loader)
    path = the_cache_file(cache, kb_copy)
    os.chown(cache, 4242, 4242)
    load(kb_copy, loader)
    assert loader.calls == 2
    os.chown(cache, 0, 0)
    os.chown(path, 4242, 4242)
    load(kb_copy, loader)
    assert loader.calls == 3 and os.stat(path).st_uid == 0


def test_the_cache_is_plain_json_private_to_the_user(kb_copy, cache):
    load(kb_copy, CountingLoader())
    path = the_cache_file(cache, kb_copy)
    head, key, body = path.read_bytes().split(b"\n", 2)
    assert head + b"\n" == kbcache.CACHE_FORMAT
    import json

    assert set(json.loads(body)) >= {"rules", "causes", "origin"}
    if hasattr(os, "getuid"):
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0
        assert stat.S_IMODE(os.stat(cache).st_mode) & 0o077 == 0


def test_the_cache_module_imports_nothing_of_the_knowledge_module():
    """The loader is passed in: no import of engine/knowledge.py, not even inside a function."""
    tree = ast.parse(Path(kbcache.__file__).read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 for alias in node.names]
    assert not [name for name in imported if "knowledge" in name or "schema" in name]
