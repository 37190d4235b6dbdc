"""Property-based tests: no parser can be made to crash, and no HTTPERR line is lost uncounted.

Every module in `engine.evidence.PARSERS` is covered automatically (a parser added
later is fuzzed by the same tests): whatever lines it is handed, `sniff` returns a
bool and `parse` returns a `ParseResult` or raises `NotThisKind`, its documented
refusal. Inputs are arbitrary text (NUL, lone surrogates, control characters), real
sample lines mutated, HTTPERR lines with random field counts and `#Fields:` headers
in odd places, very long lines, and at the byte level arbitrary bytes, invalid UTF-8
and UTF-16 with lone surrogates through the whole reader.

Example counts come from the hypothesis profile (tests/conftest.py): modest by
default, `HYPOTHESIS_PROFILE=fuzz` for the long run recorded in bench/RESULTS.md.
"""
from __future__ import annotations

import codecs
import io
import json
import re
from functools import lru_cache

import pytest
from hypothesis import example, given, settings, strategies as st

from conftest import EXAMPLES, FIXTURES
from httperr_doctor.engine.evidence import PARSERS, ReadFile, evtxfile, httperr, perfmon, read
from httperr_doctor.engine.evidence.base import Lines, NotThisKind, ParseResult
from httperr_doctor.engine.evidence.phrases import known_reasons
from httperr_doctor.engine.evidence.reader import EvidenceFile
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.facts import derive_facts
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.json_report import render_json
from httperr_doctor.engine.render.markdown import render_markdown
from httperr_doctor.engine.render.terminal import render_terminal
from httperr_doctor.engine.render.text import render_text

# Parsers whose every data line must end up a record or a counted skip, and how they count records.
ACCOUNTED = {
    "httperr": lambda result: result.stats.records,
    "iislog": lambda result: result.stats.requests,
}


@lru_cache(maxsize=1)
def sample_lines() -> tuple[str, ...]:
    """Every line of the real samples and the example bundles, decoded as the reader would."""
    found: list[str] = []
    for path in sorted([*FIXTURES.rglob("*"), *EXAMPLES.rglob("*")]):
        if not path.is_file() or path.suffix in (".py", ".md", ".evtx"):
            continue
        item = EvidenceFile.from_path(path)
        found.extend(line.rstrip("\r\n") for line in item.lines()._lines)
    return tuple(dict.fromkeys(line for line in found if line.strip()))


def _real_line() -> st.SearchStrategy[str]:
    return st.sampled_from(sample_lines())


# Characters that break naive parsers: NUL, lone surrogates, controls, BOMs, separators.
NASTY = st.characters(codec=None, categories=("Cc", "Cs", "Zs", "Zl", "Zp", "Cf", "Po", "Nd", "Lu")) \
    | st.sampled_from(["\x00", "\ufeff", "\ufffd", "\udc80", "\ud800", "\u2028", "\x1b", "\t", "\r", "#", ":", ",", '"', "-", " "])


@st.composite
def mutated_line(draw) -> str:
    """A real line with a few edits: cut, insert, token swapped, duplicated or dropped, digits changed."""
    line = draw(_real_line())
    for _ in range(draw(st.integers(1, 4))):
        tokens = line.split(" ")
        op = draw(st.sampled_from(["cut", "insert", "drop", "dup", "swap", "replace", "digit", "truncate", "hash"]))
        at = draw(st.integers(0, max(len(line) - 1, 0)))
        t = draw(st.integers(0, len(tokens) - 1))
        if op == "cut":
            line = line[:at] + line[at + draw(st.integers(1, 20)):]
        elif op == "insert":
            line = line[:at] + draw(st.text(NASTY, max_size=8)) + line[at:]
        elif op == "drop" and len(tokens) > 1:
            line = " ".join(tokens[:t] + tokens[t + 1:])
        elif op == "dup":
            line = " ".join(tokens[:t] + [tokens[t]] * draw(st.integers(2, 30)) + tokens[t + 1:])
        elif op == "swap":
            u = draw(st.integers(0, len(tokens) - 1))
            tokens[t], tokens[u] = tokens[u], tokens[t]
            line = " ".join(tokens)
        elif op == "replace":
            tokens[t] = draw(st.text(NASTY, max_size=12))
            line = " ".join(tokens)
        elif op == "digit":
            line = "".join(draw(st.sampled_from("0123456789x-")) if ch.isdigit() and draw(st.booleans()) else ch for ch in line)
        elif op == "truncate":
            line = line[:at]
        elif op == "hash":
            line = "#" + line
    return line


def long_line() -> st.SearchStrategy[str]:
    """Up to the reader's 64 KB line limit, built by repetition so drawing it stays cheap."""
    return st.builds(lambda piece, times: (piece or "x") * times, st.text(NASTY, max_size=20), st.integers(100, 3000))


ANY_LINE = st.one_of(_real_line(), mutated_line(), st.text(NASTY, max_size=80), st.text(max_size=80), long_line())


def lines_of(line: st.SearchStrategy[str] = ANY_LINE, max_size: int = 40) -> st.SearchStrategy[list[str]]:
    return st.lists(line, max_size=max_size)


def check_parse(parser, lines: list[str]) -> ParseResult | None:
    """The property every parser keeps: a bool from sniff, a ParseResult or NotThisKind from parse."""
    assert isinstance(parser.sniff("\n".join(lines)), bool)
    try:
        result = parser.parse(Lines("fuzz.log", iter(lines)))
    except NotThisKind:
        return None
    assert isinstance(result, ParseResult) and result.kind == parser.KIND
    for skip in result.skips:
        assert skip.reason and 0 <= skip.line <= len(lines) + 1, skip
    if parser.KIND in ACCOUNTED:
        assert ACCOUNTED[parser.KIND](result) + len(result.skips) == result.data_lines, (
            f"{ACCOUNTED[parser.KIND](result)} records + {len(result.skips)} skips != {result.data_lines} data lines")
    derive_facts([result], default_kb())  # whatever a parser accepts, the facts layer must digest
    return result


@pytest.mark.parametrize("parser", PARSERS, ids=[p.KIND for p in PARSERS])
@given(lines=lines_of())
def test_no_parser_raises_anything_but_not_this_kind(parser, lines):
    check_parse(parser, lines)


@pytest.mark.parametrize("parser", PARSERS, ids=[p.KIND for p in PARSERS])
@given(data=st.data())
def test_parsers_survive_their_own_files_mutated(parser, data):
    """Start from lines this parser accepts (a real sample of its kind) and damage them."""
    own = own_samples().get(parser.KIND) or (sample_lines()[:300],)
    lines = list(data.draw(st.sampled_from(own)))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(lines)))
        lines.insert(at, data.draw(ANY_LINE))
        if lines and data.draw(st.booleans()):
            del lines[data.draw(st.integers(0, len(lines) - 1))]
    check_parse(parser, lines)


@lru_cache(maxsize=1)
def own_samples() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Real files by the kind the reader gives them (capped at 300 lines each to keep examples quick)."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for path in sorted([*FIXTURES.rglob("*"), *EXAMPLES.rglob("*")]):
        if path.is_file() and path.suffix not in (".py", ".md"):
            item = read(EvidenceFile.from_path(path))
            if item.result is not None:
                lines = tuple(line.rstrip("\r\n") for line in EvidenceFile.from_path(path).lines()._lines)
                found.setdefault(item.kind, []).append(lines[:300])
    return {kind: tuple(files) for kind, files in found.items()}


# --- HTTPERR: random field counts, headers in odd places ----------------------------------------

FIELD_NAMES = list(httperr.KNOWN_FIELDS) + ["x-custom", "cs-host", "s-computername", ""]
TOKENS = {
    "date": st.sampled_from(["2007-11-13", "2024-02-29", "2023-02-29", "2023-13-45", "0000-00-00", "9999-99-99", "-", "20071113"]),
    "time": st.sampled_from(["20:01:44", "23:59:60", "24:00:00", "99:99:99", "-", "2:1:4"]),
    "c-ip": st.sampled_from(["10.0.0.5", "::1%0", "fe80::1%eth0", "-", "999.1.1.1", "[::1]"]),
    "c-port": st.sampled_from(["3362", "-", "99999999999999999999", "-1"]),
    "cs-uri": st.text(NASTY, max_size=30).map(lambda s: s.replace(" ", "%20") or "-"),
}


@st.composite
def httperr_file(draw) -> list[str]:
    lines: list[str] = []
    fields = list(httperr.DEFAULT_FIELDS)
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(["data", "data", "data", "header", "comment", "blank", "wild"]))
        if kind == "header":
            fields = draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=20))
            if draw(st.booleans()):
                fields.append("s-reason")
            lines.append("#Fields: " + " ".join(fields))
        elif kind == "comment":
            lines.append(draw(st.sampled_from(["#Software: Microsoft HTTP API 2.0", "#Version: 1.0", "#", "#Date:"])))
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", " ", "\t"])))
        elif kind == "wild":
            lines.append(draw(ANY_LINE))
        else:
            width = len(fields) + draw(st.integers(-4, 4))
            row = []
            for i in range(max(width, 0)):
                name = fields[i] if i < len(fields) else "x"
                if name == "s-reason" or draw(st.integers(0, 9)) == 0:
                    row.append(draw(st.sampled_from(sorted(known_reasons()) + ["3_Connections_Refused", "0_Connections_Refused",
                                                                               "99999999999999999999_Connections_Refused", "Unknown_Reason"])))
                else:
                    row.append(draw(TOKENS.get(name, st.sampled_from(["-", "1", "HTTP/1.1", "GET", "DefaultAppPool"]))))
            lines.append(" ".join(row))
    return lines


@given(lines=httperr_file())
@example(lines=["2024-02-30 24:00:00 - - - - - - - - - 3_Connections_Refused -", "2023-13-45 99:99:99 - - - - - - - - - Timer_ConnectionIdle -"])
@example(lines=["#Fields: date time s-reason", "2007-11-13 20:01:44 Timer_ConnectionIdle", "#Fields: date time c-ip",
                "2007-11-13 20:01:45 10.0.0.1", "2007-11-13 20:01:46 10.0.0.1 Timer_ConnectionIdle"])
@example(lines=["2007-11-13 20:01:44 10.0.0.5 3362", "10.0.0.1 80 HTTP/1.1 GET /x - 1 Timer_ConnectionIdle -"])
def test_httperr_every_data_line_is_a_record_or_an_explained_skip(lines):
    check_parse(httperr, lines)


# --- whole reader: arbitrary bytes, encodings, BOMs ------------------------------------------------

BOMS = st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])


def memory_file(data: bytes, name: str = "fuzz.log") -> EvidenceFile:
    return EvidenceFile(name, lambda: io.BufferedReader(io.BytesIO(data)), len(data))


def check_read(data: bytes) -> ReadFile:
    item = read(memory_file(data))
    assert isinstance(item, ReadFile) and isinstance(item.kind, str)
    assert (item.result is None) == (item.error is not None)
    if item.result is not None and item.kind in ACCOUNTED:
        assert ACCOUNTED[item.kind](item.result) + len(item.skips) == item.result.data_lines
    if item.result is not None:
        derive_facts([item.result], default_kb())
    return item


# Byte-sniffing formats are reached only through their signature.
SIGNATURES = st.sampled_from([b"", b"", evtxfile.MAGIC, b"MZ\x90\x00", b"PK\x03\x04"])


@given(data=st.binary(max_size=4096), bom=BOMS, signature=SIGNATURES)
def test_reader_survives_arbitrary_bytes(data, bom, signature):
    check_read(signature + bom + data if signature else bom + data)


@given(lines=lines_of(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"]),
       newline=st.sampled_from(["\r\n", "\n", "\r"]))
def test_reader_survives_text_in_any_windows_encoding(lines, encoding, newline):
    """Lone surrogates are encoded as is (`surrogatepass`): broken UTF-16 from a truncated copy."""
    text = newline.join(lines)
    data = text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")
    check_read(data)


@pytest.mark.parametrize("parser", PARSERS, ids=[p.KIND for p in PARSERS])
@given(data=st.data())
def test_real_files_cut_anywhere_still_read(parser, data):
    """A file truncated at any byte (an interrupted copy), including inside a UTF-16 code unit."""
    own = own_samples().get(parser.KIND) or (sample_lines()[:300],)
    text = "\r\n".join(data.draw(st.sampled_from(own)))
    raw = data.draw(st.sampled_from([b"", codecs.BOM_UTF16_LE])) 
    raw += text.encode("utf-16-le" if raw else "utf-8")
    check_read(raw[: data.draw(st.integers(0, len(raw)))])


# Inputs that crashed a parser once (found by bench/fuzz.py or these tests), kept as regressions.
FINDINGS = [
    ("regquery", ["Windows Registry Editor Version 5.00", "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters]",
                  '"EnableAggressiveMemoryUsage"=dword:00r10000', '"MaxConnections"=hex(b):zz,00']),
    ("appconfig", ["\ud800"]),
    ("httperr", ["2024-02-30 24:00:00 - - - - - - - - - 3_Connections_Refused -"]),
    # A CR inside a line (csv.Error), an impossible bias (timezone ValueError), a time that overflows with its bias.
    ("perfmon", ['"(PDH-CSV 4.0) (Pacific Standard Time)(480)",\\\\WEB01\\Memory\\Pool\r Nonpaged Bytes',
                 '"08/12/2009 11:00:00.000",104857\r600']),
    ("perfmon", ['"(PDH-CSV 4.0) (Mars Time)(99999)","\\\\WEB01\\Memory\\Pool Nonpaged Bytes"',
                 '"08/12/2009 11:00:00.000","104857600"']),
    ("perfmon", ['"(PDH-CSV 4.0) (Pacific Standard Time)(480)","\\\\WEB01\\Memory\\Pool Nonpaged Bytes"',
                 '"12/31/9999 23:59:59.000","104857600"', '"08/12/2009 11:00:00.000","104857600"']),
    # An impossible date in an IIS log reached the timeline's strptime.
    ("iislog", ["#Fields: date time cs-method cs-uri-stem sc-status sc-substatus sc-win32-status time-taken",
                "2024-02-30 25:61:00 GET /x 200 0 0 15", "2024-02-28 10:00:00 GET /x 200 0 0 15"]),
    # A listening address whose port is garbled (None) sorted against real ports (TypeError in facts).
    ("netstat", ["  Proto  Local Address          Foreign Address        State           PID",
                 "  TCP    0.0.0.0:80             0.0.0.0:0              LISTENING       4",
                 "  TCP    0.0.0.0:443\u00dd\u00df    0.0.0.0:0              LISTENING       4",
                 "  TCP    10.20.1.13:80          10.20.5.153:36696      ESTABLISHED     4"]),
    # A tag listed twice in the first capture and missing from the last one (StopIteration in facts).
    ("poolmon", [" Memory: 260620K Avail: 96364K", " Tag  Type     Allocs            Frees            Diff   Bytes       Per Alloc",
                 " Wait Nonp    3971107 (   0)   3971077 (   0)       30    8456 (     0)    281",
                 " Wait Nonp    3971107 (   0)   3971077 (   0)       30    9456 (     0)    281",
                 " Memory: 260620K Avail: 96364K", " Tag  Type     Allocs            Frees            Diff   Bytes       Per Alloc",
                 " Io   Nonp    1021112 (   1)   1020985 (   1)      127   91912 (     0)    723"]),
]


@pytest.mark.parametrize("kind,lines", FINDINGS, ids=[kind for kind, _ in FINDINGS])
def test_fuzzer_findings_stay_fixed(kind, lines, tmp_path):
    parser = next(p for p in PARSERS if p.KIND == kind)
    check_parse(parser, lines)
    data = "\r\n".join(lines).encode("utf-8", errors="surrogatepass")
    check_read(data)
    check_diagnosis(data, tmp_path)


def test_impossible_offsets_and_far_dates_are_no_time_not_a_crash():
    from datetime import datetime

    from httperr_doctor.engine.evidence.wintime import read_stamp
    from httperr_doctor.engine.timezones import to_utc, zone_from_systeminfo

    assert read_stamp("2016-10-14T14:33:42+99:00") is None and read_stamp("2016-10-14T14:33:42+23:99") is None
    assert zone_from_systeminfo("(UTC+99:00) Somewhere") is None
    pacific = zone_from_systeminfo("(UTC-08:00) Pacific Time (US & Canada)")
    assert to_utc(datetime(9999, 12, 31, 23, 0), pacific) is None
    assert to_utc(datetime(2009, 8, 12, 11, 0), pacific).hour == 18  # daylight saving in August


def check_diagnosis(data: bytes, folder) -> None:
    """The whole path on one file: rules, timeline, ranking and every report form, with no exception."""
    path = folder / "evidence.log"
    path.write_bytes(data)
    report = diagnose([str(path)])
    for render in (render_text, render_markdown, render_terminal, render_html):
        assert isinstance(render(report), str)
    strict_json(render_json(report))  # never NaN or Infinity, whatever the evidence held


@settings(max_examples=max(settings.default.max_examples // 5, 5))
@given(data=st.data())
def test_whole_diagnosis_survives_damaged_evidence(tmp_path_factory, data):
    """Damaged real files through rules and renderers: facts from hostile text reach the C rule engine."""
    kind = data.draw(st.sampled_from(sorted(own_samples())))
    lines = list(data.draw(st.sampled_from(own_samples()[kind])))
    for _ in range(data.draw(st.integers(1, 4))):
        lines.insert(data.draw(st.integers(0, len(lines))), data.draw(ANY_LINE))
    encoding = data.draw(st.sampled_from(["utf-8", "utf-16"]))
    check_diagnosis("\r\n".join(lines).encode(encoding, errors="surrogatepass"), tmp_path_factory.mktemp("diag"))


# --- perfmon numbers, session files and redaction (issue 16) ------------------------------

PDH_HEAD = ('"(PDH-CSV 4.0) (Eastern Daylight Time)(240)","\\\\WEB01\\Memory\\Pool Nonpaged Bytes",'
            '"\\\\WEB01\\Processor(_Total)\\% Processor Time"')
NUMBER_TEXT = st.one_of(
    st.floats().map(repr), st.floats().map(str), st.integers(-(10**400), 10**400).map(str),
    st.sampled_from(["inf", "-inf", "Infinity", "nan", "NaN", "-nan", "1e309", "-1e309", "1e308", "4.9e-324",
                     "1e15", "1,5", "1_000", " ", "", "0x10", "\u0661\u0662"]),
    st.text(st.characters(codec="utf-8"), max_size=12),
)


def strict_json(text: str):
    def refuse(constant):
        raise AssertionError(f"{constant} in a JSON report")
    return json.loads(text, parse_constant=refuse)


@given(cells=st.lists(st.tuples(NUMBER_TEXT, NUMBER_TEXT), min_size=1, max_size=6))
def test_perfmon_keeps_only_sensible_numbers_and_every_form_stays_valid(tmp_path_factory, cells):
    lines = [PDH_HEAD] + [f'"08/12/2009 08:{i:02d}:00.404","{a.replace(chr(34), "")}","{b.replace(chr(34), "")}"'
                          for i, (a, b) in enumerate(cells)]
    result = perfmon.parse(Lines("perf.csv", lines))
    for record in result.records:
        assert all(perfmon.sensible(value) for value in record.data.values.values())
    path = tmp_path_factory.mktemp("perf") / "perf.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    report = diagnose([str(path)])
    strict_json(render_json(report))
    for render in (render_text, render_markdown, render_html):
        assert isinstance(render(report), str)


SESSION_NOISE = st.one_of(
    st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.sampled_from(["&a [1]", "*a", "!!python/object/apply:os.system [x]", "[" * 30, "{a: " * 25, "NaN", "\x00",
                     "- {question: q, fact: f, value: {x: 1}}", "value: .nan", "value: 1e999"]),
)


@given(head=st.booleans(), noise=st.lists(SESSION_NOISE, max_size=4), suffix=st.sampled_from([".yaml", ".json"]))
def test_a_session_file_loads_or_is_refused_in_one_line(tmp_path_factory, head, noise, suffix):
    from httperr_doctor.wizard.session import SessionError, load_session

    text = ("format: httperr-doctor-session\nversion: 1\n" if head else "") + "\n".join(noise)
    path = tmp_path_factory.mktemp("session") / f"s{suffix}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        session = load_session(path)
    except SessionError as error:
        assert "\n" not in str(error) and len(str(error)) < 400 + len(str(path))
    else:
        assert all(isinstance(a.value, (type(None), bool, int, float, str)) for a in session.answers)


ADDRESSES = st.one_of(
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
    st.lists(st.integers(0, 0xFFFF), min_size=8, max_size=8).map(lambda g: ":".join(f"{x:x}" for x in g)),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: "::ffff:" + ".".join(map(str, t))),
)
GLUE = st.sampled_from(["", " ", "_", "-", "/", "\\", ":", "=", "[", "]", ",", ".", "(", ")", "?", "@", ";"])


@given(parts=st.lists(st.tuples(GLUE, ADDRESSES, GLUE), min_size=1, max_size=6), noise=st.text(max_size=30))
def test_redacted_text_holds_no_address(parts, noise):
    from httperr_doctor.engine.redact import Redactor

    text = noise + " " + " ".join(before + address + after for before, address, after in parts)
    redacted = Redactor(hosts=["WEB07"]).text(text)
    for _, address, _ in parts:
        assert not re.search(rf"(?<![0-9A-Fa-f.:]){re.escape(address)}(?![0-9A-Fa-f]|\.\d)", redacted), (text, redacted)
