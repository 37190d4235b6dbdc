"""What a diagnosis loads at start-up: only what its report form needs (speed in bench/)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version

from conftest import EXAMPLES, run_cli
from httperr_doctor.engine.assemble import tool_version
from httperr_doctor.engine.rule_engines import DURABLE, REFERENCE, engine_name

# Run in a fresh interpreter, as the console script does (main() reads sys.argv): the
# test process itself has imported everything.
PROBE = """
import gc, json, sys
from httperr_doctor.wizard.cli import main
code = main()
from httperr_doctor.engine.assessment import engine_for
from httperr_doctor.engine.knowledge import default_kb
kb = default_kb()
# gc.get_objects() leaves out the permanent generation, where gc.freeze() puts objects.
collected = {id(o) for o in gc.get_objects()}
long_lived = {"kb rules": kb.rules, "a rule": next(iter(kb.rules.values())), "compiled engine": engine_for(kb).__dict__}
frozen = sorted(name for name, o in long_lived.items() if gc.is_tracked(o) and id(o) not in collected)
print(json.dumps({"code": code, "modules": sorted(sys.modules), "frozen": frozen}), file=sys.stderr)
"""
NEVER_FOR_JSON = ("rich", "questionary", "prompt_toolkit", "httperr_doctor.engine.render.html",
                  "httperr_doctor.engine.render.terminal", "httperr_doctor.engine.render.markdown",
                  "httperr_doctor.wizard.interactive", "multiprocessing", "concurrent.futures", "defusedxml",
                  "xml.sax.expatreader")


def run_fresh(*argv: str, env: dict | None = None) -> tuple[dict, str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    info = json.loads(done.stderr.strip().splitlines()[-1])
    assert info["code"] == 0, done.stderr
    return info, done.stdout


def loaded_by(*argv: str, env: dict | None = None) -> set[str]:
    return set(run_fresh(*argv, env=env)[0]["modules"])


def test_a_json_diagnosis_loads_no_renderer_prompt_or_pool_it_does_not_use(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    evidence = str(EXAMPLES / "connections-refused" / "HTTPERR")
    cold = loaded_by("diagnose", "--format", "json", "--jobs", "1", evidence, env=env)
    assert "yaml" in cold  # the first run reads the KB files and fills the cache
    warm = loaded_by("diagnose", "--format", "json", "--jobs", "1", evidence, env=env)
    engines = {DURABLE: "durable.engine", REFERENCE: "httperr_doctor.engine.reference_inference"}
    used = engines.pop(engine_name())
    assert "httperr_doctor.engine.diagnosis" in warm and used in warm
    assert engines.popitem()[1] not in warm  # only the engine that runs is loaded
    assert sorted(m for m in NEVER_FOR_JSON if m in warm) == []
    assert "yaml" not in warm  # the KB came from the cache


def test_another_form_loads_its_own_renderer_only(tmp_path):
    modules = loaded_by("diagnose", "--format", "markdown", "--jobs", "1", str(EXAMPLES / "connection-dropped"),
                        env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert "httperr_doctor.engine.render.markdown" in modules and "rich" not in modules


def test_tool_version_is_the_installed_version():
    assert tool_version() == version("httperr-doctor")


def test_a_parser_on_its_own_reads_the_phrase_names_without_the_kb_or_a_yaml_parser():
    """A parser worker needs only the phrase names: no pydantic, no KB, no YAML parser."""
    probe = ("import json, sys\n"
             "from httperr_doctor.engine.evidence.phrases import known_reasons\n"
             "names = known_reasons()\n"
             "print(json.dumps(sorted(m for m in ('pydantic', 'yaml', 'httperr_doctor.engine.knowledge') if m in sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout) == [], done.stderr


def test_a_one_command_process_freezes_its_start_up_objects_and_reports_the_same():
    """The console script freezes what start-up made (the KB, its rules, the compiled
    engine) out of later collections and pauses the collector while it diagnoses;
    in-process callers are left alone, collector running; the report is the same either way."""
    argv = ("diagnose", "--format", "json", "--jobs", "1", str(EXAMPLES / "connections-refused"))
    info, fresh = run_fresh(*argv)
    assert info["frozen"] == ["a rule", "compiled engine", "kb rules"]
    import gc

    before = gc.get_freeze_count()
    code, in_process = run_cli(*argv)
    assert code == 0 and gc.get_freeze_count() == before and gc.isenabled()
    assert json.loads(fresh) == json.loads(in_process)
