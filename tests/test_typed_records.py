"""Every parser hands the facts steps typed records: each record's `data` is a dataclass
of the parser's own, never a dict read by string keys, so a renamed field fails where
it is read instead of quietly reading None.

Every evidence file the repository holds is parsed (the examples, the fixtures and the
case library) and a binary .evtx is written, so each parser that yields records is seen.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path

from conftest import EXAMPLES, FIXTURES, ROOT
from httperr_doctor.engine.evidence import PARSERS, ReadFile, iter_files, read

# Parsers whose lines are only counted into a mergeable `stats` aggregate, never records.
AGGREGATE_ONLY = {"httperr", "iislog", "netstat"}


def _evtx(folder: Path) -> Path:
    from evtx_writer import write_evtx

    path = folder / "System.evtx"
    write_evtx(path, [{"source": "Microsoft-Windows-WAS", "event_id": 5002, "level": 2, "time": "2016-10-14T14:33:42.000000Z",
                       "computer": "COLOSSUS.corp.example.com", "data": {"AppPoolID": "WsusPool"}}])
    return path


def _data_types_by_kind(paths: list[str]) -> dict[str, set[type]]:
    found: dict[str, set[type]] = defaultdict(set)
    for item in iter_files(paths):
        done = item if isinstance(item, ReadFile) else read(item)
        for record in done.result.records if done.result is not None else ():
            assert record.kind == done.kind, f"{done.path}: a {record.kind} record in a {done.kind} file"
            found[done.kind].add(type(record.data))
    return found


def test_every_parser_yields_records_whose_data_is_a_dataclass(tmp_path):
    found = _data_types_by_kind([str(EXAMPLES), str(FIXTURES), str(ROOT / "tests" / "cases"), str(_evtx(tmp_path))])
    assert set(found) == {parser.KIND for parser in PARSERS} - AGGREGATE_ONLY
    untyped = {kind: sorted(t.__name__ for t in types if not dataclasses.is_dataclass(t)) for kind, types in found.items()}
    assert not any(untyped.values()), untyped


def test_the_event_parsers_share_one_record_type(tmp_path):
    found = _data_types_by_kind([str(FIXTURES / "eventlog"), str(_evtx(tmp_path))])
    assert found["eventlog"] == found["evtx"] and len(found["evtx"]) == 1
