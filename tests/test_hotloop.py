"""The compiled kernel (engine/evidence/_hotloop.c) against its Python twin and the reference path.

The kernel only counts the lines it can vouch for and stops for everything else,
so on any input the fast path must give exactly the aggregate, skips and notes
whichever kernel runs it (compiled or twin), and those of the line-by-line
reference parser.
"""
from __future__ import annotations

import os
import sys
from array import array
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, REAL, ROOT
from httperr_doctor.engine.evidence import dayforms, httperr, kernel, kernel_twin, minutes, reader
from httperr_doctor.engine.evidence.base import Lines
from httperr_doctor.engine.evidence.httperr.fastpath import ScanState, ScanTables
from httperr_doctor.engine.evidence.reader import EvidenceFile
from test_ingest import mangled
from test_minute_counts import entry as minute_entry, expand, filled, reads

compiled = pytest.mark.skipif(kernel.COMPILED is None, reason="the compiled kernel was not built here")
KERNELS = [k for k in (kernel.COMPILED, kernel.PYTHON) if k is not None]


def test_compiled_scanner_is_built_where_ci_requires_it():
    if not os.environ.get("HTTPERR_DOCTOR_REQUIRE_COMPILED"):
        pytest.skip("HTTPERR_DOCTOR_REQUIRE_COMPILED is not set (only CI insists)")
    assert kernel.COMPILED is not None, "setup.py's optional extension failed to build: see the pip log"


def test_the_environment_chooses_the_python_twin(monkeypatch):
    monkeypatch.delenv(kernel.PURE_PYTHON_ENV, raising=False)
    assert kernel.choose() is (kernel.COMPILED or kernel.PYTHON)
    monkeypatch.setenv(kernel.PURE_PYTHON_ENV, "1")
    assert kernel.choose() is kernel.PYTHON and kernel.choose(kernel.COMPILED) is kernel.COMPILED


def parse_three_ways(path: Path) -> list:
    """(stats, skips, notes, data lines) from the compiled kernel, its Python twin and the reference line path."""
    outcomes = []
    for chosen, blocks in ((kernel.COMPILED, True), (kernel.PYTHON, True), (kernel.PYTHON, False)):
        file = EvidenceFile.from_path(path)
        lines = file.lines()
        if not blocks:
            lines = Lines(lines.path, lines._lines)
        try:
            result = httperr.parse(lines, chosen)
        except Exception as error:  # NotThisKind must be the same on every path too
            outcomes.append(repr(error))
            continue
        outcomes.append((vars(result.stats), sorted((s.line, s.reason) for s in file.skips + result.skips),
                         result.notes, result.data_lines))
    return outcomes


def evidence_logs() -> list[Path]:
    found = sorted(REAL.glob("httperr_*")) + sorted(FIXTURES.glob("hostile/HTTPERR/*"))
    found += sorted((ROOT / "examples").rglob("httperr*.log")) + sorted((ROOT / "tests" / "cases").rglob("httperr*.log"))
    return [p for p in found if p.is_file()]


@compiled
@pytest.mark.parametrize("block_bytes", [None, 997])
def test_compiled_equals_python_on_every_httperr_file_we_have(block_bytes, tmp_path, monkeypatch):
    if block_bytes:  # lines, CRLFs and over-long lines straddling block edges
        monkeypatch.setattr(reader, "BLOCK_BYTES", block_bytes)
    logs = evidence_logs()
    busiest = max(logs, key=lambda p: p.stat().st_size if b"#Fields:" in p.read_bytes() else 0)
    logs += [mangled(busiest, tmp_path / f"mangled{seed}.log", seed) for seed in range(2)]
    assert len(logs) > 20
    for path in logs:
        compiled_path, python_path, line_path = parse_three_ways(path)
        assert compiled_path == python_path == line_path, path


FIELDS_18 = ("#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status "
             "s-siteid s-reason s-queuename transport fault-code extended-fault-code")


def mostly(usual: str, *odd: str) -> st.SearchStrategy[str]:
    """The usual value half the time, so lines with exactly one odd field are common."""
    return st.one_of(st.just(usual), st.sampled_from([usual, *odd]))


DATA_LINE = st.builds(
    lambda day, hour, minute, second, reason, url, queue: (
        f"{day} {hour}:{minute}:{second} 10.0.0.{len(url)} 5123 10.0.0.1 80 HTTP/1.1 GET {url} 503 1 {reason} {queue}"),
    mostly("2025-12-31", "2024-02-29", "2023-02-29", "0000-01-01", "2025-1x-01"),
    mostly("09", "00", "23", "24", "9x"),
    mostly("59", "00", "60"),
    mostly("30", "00", "61"),
    st.sampled_from(["Timer_ConnectionIdle", "Connection_Dropped", "3_Connections_Refused",
                     "65535_Connections_Refused", "70000_Connections_Refused", "QueueFull", "Timer_NewThing"]),
    st.sampled_from(["-", "/", "/api/orders", "/a?b=c"]),
    st.sampled_from(["-", "DefaultAppPool", "OrdersPool"]),
)
ODD_LINE = st.sampled_from([
    "", "#Software: Microsoft HTTP API 2.0", "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method "
    "cs-uri sc-status s-siteid s-reason s-queuename", FIELDS_18,
    "#Fields: c-ip date time s-reason", "#Fields: date time cs-uri sc-status",
    "2025-01-01 10:00:00 10.0.0.1 80", "HTTP/1.1 GET /x - 1 Connection_Dropped DefaultAppPool",
    "2025-01-01 10:00:00 - - - - - - - - - - - Timer_ConnectionIdle - - - -",
    "x" * 300,
    # stray carriage returns: trailing ones are stripped like the line reader does, others stay in the line
    "2025-12-31 09:59:30 10.0.0.1 5123 10.0.0.1 80 HTTP/1.1 GET / 503 1 QueueFull -\r",
    "2025-12-31 09:59:30 10.0.0.1 5123 10.0.0.1 80 HTTP/1.1 GET /\r 503 1 QueueFull -",
])
# A record wrapped by whoever copied the log: the reference path joins the pieces.
WRAPPED = st.builds(lambda line, at: line.replace(" ", "\n", at % 10 + 3).replace("\n", " ", at % 10 + 2),
                    DATA_LINE, st.integers(0, 9))
LINE = st.one_of(DATA_LINE, DATA_LINE, DATA_LINE, ODD_LINE, WRAPPED)


@compiled
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, min_size=1, max_size=60), crlf=st.booleans(), block_bytes=st.sampled_from([64, 301, 4096]),
       limit=st.sampled_from([200, reader.MAX_LINE_BYTES]))
def test_compiled_equals_python_on_generated_logs(lines, crlf, block_bytes, limit, tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("gen") / "httperr1.log"
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("ascii"))
    with monkeypatch.context() as patch:
        patch.setattr(reader, "BLOCK_BYTES", block_bytes)
        patch.setattr(reader, "MAX_LINE_BYTES", limit)
        compiled_path, python_path, line_path = parse_three_ways(path)
    assert compiled_path == python_path == line_path


@compiled
@pytest.mark.parametrize("block_bytes", [64, 4096])
def test_a_wrapped_line_waits_for_the_reference_path_even_across_blocks(block_bytes, tmp_path, monkeypatch):
    """A cut line, a good line, then a piece: the cut line is taken alone before the good line is counted."""
    monkeypatch.setattr(reader, "BLOCK_BYTES", block_bytes)
    path = tmp_path / "httperr1.log"
    path.write_text("2025-12-31 09:59:30 10.0.0.1 5123 10.0.0.1 80 HTTP/1.1 GET / 503 1 QueueFull -\n"
                    "2025-01-01 10:00:00 10.0.0.1 80\n"
                    "2025-12-31 09:59:31 10.0.0.1 5123 10.0.0.1 80 HTTP/1.1 GET / 503 1 QueueFull -\n"
                    "HTTP/1.1 GET /x - 1 Connection_Dropped DefaultAppPool\n")
    compiled_path, python_path, line_path = parse_three_ways(path)
    assert compiled_path == python_path == line_path
    assert compiled_path[1] == [(2, "4 fields where the #Fields: header has 13, and no single reason phrase to rescue")]


@compiled
def test_overflowing_minute_widens_the_day_exactly():
    """65,535 is the most a day's uint16 slot holds; the scanner leaves the line that would wrap to Python."""
    lines = ["2025-03-01 10:00:01 - - - - - - - - - 65000_Connections_Refused -",
             "2025-03-01 10:00:02 - - - - - - - - - 1000_Connections_Refused -",
             "2025-03-01 10:00:03 - - - - - - - - - 1000_Connections_Refused -"]
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"overflow-{os.getpid()}.log"
    path.write_text("\n".join(lines) + "\n")
    try:
        stats = httperr.parse(EvidenceFile.from_path(path).lines()).stats
    finally:
        path.unlink()
    assert stats.per_minute["Connections_Refused", "2025-03-01 10:00"] == 67000
    assert stats.reasons["Connections_Refused"] == 67000 and stats.reason_lines["Connections_Refused"] == 3
    assert stats.first_seen["Connections_Refused"] == "2025-03-01 10:00:01"
    assert stats.last_seen["Connections_Refused"] == "2025-03-01 10:00:03"


def scan_state(columns=bytes([8, 9, 11, 12]), **change) -> ScanState:
    """A ScanState for the default layout knowing one key, its attributes changed as asked."""
    counts = minutes.MinuteCounts()
    tables = ScanTables()
    tables.register(b"- - Timer_ConnectionIdle -", ("Timer_ConnectionIdle", 1, None, None, "-", False), 1)
    state = ScanState(columns, 12, tables, counts, {b"2025-03-01"})
    for name, value in change.items():
        setattr(tables if hasattr(tables, name) and name not in ScanState.__slots__ else state, name, value)
    return state


@pytest.mark.parametrize("chosen", KERNELS)
def test_scanner_refuses_tables_out_of_step_rather_than_writing_past_them(chosen):
    block = b"2025-03-01 10:00:01 - - - - - - - - - Timer_ConnectionIdle -\n"

    def call(columns=bytes([8, 9, 11, 12]), **change):
        return chosen.scan(scan_state(columns, **change), block, 0, 1)

    with pytest.raises(ValueError):
        call(ids={b"- - Timer_ConnectionIdle -": 5})
    with pytest.raises(ZeroDivisionError):  # whatever the day factory raises reaches Python
        call(open_day=lambda key: 1 / 0, days={})
    with pytest.raises((ValueError, IndexError)):  # a reason id past the wishes
        call(reason_of=array("I", [3]))
    if chosen is kernel.COMPILED:  # checks the twin leaves to Python itself
        for change in (dict(ends=array("q")), dict(bounds=bytearray(3)), dict(reason_of=array("H", [0]))):
            with pytest.raises(ValueError):
                call(**change)
        with pytest.raises(TypeError):
            call(days=[])
        with pytest.raises(TypeError):
            call(keys=["Timer_ConnectionIdle"])
        with pytest.raises(ValueError):  # a key column past the last field
            call(bytes([8, 13]))
        with pytest.raises(TypeError):
            chosen.scan(block)
    state = scan_state()
    assert chosen.scan(state, block, 0, 1)[:3] == (chosen.DONE, len(block), 2)
    assert state.tables.ends[0] == 1 and state.days[("Timer_ConnectionIdle", "2025-03-01")][600] == 1
    assert state.found == [(0, 1)]


@compiled
@settings(max_examples=200, deadline=None)
@given(hours=st.lists(st.one_of(st.just(0), st.integers(-3, 9), st.integers(-2**63, 2**63 - 1)), max_size=300))
def test_compiled_sorted_busy_equals_python(hours):
    """The busy hours of a series, smallest first, on both kernels (zeros left out, any sign, any size)."""
    counts = array("q", hours)
    assert kernel.COMPILED.sorted_busy(counts) == kernel.PYTHON.sorted_busy(counts) == sorted(h for h in hours if h)
    for chosen in KERNELS:
        with pytest.raises(ValueError):
            chosen.sorted_busy(array("I", [1, 2]))


@compiled
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(busy=st.dictionaries(st.integers(0, 1439), st.integers(1, 65535), max_size=900))
def test_compiled_sparse_day_equals_python(busy):
    day = array("H", bytes(2 * 1440))
    for slot, n in busy.items():
        day[slot] = n
    compiled_form = dayforms.quiet_form(day, kernel.COMPILED)
    python_form = dayforms.quiet_form(day, kernel.PYTHON)
    assert compiled_form == python_form
    if len(busy) < minutes.SPARSE_BELOW:
        assert list(compiled_form) == sorted(busy) + [busy[s] for s in sorted(busy)]
    else:
        assert compiled_form is None
    for chosen in KERNELS:
        with pytest.raises(ValueError):
            chosen.busy_minutes(array("I", day), 720)


@compiled
def test_url_scan_past_the_cap_keeps_the_busy_url_on_every_path(tmp_path):
    """A scanner probing 12,000 URLs between requests for one page: past URL_CAP the URLs are thinned,
    the same way by both kernels, and every path keeps the busy page with a count at most N/(cap/2+1) low."""
    path = tmp_path / "httperr1.log"
    lines = [f"2025-03-01 10:{i // 600 % 60:02d}:{i % 60:02d} 10.0.0.9 5123 10.0.0.1 80 HTTP/1.1 GET "
             f"{'/login.aspx' if i % 4 == 0 else f'/probe{i}.php'} 404 1 NotFound -" for i in range(16_000)]
    path.write_text("\n".join(lines) + "\n")
    compiled_path, python_path, line_path = parse_three_ways(path)
    assert compiled_path == python_path
    for stats in (compiled_path[0], line_path[0]):
        urls = stats["urls"]["NotFound"]
        assert len(urls) <= httperr.URL_CAP and urls.distinct() > httperr.URL_CAP and urls.total == 16_000
        assert urls.most_common(1)[0][0] == "/login.aspx"
        assert 4000 - 16_000 / (httperr.URL_CAP // 2 + 1) <= urls["/login.aspx"] <= 4000
        assert urls.others() == 16_000 - sum(urls.values()) and stats["reasons"]["NotFound"] == 16_000
    assert any("more than 5,000 distinct NotFound URLs" in note for note in compiled_path[2])


@compiled
def test_examples_are_the_first_lines_of_each_reason_even_with_many_reasons(tmp_path, monkeypatch):
    """40 reasons in one block: more than the scanner tracks per call, so it hands examples back early."""
    path = tmp_path / "httperr1.log"
    reasons = [f"Reason_{n:02d}" for n in range(40)]
    lines = [f"2025-03-01 10:00:{i % 60:02d} 10.0.0.9 5123 10.0.0.1 80 HTTP/1.1 GET / 400 1 {reasons[i % 40]} -"
             for i in range(400)]
    path.write_text("\n".join(lines) + "\n")
    compiled_path, python_path, line_path = parse_three_ways(path)
    assert compiled_path == python_path == line_path
    examples = compiled_path[0]["examples"]
    assert [ref.line for ref in examples["Reason_07"]] == [8, 48, 88, 128, 168]


@compiled
@given(data=st.binary(max_size=2000))
def test_compiled_newline_count_equals_bytes_count(data):
    assert kernel.COMPILED.newlines(data) == kernel.PYTHON.newlines(data) == data.count(b"\n")
    assert kernel.COMPILED.newlines(b"\n" * 1000 + data) == 1000 + data.count(b"\n")  # past the 255-byte chunks


@compiled
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.lists(minute_entry, max_size=12), second=st.lists(minute_entry, max_size=12), compact=st.booleans())
def test_compiled_minute_reads_equal_python(first, second, compact):
    """peaks, span and buckets read by the compiled helpers, dense days and sparse alike."""
    built = []
    for chosen in (kernel.COMPILED, kernel.PYTHON):
        counts = minutes.MinuteCounts()
        for part in (first, second):
            one = filled(list(expand(part)))
            counts.update(one.compact(chosen) if compact else one, chosen)
        built.append(counts)
    assert built[0].days.keys() == built[1].days.keys() and built[0].sparse == built[1].sparse
    assert reads(built[0], kernel.COMPILED) == reads(built[0], kernel.PYTHON) == reads(built[1], kernel.PYTHON)


@compiled
@pytest.mark.parametrize("attack,values", [("phrases", 300), ("queues", 1500), ("statuses", 1500), ("urls", 25_000)])
def test_bounded_counts_are_the_same_on_every_path(attack, values, tmp_path):
    """Past the caps (unknown phrases of their own, queue and status values, the kernel's key tables
    started afresh within a file) both kernels agree exactly; the reference path, which thins a
    counter as each line comes rather than after each block, keeps the same guarantees."""
    sys.path.insert(0, str(ROOT / "bench"))
    from attack import write_attack

    compiled_path, python_path, line_path = parse_three_ways(write_attack(attack, values, tmp_path))
    assert compiled_path == python_path
    if attack == "phrases":
        assert compiled_path == line_path
    for stats in (compiled_path[0], line_path[0]):
        assert stats["records"] == values
        if attack == "phrases":
            assert len(stats["reasons"]) == 101 and stats["reasons"]["Other_Unknown_Phrases"] == values - 100
        else:
            counts = {"queues": stats["queues"], "statuses": stats["statuses"],
                      "urls": stats["urls"].get("Connection_Dropped")}[attack]
            assert len(counts) <= counts.capacity < counts.distinct() and counts.total == values
            assert counts.others() == values - sum(counts.values())
