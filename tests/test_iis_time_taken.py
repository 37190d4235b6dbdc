"""The IIS time-taken percentile tells the truth about long-running requests.

Outlook's RPC over HTTP channels (KB 924047's Exchange front end, tests/cases/story-rpc-over-http-npp)
stay open for many minutes; their 95th percentile once read "300,000 ms", the lower edge of an
open-ended bucket, when every one of them took longer.
"""
from __future__ import annotations

from pathlib import Path

from httperr_doctor.engine.diagnosis import diagnose

FIELDS = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
          "sc-status sc-substatus sc-win32-status time-taken")


def iis_log(folder: Path, taken_ms: list[int]) -> None:
    lines = ["#Software: Microsoft Internet Information Services 6.0", "#Version: 1.0", "#Date: 2006-06-14 07:00:00",
             f"#Fields: {FIELDS}"]
    for i, taken in enumerate(taken_ms):
        method = "RPC_IN_DATA" if i % 2 == 0 else "RPC_OUT_DATA"
        lines.append(f"2006-06-14 07:{i // 60 % 60:02d}:{i % 60:02d} 10.1.2.20 {method} /rpc/rpcproxy.dll "
                     f"exch-be01.contoso.com:6001 443 CONTOSO\\user{i:04d} 10.4.{i % 250}.9 MSRPC 200 0 0 {taken}")
    (folder / "W3SVC1").mkdir(parents=True)
    (folder / "W3SVC1" / "ex060614.log").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def p95(folder: Path) -> float:
    return diagnose([str(folder)]).servers[0].facts["iis.time_taken_p95_ms"]


def test_requests_longer_than_five_minutes_are_not_reported_as_five_minutes(tmp_path):
    iis_log(tmp_path, [700_000 + 1_000 * i for i in range(200)])
    assert 700_000 < p95(tmp_path) <= 1_800_000


def test_requests_beyond_the_last_bucket_report_the_longest_seen(tmp_path):
    iis_log(tmp_path, [4_000_000 + 10 * i for i in range(100)])
    assert p95(tmp_path) == 4_000_990


def test_ordinary_requests_keep_their_bucket(tmp_path):
    iis_log(tmp_path, [120 + i for i in range(300)])
    assert p95(tmp_path) == 500
