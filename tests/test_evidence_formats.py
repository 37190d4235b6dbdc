"""Each evidence parser on real and made-here files, including the awkward ones Windows writes."""
from __future__ import annotations

import codecs
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import EXAMPLES, FIXTURES, REAL
from httperr_doctor.engine.evidence import read
from httperr_doctor.engine.evidence.evtxfile import event_from_xml
from httperr_doctor.engine.evidence.reader import EvidenceFile
from httperr_doctor.engine.facts import derive_facts
from httperr_doctor.engine.knowledge import default_kb

BUNDLE = FIXTURES / "bundle-web03"


def parse(path: Path):
    done = read(EvidenceFile.from_path(path))
    assert done.result is not None, f"{path.name}: {done.kind} {done.error}"
    return done


def facts_of(*paths: Path, zone=None):
    return derive_facts([parse(p).result for p in paths], default_kb(), zone=zone)


# --- HTTPERR: every real sample, and `records + skipped == data lines` --------------------

def data_lines(path: Path) -> int:
    text = EvidenceFile.from_path(path)
    return sum(1 for _, line in text.lines() if line.strip() and not line.startswith("#"))


HTTPERR_FILES = sorted(REAL.glob("httperr_*")) + sorted(EXAMPLES.glob("*/HTTPERR/*.log")) + [BUNDLE / "HTTPERR" / "httperr12.log"]
NOT_HTTPERR = {"httperr_ocollector_error2_comment.txt"}  # lines quoted inside Perl comments (`# 2011-...`)


@pytest.mark.parametrize("path", HTTPERR_FILES, ids=lambda p: p.name)
def test_every_httperr_line_is_a_record_or_a_skip(path):
    done = read(EvidenceFile.from_path(path))
    if path.name in NOT_HTTPERR:
        assert done.kind == "unknown"
        return
    assert done.kind == "httperr"
    assert done.result.stats.records + len(done.skips) == data_lines(path) == done.result.data_lines


def test_iis6_lines_without_a_queue_field_keep_their_url():
    stats = parse(REAL / "httperr_chrisad_2007_connection_dropped_SOURCEBLOG.txt").result.stats
    assert stats.reasons["Connection_Dropped"] == 3
    assert stats.urls["Connection_Dropped"]["/URL/Page"] == 2  # the third line's `/URL/Page-` typo stays unread


def test_a_line_quoted_without_date_and_addresses_is_read_from_the_end():
    done = parse(REAL / "httperr_ms_arr502_connection_dropped.txt")
    assert done.kind == "httperr"
    assert done.result.stats.queues[("Connection_Dropped", "DefaultAppPool")] == 1


def test_lines_wrapped_by_a_web_page_are_joined():
    done = parse(REAL / "httperr_sumologic_iis10_legacy_sample.txt")
    stats = done.result.stats
    assert dict(stats.reasons) == {"Forbidden": 1, "LengthRequired": 1, "Timer_ConnectionIdle": 1}
    assert stats.untimed == 0
    assert [s.line for s in done.skips] == [2, 3, 5]
    assert all("wrapped" in s.reason for s in done.skips)


def test_new_fields_block_mid_file_switches_layout():
    stats = parse(REAL / "httperr_plaso_httperr_restart.log").result.stats
    assert stats.layouts == {"13 fields": 4, "18 fields": 2}
    assert stats.queues[("QueueFull", "MyAppPool")] == 1


def test_utf16_copy_of_an_httperr_log_gives_the_same_counts(tmp_path):
    original = EXAMPLES / "connections-refused" / "HTTPERR" / "httperr3.log"
    copy = tmp_path / "httperr3-ps5.log"
    copy.write_bytes(codecs.BOM_UTF16_LE + original.read_text(encoding="utf-8").replace("\n", "\r\n").encode("utf-16-le"))
    a, b = parse(original), parse(copy)
    assert b.encoding == "utf-16-le"
    assert a.result.stats.reasons == b.result.stats.reasons
    assert a.result.stats.per_minute == b.result.stats.per_minute
    assert (a.result.stats.records, len(a.skips)) == (b.result.stats.records, len(b.skips))


def test_truncated_last_line_is_counted_not_lost(tmp_path):
    original = EXAMPLES / "connections-refused" / "HTTPERR" / "httperr3.log"
    cut = tmp_path / "httperr3.log"
    data = original.read_bytes().rstrip(b"\n")
    cut.write_bytes(data[: data.rfind(b"\n") + 25])  # the last line stops after date, time and a bit
    done = parse(cut)
    assert done.result.stats.records + len(done.skips) == data_lines(cut)
    assert len(done.skips) == 1 and done.skips[0].line == len(data.split(b"\n"))


# --- bcdedit --------------------------------------------------------------------------

def test_bcdedit_real_windows10_output_has_no_increaseuserva():
    done = parse(FIXTURES / "bcdedit" / "bcdedit_win10_packt_real.txt")
    assert done.kind == "bcdedit" and not done.skips
    current = [r for r in done.result.records if r.data.is_current]
    assert [r.data.heading for r in current] == ["Windows Boot Loader"]
    facts = derive_facts([done.result], default_kb())
    assert facts.value("boot.switch_3gb") is False and "boot.increaseuserva_mb" not in facts


def test_bcdedit_increaseuserva_sets_the_3gb_fact_with_its_line():
    facts = facts_of(BUNDLE / "bcdedit.txt")
    assert facts.value("boot.increaseuserva_mb") == 3072
    assert facts.value("boot.switch_3gb") is True
    assert "from bcdedit" in facts["boot.switch_3gb"].how
    assert [str(s) for s in facts["boot.increaseuserva_mb"].sources] == [f"{BUNDLE / 'bcdedit.txt'}:29"]
    assert facts.value("boot.pae") is True


def test_bcdedit_localised_utf16():
    done = parse(FIXTURES / "bcdedit" / "bcdedit_de_utf16.txt")
    assert done.kind == "bcdedit" and done.encoding == "utf-16-le"
    loader = next(r for r in done.result.records if r.data.is_current)
    assert loader.data.heading == "Windows-Startladeprogramm"
    assert derive_facts([done.result], default_kb()).value("boot.increaseuserva_mb") == 2900


# --- perfmon / typeperf ---------------------------------------------------------------

def test_perfmon_npp_leak_and_queue_facts_with_utc_times():
    facts = facts_of(BUNDLE / "npp-queues.csv")
    assert facts.value("perf.npp_first_mb") == pytest.approx(190.12, abs=0.01)
    assert facts.value("perf.npp_last_mb") == pytest.approx(453.99, abs=0.01)
    assert facts.value("perf.npp_growth_mb") == pytest.approx(263.87, abs=0.01)
    assert facts.value("perf.npp_steady_rise") is True
    assert facts.value("perf.queue_peak") == 200
    assert facts.value("perf.rejected_requests") == 905
    assert facts.value("perf.cpu_peak_pct") == pytest.approx(73.127, abs=0.001)
    # 08:00 EDT (bias 240) is 12:00 UTC.
    assert "at 2009-08-12 12:00 UTC" in facts["perf.npp_first_mb"].how
    assert facts.value("memory.npp_used_mb") == facts.value("perf.npp_last_mb")
    assert any("bias 240" in note for note in facts.time_notes)


def test_perfmon_awkward_copy_utf16_repeated_header_blank_cells_truncated_row():
    done = parse(FIXTURES / "perfmon" / "typeperf_web03_utf16_repeated_header_truncated.csv")
    assert done.kind == "perfmon" and done.encoding == "utf-16-le"
    assert len(done.result.stats.headers) == 2
    assert done.result.stats.records == 9
    assert [s.line for s in done.skips] == [12]  # the truncated last row
    assert done.result.stats.records + len(done.skips) == done.result.data_lines
    blank = done.result.records[-1]
    assert list(blank.data.values) == ["\\\\WEB03\\Memory\\Pool Paged Bytes"]
    assert any("joined" in note for note in done.result.notes)


def test_perfmon_real_sample_and_negative_bias():
    real = parse(FIXTURES / "perfmon" / "perfmon_sql01_linchi_shea_real.csv")
    assert real.result.host == "SQL01" and real.result.stats.records == 3
    assert real.result.records[0].time == datetime(2002, 9, 8, 16, 35, 45, 166000, tzinfo=timezone.utc)
    india = parse(FIXTURES / "perfmon" / "typeperf_ist_negative_bias.csv")
    assert india.result.records[0].time == datetime(2024, 3, 1, 3, 30, tzinfo=timezone.utc)
    facts = derive_facts([india.result], default_kb())
    assert facts.value("perf.cpu_peak_pct") == 97.25  # from `Processor Information(_Total)`
    assert facts.value("perf.npp_steady_rise") is False


# --- event logs -----------------------------------------------------------------------

def test_real_event_viewer_copies_count_was_events():
    facts = facts_of(REAL / "event_was_5117_5002_wsuspool.txt", REAL / "event_was_5013_ms_kb2634635.txt",
                     REAL / "event_w3svc_1009_iis6_murphybooth.txt")
    assert facts.value("event.was_private_bytes_recycle.count") == 1
    assert facts.value("event.was_rapid_fail.count") == 1
    assert facts.value("event.was_shutdown_timeout.count") == 1
    assert facts.value("event.was_crash.count") == 1  # the IIS 6 W3SVC 1009
    assert "WsusPool" in facts["event.was_rapid_fail.count"].how


def test_event_local_times_use_the_systeminfo_zone_and_say_so():
    facts = facts_of(BUNDLE / "systeminfo.txt", BUNDLE / "system-events.txt")
    assert facts.value("event.srv_2019.count") == 2
    assert facts.value("event.was_crash.count") == 2 and facts.value("event.was_ping_failure.count") == 1
    # 1:35:01 PM EDT = 17:35 UTC.
    assert "first 2009-08-12 17:35 UTC" in facts["event.was_rapid_fail.count"].how
    assert facts.time_notes == ['event-log local times converted with America/New_York '
                                '(from systeminfo Time Zone "(GMT-05:00) Eastern Time (US & Canada)")']


def test_tz_option_wins_and_unknown_zone_is_said():
    from httperr_doctor.engine.timezones import parse_tz_option

    facts = facts_of(BUNDLE / "system-events.txt", zone=parse_tz_option("+02:00"))
    assert "first 2009-08-12 11:35 UTC" in facts["event.was_rapid_fail.count"].how
    assert "UTC+02:00 (from --tz)" in facts.time_notes[0]
    bare = facts_of(BUNDLE / "system-events.txt")
    assert "zone unknown" in bare["event.was_rapid_fail.count"].how
    assert "zone unknown" in bare.time_notes[0]


def test_event_viewer_csv_export_with_multiline_messages():
    done = parse(BUNDLE / "application-events.csv")
    assert done.kind == "eventlog" and not done.skips
    assert [r.data.event_id for r in done.result.records] == [1309, 1000, 17137, 1309]
    assert done.result.records[2].source.line == 12  # line numbers follow multi-line cells
    assert "OutOfMemoryException" in done.result.records[0].data.description
    assert derive_facts([done.result], default_kb()).value("event.app_errors.count") == 2  # the warning and SQL rows do not count


def test_wevtutil_text_real_and_localised():
    real = parse(FIXTURES / "eventlog" / "wevtutil_text_real.txt")
    assert [(r.data.event_id, r.data.host) for r in real.result.records] == [(6009, "WIN-UFKT7P1ELHE"), (10016, "GISEONG-PC")]
    german = parse(FIXTURES / "eventlog" / "wevtutil_text_de_utf16.txt")
    assert [(r.data.event_id, r.data.level, r.data.pool) for r in german.result.records] == [
        (5002, "error", "ShopPool"), (5009, "warning", "ShopPool")]
    assert german.result.host == "IIS-BER-02"


def test_server_2003_event_copy_with_tabs_and_data_dump():
    done = parse(FIXTURES / "eventlog" / "eventviewer_2003_srv2019_w3svc1002.txt")
    assert [(r.data.source, r.data.event_id) for r in done.result.records] == [("Srv", 2019), ("W3SVC", 1002)]
    assert done.result.records[0].data.local == datetime(2007, 11, 13, 14, 5, 44)
    facts = derive_facts([done.result], default_kb())
    assert facts.value("event.srv_2019.count") == 1 and facts.value("event.was_rapid_fail.count") == 1


def test_evtx_event_xml_is_read_and_entities_refused():
    event = event_from_xml(
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        '<Provider Name="Srv"/><EventID Qualifiers="49152">2019</EventID><Level>2</Level>'
        '<TimeCreated SystemTime="2007-11-13T20:05:44.000000Z"/><Channel>System</Channel>'
        '<Computer>WEB01</Computer></System><EventData><Binary>00</Binary></EventData></Event>')
    assert (event.source, event.event_id, event.level, event.host) == ("Srv", 2019, "error", "WEB01")
    assert event.local == datetime(2007, 11, 13, 20, 5, 44, tzinfo=timezone.utc)
    assert event_from_xml('<Event><System><Provider Name="Srv"/><Level>2</Level></System></Event>') is None
    with pytest.raises(Exception):
        event_from_xml('<!DOCTYPE e [<!ENTITY x "y">]><Event>&x;</Event>')


def test_a_damaged_evtx_file_is_refused_by_name(tmp_path):
    broken = tmp_path / "System.evtx"
    broken.write_bytes(b"ElfFile\x00" + bytes(4088))
    done = read(EvidenceFile.from_path(broken))
    assert done.kind in ("evtx", "unknown")
    if done.kind == "unknown":
        assert "evtx" in done.error


# --- netstat, netsh, applicationHost.config, registry ------------------------------

def test_netstat_counts_connections_on_httpsys_ports():
    facts = facts_of(BUNDLE / "netstat-ano.txt")
    assert (facts.value("netstat.established"), facts.value("netstat.time_wait"), facts.value("netstat.close_wait")) == (46, 300, 12)
    assert "ports 80, 443" in facts["netstat.established"].how  # the RDP and SQL connections are left out


def test_netstat_german_utf16():
    done = parse(FIXTURES / "netstat" / "netstat_ano_de_utf16.txt")
    stats = done.result.stats  # German state names read as the English ones
    assert 80 in stats.system_ports and {state for _, state in stats.tcp} == {"ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT"}
    facts = derive_facts([done.result], default_kb())
    assert facts.value("netstat.established") == 2  # port 445 is not an HTTP.sys port


def test_netsh_real_outputs():
    iot = parse(REAL / "netsh_http_show_servicestate_iotbay.txt")
    assert not iot.skips
    assert [r.data.section for r in iot.result.records] == ["session", "urlgroup", "session", "urlgroup", "queue", "queue"]
    groups = [r.data for r in iot.result.records if r.data.section == "urlgroup"]
    assert [g.items for g in groups] == [["HTTP://*:5357/4C2CDC17-BEFE-4441-899A-CC530F03F2DF/"], ["HTTP://LOCALHOST:8080/"]]
    assert [g.values["max connections"] for g in groups] == ["inherited", "inherited"]
    facts = derive_facts([iot.result], default_kb())
    assert (facts.value("netsh.queue_max_requests_min"), facts.value("netsh.min_send_rate"), facts.value("netsh.idle_timeout_s")) == (1000, 150, 120)
    kb = derive_facts([parse(REAL / "netsh_http_show_servicestate_session_ms_kb3137046.txt").result], default_kb())
    assert kb.value("netsh.min_send_rate") == 150
    assert "override it: FD00000340000001 4,294,967,295" in kb["netsh.min_send_rate"].how


def test_netsh_queue_view_of_the_bundle():
    facts = facts_of(BUNDLE / "netsh-servicestate.txt")
    assert facts.value("netsh.queue_max_requests_min") == 200
    assert "ShopPool" in facts["netsh.queue_max_requests_min"].how


def test_application_host_config_effective_values():
    facts = facts_of(BUNDLE / "applicationHost.config")
    assert facts.value("config.queue_length_min") == 200
    assert facts.value("config.rapid_fail_protection") is True
    assert "off for Classic .NET AppPool" in facts["config.rapid_fail_protection"].how
    assert facts.value("config.max_connections_min") == 500
    assert facts.value("config.min_bytes_per_second") == 500
    assert facts.value("config.connection_timeout_s") == 60
    assert facts.value("config.header_wait_timeout_s") == 30
    assert str(facts["config.queue_length_min"].sources[0]).endswith("applicationHost.config:16")


def test_application_host_config_entity_bomb_is_refused():
    done = read(EvidenceFile.from_path(FIXTURES / "appconfig" / "applicationHost_entity_bomb.config"))
    assert done.kind == "unknown"
    assert "unsafe XML" in done.error


def test_reg_query_and_reg_export():
    facts = facts_of(BUNDLE / "reg-http-parameters.txt")
    assert facts.value("httpsys.max_connections") == 5000
    assert facts.value("httpsys.max_field_length") == 8192
    assert facts.value("httpsys.max_request_bytes") == 16384
    assert facts.value("httpsys.aggressive_memory_usage") is False
    exported = parse(FIXTURES / "regquery" / "http_parameters_export.reg")
    assert exported.encoding == "utf-16-le"
    facts = derive_facts([exported.result], default_kb())
    assert facts.value("httpsys.aggressive_memory_usage") is True
    assert facts.value("memory.npp_floor_mb") == 8
    assert facts.value("httpsys.max_field_length") == 65534


# --- poolmon /n snapshots over time -------------------------------------------------

def test_poolmon_snapshot_files_over_time_give_the_growing_tag():
    facts = facts_of(BUNDLE / "poolsnap-0800.log", BUNDLE / "poolsnap-1400.log")
    assert facts.value("poolmon.snapshots") == 2
    assert facts.value("poolmon.growth_tag") == "AvFl"
    assert facts.value("poolmon.growth_tag_mb") == pytest.approx((395_000_000 - 120_000_000) / 1024 / 1024, abs=0.01)
    assert facts.value("poolmon.npp_total_mb") == pytest.approx(459_800 / 1024, abs=0.01)


def test_poolmon_old_right_aligned_tags_and_totals_lines():
    done = parse(FIXTURES / "poolmon" / "poolmon_old_layout_totals.txt")
    assert [(r.data.tag, r.data.pool_type) for r in done.result.records] == [
        ("AvSc", "Nonp"), ("Io", "Nonp"), ("Thre", "Nonp"), ("MmSt", "Paged")]
    assert not done.skips  # the Total lines are sums, not problems
    assert derive_facts([done.result], default_kb()).value("poolmon.top_npp_tag") == "AvSc"


def test_poolmon_x64_layout_with_mapped_driver():
    done = parse(FIXTURES / "poolmon" / "poolmon_x64_mapped_driver.txt")
    rows = {r.data.tag: r.data for r in done.result.records}
    assert rows["ConT"].bytes == 42770432 and rows["ConT"].driver == "Unknown Driver"
    assert rows["Thre"].driver == "[nt!ps - Thread objects]"


def test_binary_evtx_is_read_through_the_evtx_package(tmp_path):
    from evtx_writer import write_evtx

    path = tmp_path / "System.evtx"
    write_evtx(path, [
        {"source": "Srv", "event_id": 2019, "level": 2, "time": "2009-08-12T17:05:12.000000Z", "computer": "WEB03.contoso.local"},
        {"source": "Microsoft-Windows-WAS", "event_id": 5009, "level": 3, "time": "2009-08-12T17:32:15.000000Z",
         "computer": "WEB03.contoso.local", "data": {"AppPoolID": "ShopPool", "ProcessID": "5332", "ExitCode": "ff"}},
        {"source": "Microsoft-Windows-WAS", "event_id": 5002, "level": 2, "time": "2009-08-12T17:35:01.000000Z",
         "computer": "WEB03.contoso.local", "data": {"AppPoolID": "ShopPool"}},
    ])
    done = parse(path)
    assert done.kind == "evtx" and not done.skips
    assert [(r.data.event_id, r.data.level) for r in done.result.records] == [(2019, "error"), (5009, "warning"), (5002, "error")]
    assert done.result.host == "WEB03"
    assert [r.source.line for r in done.result.records] == [1, 2, 3]  # event record ids
    facts = derive_facts([done.result], default_kb())
    assert facts.value("event.srv_2019.count") == 1 and facts.value("event.was_crash.count") == 1
    assert facts["event.was_rapid_fail.count"].how == "1 event, ID 5002, first 2009-08-12 17:35 UTC, last 2009-08-12 17:35 UTC; application pool ShopPool"
    assert facts.time_notes == []  # .evtx times are UTC already: no zone needed


@pytest.mark.parametrize("first, second", [("WEB03", "WEB04"), ("WEB04", "WEB03")])
def test_an_evtx_file_of_two_computers_is_the_first_named_ones_on_a_tie(tmp_path, first, second):
    from evtx_writer import write_evtx

    path = tmp_path / "System.evtx"
    write_evtx(path, [{"source": "Srv", "event_id": 2019, "level": 2, "time": "2009-08-12T17:05:12.000000Z", "computer": name}
                      for name in (f"{first}.contoso.local", f"{second}.contoso.local")])
    assert parse(path).result.host == first
