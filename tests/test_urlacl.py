"""`netsh http show urlacl` as evidence: the reservations read, and when one takes the site's URLs for another account.

The files are real published outputs (tests/fixtures/real/, see SOURCES.md) and
Server 2012 R2/2016 lists written here in the same layout (tests/fixtures/urlacl/);
the site's bindings come from an applicationHost.config written per test.
"""
from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES, REAL, diagnose_json
from httperr_doctor.engine.evidence import read
from httperr_doctor.engine.evidence.reader import EvidenceFile
from httperr_doctor.engine.facts import derive_facts
from httperr_doctor.engine.knowledge import default_kb

URLACL = FIXTURES / "urlacl"
CASES = Path(__file__).resolve().parent / "cases"
CRLF = "\r\n"


def parsed(path: Path):
    done = read(EvidenceFile.from_path(path))
    assert done.kind == "urlacl", f"{path.name}: {done.kind} {done.error}"
    return done


def facts_of(*paths: Path, answers=None):
    results = []
    for path in paths:
        done = read(EvidenceFile.from_path(path))
        assert done.result is not None, f"{path.name}: {done.kind} {done.error}"
        results.append(done.result)
    return derive_facts(results, default_kb(), answers)


def app_host(tmp_path: Path, bindings: list[str], applications: tuple[str, ...] = ("/",)) -> Path:
    """An applicationHost.config with one site, its bindings (`protocol bindingInformation`) and applications."""
    apps = [f'<application path="{a}" applicationPool="ShopPool"><virtualDirectory path="/" physicalPath="D:\\shop" />'
            "</application>" for a in applications]
    rows = [f'<binding protocol="{b.split()[0]}" bindingInformation="{b.split()[1]}" />' for b in bindings]
    path = tmp_path / "applicationHost.config"
    path.write_text(CRLF.join([
        '<?xml version="1.0" encoding="UTF-8"?>', "<configuration>", "<system.applicationHost>",
        '<applicationPools><add name="ShopPool" /></applicationPools>', "<sites>", '<site name="Shop" id="1">',
        *apps, "<bindings>", *rows, "</bindings>", "</site>", "</sites>", "</system.applicationHost>", "</configuration>",
    ]), encoding="utf-8")
    return path


def httperr(tmp_path: Path, urls: list[str]) -> Path:
    """An HTTPERR file with one 503 N/A line per URL on port 80."""
    path = tmp_path / "HTTPERR" / "httperr1.log"
    path.parent.mkdir(exist_ok=True)
    lines = ["#Software: Microsoft HTTP API 2.0", "#Version: 1.0", "#Date: 2016-05-02 09:00:00",
             "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename"]
    lines += [f"2016-05-02 09:{i:02d}:10 10.4.8.{i + 2} 5{i:04d} 10.1.2.20 80 HTTP/1.1 GET {url} 503 - N/A -"
              for i, url in enumerate(urls)]
    path.write_text(CRLF.join(lines) + CRLF, encoding="ascii")
    return path


def systeminfo(tmp_path: Path) -> Path:
    """The server's systeminfo beside the other files, so a report holds them all under one host."""
    path = tmp_path / "systeminfo.txt"
    path.write_bytes((CASES / "urlacl-conflict" / "systeminfo.txt").read_bytes())
    return path


def urlacl_file(tmp_path: Path, *blocks: str, base: str = "server2012r2-defaults.txt") -> Path:
    """Windows' own reservations plus the given `Reserved URL` blocks."""
    path = tmp_path / "netsh-http-urlacl.txt"
    path.write_bytes((URLACL / base).read_bytes() + CRLF.join(blocks).encode("ascii") + CRLF.encode("ascii"))
    return path


def block(url: str, *users: str, sddl: str = "D:(A;;GX;;;S-1-5-21-1004336348-1177238915-682003330-51207)") -> str:
    lines = [f"    Reserved URL            : {url}"]
    for user in users:
        lines += [f"        User: {user}", "            Listen: Yes", "            Delegate: No"]
    return CRLF.join(lines + [f"            SDDL: {sddl}", ""])


# --- the parser -------------------------------------------------------------------------------------------------


def test_server_defaults_are_read_with_every_account():
    done = parsed(URLACL / "server2012r2-defaults.txt")
    reservations = [r.data for r in done.result.records]
    assert len(reservations) == 10 and not done.skips
    winrm = next(r for r in reservations if r.port == 47001)
    assert (winrm.scheme, winrm.host, winrm.path) == ("http", "+", "/wsman/")
    assert [(u.name, u.listen, u.delegate) for u in winrm.users] == [("NT SERVICE\\WinRM", True, False),
                                                                     ("NT SERVICE\\Wecsvc", True, False)]
    assert winrm.sddl.startswith("D:(A;;GX;;;S-1-5-80-569256582-")
    sstp = next(r for r in reservations if r.path.startswith("/sra_"))
    assert [u.delegate for u in sstp.users] == [True, True, True]
    assert done.result.records[0].source.line == 5


def test_real_outputs_with_and_without_indentation():
    wmsvc = parsed(REAL / "netsh_http_show_urlacl_ms_wmsvc.txt").result.records[0].data
    assert (wmsvc.url, wmsvc.scheme, wmsvc.host, wmsvc.port, wmsvc.path) == ("https://*:8172/", "https", "*", 8172, "/")
    assert [(u.name, u.listen, u.delegate) for u in wmsvc.users] == [("NT SERVICE\\WMSvc", True, False)]
    wcf = parsed(REAL / "netsh_http_show_urlacl_ms_wcf.txt").result.records[0].data
    assert (wcf.port, wcf.path, wcf.users[0].name, wcf.sddl) == (80, "/Temporary_Listen_Addresses/", "\\Everyone",
                                                                 "D:(A;;GX;;;WD)")


def test_an_empty_list_is_evidence_of_no_reservation():
    done = parsed(URLACL / "no-reservations.txt")
    assert done.result.records == [] and done.result.notes == ["the file lists no URL reservation"]


def test_a_line_that_is_no_reservation_field_is_a_counted_skip(tmp_path):
    path = urlacl_file(tmp_path, block("http://+:8080/agent/", "CONTOSO\\svc-agent"), "        Owner: somebody")
    done = parsed(path)
    assert [s.reason for s in done.skips] == ["not a User, Listen, Delegate or SDDL line of a reservation"]
    assert done.result.records[-1].data.users[0].name == "CONTOSO\\svc-agent"


# --- facts: which reservation takes the site's URLs -------------------------------------------------------------


def test_another_accounts_reservation_on_the_sites_na_path_is_a_conflict(tmp_path):
    facts = facts_of(urlacl_file(tmp_path, block("http://+:80/api/", "CONTOSO\\svc-monitor")),
                     app_host(tmp_path, ["http *:80:"]), httperr(tmp_path, ["/api/orders", "/api/status", "/"]))
    assert facts.value("urlacl.site_conflicts") == 1
    assert facts.value("urlacl.conflict_url") == "http://+:80/api/"
    assert facts.value("urlacl.conflict_accounts") == "CONTOSO\\svc-monitor"
    assert "takes path /api/orders of site Shop's binding http *:80:" in facts["urlacl.site_conflicts"].how
    assert [s.path for s in facts["urlacl.site_conflicts"].sources] == [str(tmp_path / "netsh-http-urlacl.txt"),
                                                                        str(tmp_path / "applicationHost.config")]


def test_windows_and_iis_accounts_are_not_a_conflict_even_at_the_root(tmp_path):
    """NETWORK SERVICE on http://+:80/ and an AppPool identity on the site's application are IIS's own;
    Everyone on WCF's path is Windows' default: none of them takes the site's URLs for someone else."""
    path = urlacl_file(tmp_path, block("http://+:80/", "NT AUTHORITY\\NETWORK SERVICE", sddl="D:(A;;GX;;;NS)"),
                       block("http://+:80/api/", "IIS APPPOOL\\ShopPool"))
    facts = facts_of(path, app_host(tmp_path, ["http *:80:"], ("/", "/api")),
                     httperr(tmp_path, ["/api/orders", "/Temporary_Listen_Addresses/x"]))
    assert facts.value("urlacl.site_conflicts") == 0
    assert "conflict_url" not in str(list(facts))


def test_another_port_scheme_or_host_does_not_take_the_sites_requests(tmp_path):
    path = urlacl_file(tmp_path, block("http://+:8080/api/", "CONTOSO\\svc-monitor"),
                       block("https://+:443/api/", "CONTOSO\\svc-monitor"),
                       block("http://*:80/api/", "CONTOSO\\svc-monitor"),
                       block("http://reports.contoso.com:80/api/", "CONTOSO\\svc-monitor"))
    facts = facts_of(path, app_host(tmp_path, ["http 10.1.2.20:80:shop.contoso.com"]), httperr(tmp_path, ["/api/orders"]))
    assert facts.value("urlacl.site_conflicts") == 0


def test_a_host_name_reservation_takes_the_binding_that_names_it(tmp_path):
    path = urlacl_file(tmp_path, block("http://shop.contoso.com:80/api/", "CONTOSO\\svc-monitor"))
    facts = facts_of(path, app_host(tmp_path, ["http 10.1.2.20:80:shop.contoso.com"]), httperr(tmp_path, ["/API/orders"]))
    assert facts.value("urlacl.site_conflicts") == 1


def test_a_reservation_on_an_application_of_the_site_is_a_conflict_without_httperr(tmp_path):
    path = urlacl_file(tmp_path, block("http://+:80/reports/", "NT SERVICE\\ReportServer"))
    facts = facts_of(path, app_host(tmp_path, ["http *:80:"], ("/", "/Reports")))
    assert (facts.value("urlacl.site_conflicts"), facts.value("urlacl.conflict_accounts")) == (1, "NT SERVICE\\ReportServer")


def test_without_bindings_only_a_clean_list_is_settled(tmp_path):
    elsewhere = facts_of(urlacl_file(tmp_path, block("http://+:8080/agent/", "CONTOSO\\svc-agent")),
                         httperr(tmp_path, ["/api/orders"]))
    assert elsewhere.value("urlacl.site_conflicts") == 0
    assert "on any port" in elsewhere["urlacl.site_conflicts"].how
    on_the_path = facts_of(urlacl_file(tmp_path, block("http://+:8080/api/", "CONTOSO\\svc-agent")),
                           httperr(tmp_path, ["/api/orders"]))
    assert "urlacl.site_conflicts" not in on_the_path


# --- the question is settled by the file ------------------------------------------------------------------------


def test_the_file_settles_the_question_and_an_answer_against_it_is_a_conflict(tmp_path):
    files = (urlacl_file(tmp_path), app_host(tmp_path, ["http *:80:"]), httperr(tmp_path, ["/api/orders"]))
    (server,) = diagnose_json(*files, systeminfo(tmp_path))["servers"]
    assert server["facts"]["urlacl.site_conflicts"] == 0 and server["facts"]["httperr.reason.N/A.count"] == 1
    assert "answer.urlacl_conflict" not in [n["fact"] for n in server["needs"]]
    conflict = facts_of(*files, answers={"answer.urlacl_conflict": True})
    assert [c.fact for c in conflict.conflicts] == ["answer.urlacl_conflict"]
    assert "answer.urlacl_conflict" not in conflict


def test_case_bundles_with_the_file_and_no_answers():
    conflict = diagnose_json(CASES / "urlacl-agent-api")["servers"][0]
    assert conflict["causes"][0]["id"] == "url-reservation-conflict"
    rules = {line["rule"]: line["text"] for line in conflict["causes"][0]["reasoning"]}
    assert "reserves http://+:80/api/ for CONTOSO\\svc-monitor" in rules["URLACL_TAKES_SITE_PATH"]
    normal = diagnose_json(CASES / "urlacl-normal-pool-empty")["servers"][0]
    assert normal["causes"][0]["id"] == "nonpaged-pool-exhausted"
    assert "answer.urlacl_conflict" not in [n["fact"] for n in normal["needs"]]
    ruled_out = {c["id"]: [r["rule"] for r in c["reasons"]] for c in normal["ruled_out"]}
    assert "URLACL_NO_SITE_CONFLICT" in ruled_out["url-reservation-conflict"]


def test_the_published_503_story_a_service_account_holding_the_whole_port(tmp_path):
    """IIS Support Blog (R66): a service's reservation of http://+:80/ made every request of the
    Default Web Site a 503 N/A; the file, the site's binding and one N/A line say so without answers."""
    story = tmp_path / "netsh-http-urlacl.txt"
    story.write_bytes((REAL / "netsh_http_show_urlacl_iis_blog_503.txt").read_bytes())
    files = (story, app_host(tmp_path, ["http *:80:"]), httperr(tmp_path, ["/"]))
    facts = facts_of(*files)
    assert (facts.value("urlacl.site_conflicts"), facts.value("urlacl.conflict_accounts")) == (1, "NT SERVICE\\Machine")
    assert "takes every path of site Shop's binding http *:80:" in facts["urlacl.site_conflicts"].how
    (server,) = diagnose_json(*files, systeminfo(tmp_path))["servers"]
    assert server["causes"][0]["id"] == "url-reservation-conflict"
    assert "URLACL_TAKES_SITE_PATH" in [r["rule"] for r in server["causes"][0]["reasoning"]]


# --- Windows' and IIS's own service accounts are not "another account" ------------------------------------------


WMSVC = (REAL / "netsh_http_show_urlacl_ms_wmsvc.txt").read_text(encoding="utf-8").split("URL Reservations:")[1]


def test_iis_management_service_and_winrm_are_not_another_account_without_bindings(tmp_path):
    """Server defaults (WinRM and the Event Collector on /wsman/, SSTP) and the IIS Management
    Service on https://*:8172/ (the published output) are the server's own: with no binding known,
    the file still shows that no reservation is for anybody else, and cites none of them as such."""
    path = tmp_path / "netsh-http-urlacl.txt"
    path.write_bytes((URLACL / "server2012r2-defaults.txt").read_bytes() + WMSVC.replace("\n", CRLF).encode("ascii"))
    facts = facts_of(path, httperr(tmp_path, ["/api/orders", "/"]))
    assert [r.data.url for r in parsed(path).result.records][-1] == "https://*:8172/"
    assert facts.value("urlacl.site_conflicts") == 0
    assert facts["urlacl.site_conflicts"].how == "no reservation is for an account other than IIS's and Windows' own"


def test_a_reservation_known_only_by_its_sddl_names_winrm_by_its_service_sid(tmp_path):
    """A block with no User lines: WinRM's and the Event Collector's service SIDs are theirs,
    a domain account's SID is somebody else's."""
    winrm = block("http://+:80/wsman/", sddl="D:(A;;GX;;;S-1-5-80-569256582-2953403351-2909559716-1301513147-412116970)"
                                             "(A;;GX;;;S-1-5-80-4059739203-877974739-1245631912-527174227-2996563517)")
    facts = facts_of(urlacl_file(tmp_path, winrm), app_host(tmp_path, ["http *:80:"], ("/", "/wsman")))
    assert facts.value("urlacl.site_conflicts") == 0
    agent = block("http://+:80/wsman/")
    facts = facts_of(urlacl_file(tmp_path, agent), app_host(tmp_path, ["http *:80:"], ("/", "/wsman")))
    assert facts.value("urlacl.conflict_accounts") == "S-1-5-21-1004336348-1177238915-682003330-51207"


def test_a_reservation_for_winrm_beside_another_account_names_only_the_other_one(tmp_path):
    path = urlacl_file(tmp_path, block("http://+:80/api/", "NT SERVICE\\WinRM", "CONTOSO\\svc-monitor"))
    facts = facts_of(path, app_host(tmp_path, ["http *:80:"]), httperr(tmp_path, ["/api/orders"]))
    assert facts.value("urlacl.conflict_accounts") == "CONTOSO\\svc-monitor"
    assert "reserved for CONTOSO\\svc-monitor and takes" in facts["urlacl.site_conflicts"].how
