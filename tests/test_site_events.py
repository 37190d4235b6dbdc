"""W3SVC events that name a site, not an application pool (1003/1004/1007: IIS could not register the
site's URL prefix with HTTP.sys and deactivated the site), read from every export a help desk sends,
and the causes they speak for."""
from __future__ import annotations

import shutil

from conftest import EXAMPLES, ROOT, diagnose_json

from httperr_doctor.engine.evidence.base import Lines
from httperr_doctor.engine.evidence.eventlog import parse
from httperr_doctor.engine.evidence.evtxfile import event_from_xml

CASES = ROOT / "tests" / "cases"

def iis6_event(source: str, event_id: int, time: str, description: str) -> str:
    """One event as Server 2003's Event Viewer copies it."""
    return (f"Event Type:\tError\nEvent Source:\t{source}\nEvent Category:\tNone\nEvent ID:\t{event_id}\n"
            f"Date:\t\t3/4/2009\nTime:\t\t{time}\nUser:\t\tN/A\nComputer:\tWEB06\nDescription:\n{description}\n")


# Server 2003 Event Viewer copies (W3SVC, site ids quoted), as the IIS 6 documentation words them.
SITE_1007 = iis6_event("W3SVC", 1007, "9:12:40 AM", "Cannot register the URL prefix 'http://*:8080/' for site '42'. The "
                       "necessary network binding may already be in use. The site has been deactivated.  The data field "
                       "contains the error number.")
IIS6_EXPORT = SITE_1007 + "\n" + iis6_event(
    "W3SVC", 1004, "9:12:41 AM", "Cannot register the URL prefix 'https://*:443/' for site 'Intranet Portal'. The site "
    "has been deactivated.  The data field contains the error number.")
# HTTP.sys's own record of the same port: it could not bind it.
HTTP_15005 = iis6_event("HTTP", 15005, "9:12:39 AM", "Unable to bind to the underlying transport for 0.0.0.0:8080. The IP "
                        "Listen-Only list may contain a reference to an interface which may not exist on this machine.  "
                        "The data field contains the error number.")

# wevtutil qe System /f:text on IIS 7 and later.
IIS7_EXPORT = """Event[0]:
  Log Name: System
  Source: Microsoft-Windows-IIS-W3SVC
  Date: 2026-11-30T08:01:02.000
  Event ID: 1007
  Task: N/A
  Level: Error
  Opcode: N/A
  Keyword: Classic
  User: N/A
  User Name: N/A
  Computer: WEB05.contoso.local
  Description:
The World Wide Web Publishing Service (WWW Service) did not register the URL prefix http://*:80/ for site 2. The necessary network binding may already be in use. The site has been disabled. The data field contains the error number.
"""


def test_a_site_event_names_its_site_and_no_pool():
    first, second = (r.data for r in parse(Lines("system.txt", IIS6_EXPORT.splitlines())).records)
    assert (first.event_id, first.site, first.pool) == (1007, "42", None)
    assert (second.event_id, second.site, second.pool) == (1004, "Intranet Portal", None)
    (iis7,) = (r.data for r in parse(Lines("system.txt", IIS7_EXPORT.splitlines())).records)
    assert (iis7.source, iis7.event_id, iis7.site, iis7.pool) == ("Microsoft-Windows-IIS-W3SVC", 1007, "2", None)


def test_an_evtx_site_event_does_not_read_its_url_prefix_as_a_pool():
    """In an .evtx the inserted strings come without the message: the first is the URL prefix."""
    event = event_from_xml(
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        '<Provider Name="Microsoft-Windows-IIS-W3SVC" EventSourceName="W3SVC"/><EventID Qualifiers="49152">1007</EventID>'
        '<Level>2</Level><TimeCreated SystemTime="2026-11-30T08:01:02.000Z"/><Channel>System</Channel>'
        '<Computer>WEB05.contoso.local</Computer></System><EventData><Data>http://*:80/</Data><Data>2</Data>'
        '<Binary>B7000780</Binary></EventData></Event>')
    assert (event.site, event.pool) == ("2", None)
    crash = event_from_xml(
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        '<Provider Name="Microsoft-Windows-WAS" EventSourceName="WAS"/><EventID>5009</EventID><Level>3</Level>'
        '<Channel>System</Channel><Computer>WEB05</Computer></System><EventData><Data>ShopPool</Data><Data>4412</Data>'
        '</EventData></Event>')
    assert (crash.pool, crash.site) == ("ShopPool", None)


def test_a_site_whose_binding_is_in_use_points_at_a_registration_conflict(tmp_path):
    bundle = tmp_path / "WEB06"
    shutil.copytree(EXAMPLES / "connection-dropped", bundle)
    (bundle / "system-events.txt").write_text(IIS6_EXPORT, encoding="utf-8")
    report = diagnose_json(bundle)
    server = next(s for s in report["servers"] if s["host"] == "WEB06")
    facts = server["facts"]
    assert facts["event.site_register_failed.count"] == 2 and facts["event.site_binding_in_use.count"] == 1
    assert facts["event.site_binding_in_use.sites"] == "site 42"
    assert facts["event.site_binding_in_use.addresses"] == "http://*:8080/"
    assert facts["event.site_register_failed.sites"] == "sites 42 (1), Intranet Portal (1)"
    assert not any(name.startswith("event.") and name.endswith(".pool") for name in facts)
    cause = next(c for c in server["causes"] if c["id"] == "url-reservation-conflict")
    assert cause["summary"].startswith("IIS could not register http://*:8080/ for site 42 with HTTP.sys")
    assert any(step["rule"] == "SITE_BINDING_IN_USE_EVENT" for step in cause["reasoning"])
    # No IP listen list was given: the listen-list rule has nothing to go on.
    assert "ip-listen-list-excludes-site" not in {c["id"] for c in server["causes"]}


def test_sites_deactivated_with_an_ip_listen_list_support_the_list(tmp_path):
    bundle = tmp_path / "WEB06"
    bundle.mkdir()
    (bundle / "system-events.txt").write_text(IIS6_EXPORT, encoding="utf-8")
    (bundle / "netsh-iplisten.txt").write_text(
        "\nIP addresses present in the IP listen list:\n-------------------------------------------\n\n"
        "    10.20.0.15\n\n", encoding="utf-8")
    server = diagnose_json(bundle)["servers"][0]
    assert server["facts"].get("iplisten.addresses") == 1
    cause = next(c for c in server["causes"] if c["id"] == "ip-listen-list-excludes-site")
    assert [step["rule"] for step in cause["reasoning"]] == ["SITE_DEACTIVATED_WITH_IPLISTEN_SET"]


def _supporting_rules(server: dict, cause_id: str) -> set[str]:
    cause = next(c for c in server["causes"] if c["id"] == cause_id)
    return {step["rule"] for step in cause["reasoning"] if step["direction"] == "for"}


def test_one_incident_counts_once_for_the_ip_listen_list():
    """Krawczyk's SBS 2003 after an address change: HTTP.sys could not bind the old address
    (15005) and so IIS deactivated the sites (1004). One failure seen twice is one reason."""
    server = diagnose_json(CASES / "story-iplisten-old-address")["servers"][0]
    assert server["facts"]["event.http_bind_failed.count"] == 2 and server["facts"]["event.site_register_failed.count"] == 3
    assert _supporting_rules(server, "ip-listen-list-excludes-site") == {"IPLISTEN_ENTRY_NOT_BOUND"}


def test_one_incident_counts_once_for_a_binding_in_use(tmp_path):
    """Port 8080 held by another program: HTTP.sys logs 15005 for it and IIS 1007 for the site
    bound to it; the W3SVC 1007 rule speaks for both, the bind-failure rule stays silent."""
    bound = SITE_1007 + "\n" + HTTP_15005
    bundle = tmp_path / "WEB06"
    bundle.mkdir()
    (bundle / "system-events.txt").write_text(bound, encoding="utf-8")
    server = diagnose_json(bundle)["servers"][0]
    assert server["facts"]["event.http_bind_failed.count"] == 1 and server["facts"]["event.site_binding_in_use.count"] == 1
    assert _supporting_rules(server, "url-reservation-conflict") == {"SITE_BINDING_IN_USE_EVENT"}
    alone = tmp_path / "WEB07"
    alone.mkdir()
    (alone / "system-events.txt").write_text(HTTP_15005, encoding="utf-8")
    assert _supporting_rules(diagnose_json(alone)["servers"][0], "url-reservation-conflict") == {"HTTP_BIND_FAILED_LOGGED"}

