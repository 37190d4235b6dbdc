"""A PoolMon screen speaks against a leaking driver only when no bigger tag can be off it."""
from __future__ import annotations

import shutil

from conftest import EXAMPLES, diagnose_json

HEADER = (" Memory: 4193784K Avail: 1237012K  PageFlts:  1542   InRam Krnl: 5632K P:112340K\n"
          " Commit:2062116K Limit:6241588K Peak:2415132K            Pool N:111616K P:98304K\n"
          " System pool information\n"
          " Tag  Type     Allocs            Frees            Diff   Bytes       Per Alloc\n\n")
# Eight rows sorted by allocations (poolmon's 'a'), each tag about 1% of Pool N.
BY_ALLOCATIONS = [
    " Even Nonp    34521223 (  20)   34499123 (  28)    22100   1153433 (    0)     52",
    " Irp  Nonp    29812374 (   0)   29790114 (  33)    22260   1194304 (    0)     53",
    " TCPt Nonp     5512311 (  24)    5501290 (  17)    11021    907872 (    0)     82",
    " AfdE Nonp     4412341 (   0)    4410021 (   3)     2320    786432 ( 1536)    338",
    " UlHT Nonp      881234 (   3)     879001 (  31)     2233    752512 ( 4096)    337",
    " Thre Nonp      112344 (  25)     111210 (  26)     1134    968006 ( 1536)    853",
    " MmCm Nonp       10512 (  33)       9321 (  11)     1191    553600 (    0)    464",
    " Ntfr Nonp        8512 (   3)       8321 (  11)      191    353600 (    0)   1851",
]


def _with_screen(tmp_path, rows):
    bundle = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "connections-refused", bundle)
    (bundle / "poolmon-b.txt").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return diagnose_json(bundle)


def _rules(report):
    return {step["rule"] for c in report["causes"] for step in c["reasoning"]} | {
        step["rule"] for r in report["ruled_out"] for step in r["reasons"]}


def test_eight_rows_sorted_by_allocations_cannot_rule_out_a_leaking_driver(tmp_path):
    report = _with_screen(tmp_path, BY_ALLOCATIONS)
    facts = report["servers"][0]["facts"]
    assert facts["poolmon.top_npp_tag_share"] < 0.25
    assert facts["poolmon.shows_largest_tags"] is False
    assert not {"POOL_TAGS_SPREAD_OUT", "LOAD_SPREAD_OVER_TAGS"} & _rules(report)


def test_the_same_rows_sorted_by_bytes_and_holding_the_pool_do_speak(tmp_path):
    rows = sorted(BY_ALLOCATIONS, key=lambda row: -int(row.split()[-4]))
    report = _with_screen(tmp_path, rows)
    assert report["servers"][0]["facts"]["poolmon.shows_largest_tags"] is True
    assert "POOL_TAGS_SPREAD_OUT" in _rules(report)
