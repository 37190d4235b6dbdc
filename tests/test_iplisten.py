"""`netsh http show iplisten` as evidence: the addresses HTTP.sys is limited to, against the sites' bindings.

The real output is from a published note about a cloned server (tests/fixtures/real/SOURCES.md);
the others are written here in its layout (tests/fixtures/iplisten/SOURCES.md).
"""
from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES, REAL, diagnose_json
from test_urlacl import app_host
from httperr_doctor.engine.evidence import read
from httperr_doctor.engine.evidence.reader import EvidenceFile
from httperr_doctor.engine.facts import derive_facts
from httperr_doctor.engine.knowledge import default_kb

IPLISTEN = FIXTURES / "iplisten"
CASES = Path(__file__).resolve().parent / "cases"


def facts_of(*paths: Path):
    results = []
    for path in paths:
        done = read(EvidenceFile.from_path(path))
        assert done.result is not None, f"{path.name}: {done.kind} {done.error}"
        results.append(done.result)
    return derive_facts(results, default_kb())


def test_addresses_are_read_one_a_line_with_the_prompt_left_out():
    done = read(EvidenceFile.from_path(IPLISTEN / "one-site-address.txt"))
    assert done.kind == "iplisten" and not done.skips
    assert [(r.data.address, r.source.line) for r in done.result.records] == [("10.1.2.21", 6), ("fe80::5efe:10.1.2.21", 7)]
    real = read(EvidenceFile.from_path(REAL / "netsh_http_show_iplisten_cloned_server.txt"))
    assert [r.data.address for r in real.result.records] == ["192.168.33.1", "127.0.0.0", "127.0.0.1"]


def test_a_line_that_is_no_address_is_a_counted_skip(tmp_path):
    path = tmp_path / "iplisten.txt"
    path.write_text("IP addresses present in the IP listen list:\r\n----\r\n    10.1.2.20\r\n    web01\r\n", encoding="ascii")
    done = read(EvidenceFile.from_path(path))
    assert [r.data.address for r in done.result.records] == ["10.1.2.20"]
    assert [s.reason for s in done.skips] == ["'web01' is not an IP address"]


def test_an_empty_list_rules_the_cause_out():
    facts = facts_of(IPLISTEN / "empty.txt")
    assert facts.value("iplisten.addresses") == 0 and "iplisten.only_loopback" not in facts
    report = diagnose_json(IPLISTEN / "empty.txt")
    assert "ip-listen-list-excludes-site" in [c["id"] for c in report["servers"][0]["ruled_out"]]


def test_a_bound_address_left_out_of_the_list(tmp_path):
    facts = facts_of(IPLISTEN / "one-site-address.txt", app_host(tmp_path, ["http 10.1.2.20:80:", "https *:443:"]))
    assert (facts.value("iplisten.bindings_left_out"), facts.value("iplisten.left_out_address")) == (1, "10.1.2.20")
    assert facts.value("iplisten.only_loopback") is False
    assert facts["iplisten.bindings_left_out"].how == "site Shop is bound to 10.1.2.20:80, which the list leaves out"


def test_a_listed_address_or_any_address_keeps_the_binding(tmp_path):
    listed = facts_of(IPLISTEN / "one-site-address.txt", app_host(tmp_path, ["http 10.1.2.21:80:"]))
    assert listed.value("iplisten.bindings_left_out") == 0 and "iplisten.left_out_address" not in listed
    wildcard = tmp_path / "any.txt"
    wildcard.write_text("IP addresses present in the IP listen list:\r\n\r\n    0.0.0.0\r\n", encoding="ascii")
    assert facts_of(wildcard, app_host(tmp_path, ["http 10.1.2.20:80:"])).value("iplisten.bindings_left_out") == 0


def test_loopback_only_list_leads_the_report():
    server = diagnose_json(IPLISTEN / "loopback-only.txt")["servers"][0]
    assert server["facts"]["iplisten.only_loopback"] is True
    top = server["causes"][0]
    assert top["id"] == "ip-listen-list-excludes-site"
    assert top["summary"].startswith("HTTP.sys listens only on the loopback addresses")


def test_the_cloned_server_case_puts_the_listen_list_first():
    server = diagnose_json(CASES / "iplisten-cloned-server")["servers"][0]
    assert [c["id"] for c in server["causes"][:1]] == ["ip-listen-list-excludes-site"]
    assert [r["rule"] for r in server["causes"][0]["reasoning"]] == ["IPLISTEN_ENTRY_NOT_BOUND"]
    assert (server["facts"]["iplisten.unbound_listed"], server["facts"]["iplisten.unbound_address"]) == (1, "192.168.33.1")
    reservation = next(c for c in server["causes"] if c["id"] == "url-reservation-conflict")
    assert "BIND_FAILED_WITH_IPLISTEN_SET" in [r["rule"] for r in reservation["reasoning"]]


REG_KEY = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters"


def reg_query(tmp_path: Path, *values: str) -> Path:
    """`reg query` of HTTP\\Parameters as reg.exe writes it, with the value lines given."""
    path = tmp_path / "reg-http-parameters.txt"
    lines = ["", REG_KEY, "    EnableErrorLogging    REG_DWORD    0x1", *values, ""]
    path.write_bytes("\r\n".join(lines).encode("ascii"))
    return path


def test_server_2003_gives_the_list_as_listenonlylist_in_reg_query(tmp_path):
    """reg.exe joins a REG_MULTI_SZ's strings with a literal \\0; an httpcfg entry may carry a port."""
    facts = facts_of(reg_query(tmp_path, "    ListenOnlyList    REG_MULTI_SZ    192.168.16.2:80\\0127.0.0.1"))
    assert facts.value("iplisten.addresses") == 2 and facts.value("iplisten.only_loopback") is False
    assert facts["iplisten.addresses"].how == "listed: 192.168.16.2, 127.0.0.1"
    assert [(Path(s.path).name, s.line) for s in facts["iplisten.addresses"].sources] == [("reg-http-parameters.txt", 4)]


def test_http_parameters_without_listenonlylist_is_an_empty_list(tmp_path):
    facts = facts_of(reg_query(tmp_path, "    MaxFieldLength    REG_DWORD    0x8000"))
    assert facts.value("iplisten.addresses") == 0
    assert facts["iplisten.addresses"].how.startswith("ListenOnlyList is not set under HTTP\\Parameters")


def test_netsh_is_read_before_the_registry_and_an_unread_export_sets_nothing(tmp_path):
    both = facts_of(IPLISTEN / "loopback-only.txt", reg_query(tmp_path, "    ListenOnlyList    REG_MULTI_SZ    10.9.9.9"))
    assert both.value("iplisten.only_loopback") is True
    export = tmp_path / "http.reg"
    export.write_bytes(("Windows Registry Editor Version 5.00\r\n\r\n[" + REG_KEY + "]\r\n"
                        '"ListenOnlyList"=hex(7):31,00,30,00,2e,00,39,00,2e,00,39,00,2e,00,39,00,00,00,00,00\r\n').encode("ascii"))
    assert "iplisten.addresses" not in facts_of(export)


def test_the_sbs_2003_story_reads_the_old_address_from_the_registry():
    server = diagnose_json(CASES / "story-iplisten-old-address")["servers"][0]
    assert server["facts"]["iplisten.addresses"] == 1
    top = server["causes"][0]
    assert top["id"] == "ip-listen-list-excludes-site"
    assert top["summary"].startswith("The IP listen list names 192.168.16.2, which HTTP.sys could not bind")


def system_log(tmp_path: Path, *addresses: str) -> Path:
    """A System log export with one HttpEvent 15005 for each address:port, as `wevtutil qe System /f:text` writes it."""
    events = tmp_path / "system-events.txt"
    lines = []
    for address in addresses:
        lines += ["Log Name:      System", "Source:        Microsoft-Windows-HttpEvent", "Date:          3/10/2015 7:42:00 AM",
                  "Event ID:      15005", "Task Category: None", "Level:         Error", "Keywords:      Classic", "User:          N/A",
                  "Computer:      WEB01.corp.contoso.com", "Description:",
                  f"Unable to bind to the underlying transport for {address}. The IP Listen-Only list may contain a reference "
                  "to an interface which may not exist on this machine.  The data field contains the error number.", ""]
    events.write_bytes("\r\n".join(lines).encode("ascii"))
    return events


def test_a_bind_failure_for_an_address_off_the_list_or_for_any_address_is_not_the_lists(tmp_path):
    """15005 for 0.0.0.0 means the port is taken, not a missing interface; an address off the list is not one it names."""
    events = system_log(tmp_path, "0.0.0.0:80", "10.9.9.9:443")
    listed = reg_query(tmp_path, "    ListenOnlyList    REG_MULTI_SZ    0.0.0.0\\010.1.2.20")
    facts = facts_of(listed, events)
    assert facts.value("event.http_bind_failed.count") == 2
    assert facts.value("iplisten.unbound_listed") == 0 and "iplisten.unbound_address" not in facts


def test_every_listed_address_that_failed_is_named_however_the_event_writes_it(tmp_path):
    events = system_log(tmp_path, "10.1.2.20:80", "[FE80::0:1]:443", "10.1.2.20:443")
    listed = reg_query(tmp_path, "    ListenOnlyList    REG_MULTI_SZ    10.1.2.20\\0fe80::1\\0127.0.0.1")
    facts = facts_of(listed, events)
    assert (facts.value("iplisten.unbound_listed"), facts.value("iplisten.unbound_address")) == (2, "10.1.2.20")
    assert facts["iplisten.unbound_listed"].how == "HttpEvent 15005 names 10.1.2.20 (2 events), fe80::1 (1 event), entries of the list"
    assert facts["iplisten.unbound_address"].how == "HttpEvent 15005 names 10.1.2.20 (2 events), an entry of the list"
