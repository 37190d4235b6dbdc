"""Fuzz the evidence layer: every parser, the reader, the zip layer and the KB's YAML guard.

Coverage-guided with atheris (libFuzzer) when it is installed (`pip install
'.[fuzz]'`); the property tests at a high example count are the fallback:

    python bench/fuzz.py -runs=200000                 # atheris: stops at the first crash
    python bench/fuzz.py -max_total_time=600          # ... or after ten minutes
    HYPOTHESIS_PROFILE=fuzz python -m pytest -q tests/test_parser_properties.py   # hypothesis

One input is tried five ways, and anything but the documented outcome is a crash:
- as a file's bytes through `read()` (sniffing, every encoding, every parser): a `ReadFile`,
  and for HTTPERR and IIS logs records + skipped == data lines; when a parser took it,
  through the whole `diagnose` (facts, rule engine, timeline) and every report form;
- decoded to lines and handed to every parser in `PARSERS` directly (so a parser is
  fuzzed even when its sniff would not pick the input): a `ParseResult` or `NotThisKind`;
- as a zip archive through `bundle.iter_bundle`: members read or refused, never raised;
- as a KB YAML file through `knowledge.yaml_hazards` and the safe loader: a listed
  problem or data, never a crash of the process;
- as a saved wizard session (`.yaml` and `.json`) through `load_session`: a session or
  one line of `SessionError`; and through the redactor: no exception.
Reports from the first way must be valid JSON (no NaN or Infinity from a perfmon cell).
The corpus starts from tests/fixtures/real, the examples and a zip of one example, in
the git-ignored bench/out/fuzz-corpus (libFuzzer adds what it finds there).
Figures from a run go in bench/RESULTS.md, section "Fuzzing".
"""
from __future__ import annotations

import io
import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = HERE / "out" / "fuzz-corpus"
SCRATCH = HERE / "out" / "fuzz-scratch"
sys.path.insert(0, str(ROOT / "tests"))


def seed_corpus() -> Path:
    CORPUS.mkdir(parents=True, exist_ok=True)
    for path in sorted([*(ROOT / "tests" / "fixtures").rglob("*"), *(ROOT / "examples").rglob("*")]):
        if path.is_file() and path.suffix != ".py" and path.stat().st_size <= 256 * 1024:
            shutil.copyfile(path, CORPUS / f"seed-{path.parent.name}-{path.name}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((ROOT / "examples" / "connections-refused").rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(ROOT / "examples").as_posix())
    (CORPUS / "seed-bundle.zip").write_bytes(buffer.getvalue())
    return CORPUS


def one_input(data: bytes) -> None:
    from httperr_doctor.engine.evidence import PARSERS, ReadFile, bundle, read
    from httperr_doctor.engine.knowledge import safe_loader, yaml_hazards
    from test_parser_properties import check_diagnosis, check_parse, check_read

    import yaml

    if check_read(data).result is not None:
        check_diagnosis(data, SCRATCH)
    lines = data.decode("utf-8", errors="surrogateescape").splitlines()
    for parser in PARSERS:
        check_parse(parser, lines)
    if data[:2] == b"PK":
        for item in bundle.iter_bundle(io.BytesIO(data), "fuzz.zip"):
            if not isinstance(item, ReadFile):
                read(item)
    text = data.decode("utf-8", errors="replace")
    check_session_and_redaction(data, text)
    if not yaml_hazards(text):
        try:
            loader = safe_loader()(text)
            try:
                node = loader.get_single_node()
                if node is not None:
                    loader.construct_document(node)
            finally:
                loader.dispose()
        except yaml.YAMLError:
            pass


def check_session_and_redaction(data: bytes, text: str) -> None:
    from httperr_doctor.engine.redact import Redactor
    from httperr_doctor.wizard.session import SessionError, load_session

    for suffix in (".yaml", ".json"):
        path = SCRATCH / f"session{suffix}"
        path.write_bytes(data)
        try:
            load_session(path)
        except SessionError as error:
            assert "\n" not in str(error), error
    Redactor(hosts=["WEB07", text[:8].strip() or "X"]).text(text)


def main() -> None:
    import atheris

    with atheris.instrument_imports(include=["httperr_doctor"]):
        import httperr_doctor.engine.evidence  # noqa: F401
        import httperr_doctor.engine.knowledge  # noqa: F401
    SCRATCH.mkdir(parents=True, exist_ok=True)
    args = [sys.argv[0], *[a for a in sys.argv[1:] if a.startswith("-")], str(seed_corpus())]
    defaults = {"-max_len": "8192", "-artifact_prefix": f"{HERE / 'out' / 'crashes'}/"}
    for flag, value in defaults.items():
        if not any(a.startswith(flag + "=") for a in args):
            args.insert(1, f"{flag}={value}")
    (HERE / "out" / "crashes").mkdir(parents=True, exist_ok=True)
    atheris.Setup(args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
