"""`--redact` leaves no address, host name, domain, credential, session id, e-mail
address or token from the evidence in any form, wherever in the evidence it sat."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import EXAMPLES, run_cli
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.redact import Redactor, redact
from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.json_report import render_json
from httperr_doctor.engine.render.markdown import render_markdown
from httperr_doctor.engine.render.text import render_text

SYSTEMINFO = (EXAMPLES / "connections-refused" / "systeminfo.txt").read_text(encoding="utf-8", errors="replace")
HTTPERR_HEAD = ("#Software: Microsoft HTTP API 2.0\r\n#Version: 1.0\r\n#Date: 2024-03-01 09:00:00\r\n"
                "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename\r\n")
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlX3g"


def bundle(root: Path, host: str, domain: str, client: str, server: str, intranet: str) -> Path:
    """A server's evidence with names and secrets wherever evidence can hold them."""
    folder = root / f"{host.lower()}.{domain}" / f"logs-{host}_{client}"
    (folder / f"HTTPERR_{host}").mkdir(parents=True)
    (folder / "systeminfo.txt").write_text(SYSTEMINFO.replace("WEB01", host), encoding="utf-8")
    lines = [HTTPERR_HEAD]
    uris = [f"http://alice:s3cretPw@{intranet}/app;jsessionid=A1B2C3D4E5?x=1",
            f"/api/{JWT}/profile", "/mail/bob.smith@corp-mail.example.org/inbox", "/plain"]
    for second in range(40):
        reason = ("Connection_Dropped", f"Evil_{client}", f"Odd-{server}", "Timer_ConnectionIdle")[second % 4]
        lines.append(f"2024-03-01 09:00:{second:02d} {client} 5{second:03d} {server} 80 HTTP/1.1 GET "
                     f"{uris[second % 4]} 503 1 {reason} Pool_{client}\r\n")
    (folder / f"HTTPERR_{host}" / f"httperr_{host}.log").write_text("".join(lines), encoding="utf-8")
    return folder


SECRETS = ["s3cretPw", "alice:", "A1B2C3D4E5", JWT, "bob.smith", "corp-mail.example.org"]


def leaks(text: str, originals: list[str]) -> list[str]:
    found = [s for s in SECRETS if s in text]
    for value in originals:
        if re.search(rf"(?<![0-9A-Za-z.]){re.escape(value)}(?![0-9A-Za-z])", text, re.IGNORECASE):
            found.append(value)
    return found


def forms(report) -> dict[str, str]:
    redacted = redact(report)
    return {"text": render_text(redacted), "markdown": render_markdown(redacted), "html": render_html(redacted),
            "json": render_json(redacted)}


CASE = dict(host="WEB07", domain="corp.example.com", client="10.20.30.41", server="::ffff:172.16.5.5",
            intranet="shop.intranet.corp.example.com")


def case_originals(case: dict) -> list[str]:
    server = case["server"]
    return [case["host"], case["domain"], case["client"], server, server.rsplit(":", 1)[-1], case["intranet"]]


@pytest.mark.parametrize("form", ["text", "markdown", "json", "html"])
def test_the_cli_leaks_nothing_in_any_form(tmp_path, form):
    folder = bundle(tmp_path, **CASE)
    code, out = run_cli("diagnose", "--redact", "--format", form, str(folder))
    assert code == 0
    assert not leaks(out, case_originals(CASE))
    assert "addr-" in out and "host-" in out
    if form == "json":
        report = json.loads(out)
        assert report["redacted"] is True
        assert any(re.fullmatch(r"httperr\.reason\.Evil_addr-\d+\.count", name) for name in report["servers"][0]["facts"])


def test_the_wizard_replay_leaks_nothing(tmp_path, capsys):
    folder = bundle(tmp_path, **CASE)
    session = tmp_path / "s.json"
    gone = str(tmp_path / f"{CASE['host']}-gone" / "httperr.log")
    session.write_text(json.dumps({"format": "httperr-doctor-session", "version": 1,
                                   "evidence": [str(folder), gone], "answers": []}), encoding="utf-8")
    for form in ("text", "markdown", "json", "html"):
        code, out = run_cli("wizard", "--answers", str(session), "--redact", "--format", form)
        assert code == 0 and not leaks(out, case_originals(CASE)), form
    assert CASE["host"] not in capsys.readouterr().err


@pytest.mark.parametrize("raw, gone", [
    ("::ffff:10.20.30.41 and [::ffff:10.20.30.42]:443", ["10.20", "30.41", "30.42"]),
    ("Pool_172.16.5.5 and dir-10.1.2.3/x and from 10.9.9.9.", ["172.16", "10.1.2.3", "10.9.9.9"]),
    (r"C:\case\web07.corp.example.com\iis-WEB07\WEB07_httperr.log", ["web07", "WEB07", "corp", "example"]),
    ("http://alice:pw@intra.corp.local:8080/a;jsessionid=XyZ123/b;JSESSIONID=QQ", ["alice", ":pw", "intra", "XyZ123", "QQ"]),
    (f"mail bob.smith@corp.example.org about {JWT}", ["bob.smith", "corp.example.org", JWT[:20]]),
])
def test_each_gap_is_closed(raw, gone):
    text = Redactor(hosts=["WEB07"]).text(raw)
    assert not [g for g in gone if g.lower() in text.lower()], text


def test_what_is_not_a_secret_is_kept():
    kept = ("OS 5.2.3790 at 2007-11-13 20:01:44, durable-rules 2.0.28, 10.0.0.1.5, std::vector, "
            "netsh http add urlacl url=http://+:80/app/ user=DOMAIN\\user, http://localhost/, WEB07.log")
    assert Redactor().text(kept) == kept
    assert Redactor(hosts=["WEB07"]).text("WEB07.log and WEB07.corp.example.com") == "host-1.log and host-1"


hosts = st.from_regex(r"\A[A-Z]{2,5}[0-9]{2,3}\Z")
octet = st.integers(1, 254)
ipv4 = st.tuples(octet, octet, octet, octet).map(lambda t: ".".join(map(str, t)))
ipv6 = st.lists(st.integers(0x1000, 0xFFFF), min_size=8, max_size=8).map(lambda g: ":".join(f"{x:x}" for x in g))
labels = st.from_regex(r"\A[a-z]{3,8}\Z")
domains = st.tuples(labels, labels, st.sampled_from(["com", "net", "local", "corp"])).map(".".join)


@given(host=hosts, domain=domains, client=ipv4, server=st.one_of(ipv6, ipv4.map(lambda a: f"::ffff:{a}")),
       intranet=st.tuples(labels, domains).map(".".join))
def test_property_no_original_address_or_host_name_survives(tmp_path_factory, host, domain, client, server, intranet):
    case = dict(host=host, domain=domain, client=client, server=server, intranet=intranet)
    folder = bundle(tmp_path_factory.mktemp("redact"), **case)
    for form, text in forms(diagnose([str(folder)])).items():
        assert not leaks(text, case_originals(case)), form
    shutil.rmtree(folder.parent.parent)
