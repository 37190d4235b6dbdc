"""Runbook placeholders (`<TAG>`, `<pool>`, `<URL>`, `<site address>`) take the value the
evidence names, in every report form and in the wizard's checklist; without one they stay,
with what to put there; and a value from the evidence, which anyone may have written, never
turns a printed command into another command."""
from __future__ import annotations

import json
import re
import shutil

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import EXAMPLES, ROOT
from httperr_doctor.engine.assessment import runbook
from httperr_doctor.engine.diagnosis import diagnose
from httperr_doctor.engine.knowledge import default_kb
from httperr_doctor.engine.placeholders import PLACEHOLDER
from httperr_doctor.engine.render.html import render_html
from httperr_doctor.engine.render.json_report import render_json
from httperr_doctor.engine.render.markdown import render_markdown
from httperr_doctor.engine.render.text import render_text

KB = default_kb()
CASES = ROOT / "tests" / "cases"
EVIL_POOLS = ['Orders" & net user evil P@ss /add & "', "Orders\r\nnet user evil /add", "Orders%COMSPEC%",
              "Orders!x!", "Orders\u202e", '"', "Orders\x00"]


def _forms(report) -> dict[str, str]:
    return {"text": render_text(report), "markdown": render_markdown(report), "html": render_html(report),
            "json": render_json(report)}


def _commands(cause_id: str, values: dict) -> list[str]:
    return [s.command for s in runbook(KB, KB.causes[cause_id], values) if s.command]


def test_the_poolmon_tag_is_in_the_findstr_command_in_every_form():
    report = diagnose([str(EXAMPLES / "connections-refused")])
    for form, text in _forms(report).items():
        assert "<TAG>" not in text and "&lt;TAG&gt;" not in text, form
        assert re.search(r'findstr /m /l /c:(\\?"|&quot;)AvSc(\\?"|&quot;) \*\.sys', text), form
    step = next(s for s in report.servers[0].causes[0].remediation if "findstr" in (s.command or ""))
    assert "AvSc is the pool tag holding the most non-paged pool." in step.do


def test_a_leak_names_the_tag_that_grew_before_the_largest_one():
    values = {"poolmon.growth_tag": "Leak", "poolmon.top_npp_tag": "Big1"}
    assert any('/c:"Leak"' in c for c in _commands("pool-leak-driver", values))
    assert any('/c:"Big1"' in c for c in _commands("nonpaged-pool-exhausted", values))


def test_the_pool_the_events_name_is_in_the_appcmd_command_and_the_checklist(tmp_path):
    report = diagnose([str(CASES / "rapid-fail-crashes")])
    cause = next(c for c in report.servers[0].causes if c.id == "app-pool-rapid-fail")
    start = next(s for s in cause.remediation if "appcmd start apppool" in (s.command or ""))
    assert start.command.endswith('/apppool.name:"OrdersPool"')
    assert "OrdersPool is the application pool named most often by the rapid-fail events" in start.do
    for form, text in _forms(report).items():
        assert "OrdersPool" in text and "&lt;pool&gt;" not in text, form


def test_a_placeholder_the_evidence_does_not_name_stays_and_says_what_goes_there():
    steps = runbook(KB, KB.causes["app-pool-rapid-fail"], {})
    start = next(s for s in steps if "appcmd start apppool" in (s.command or ""))
    assert start.command.endswith('/apppool.name:"<pool>"')
    assert "In place of <pool>, put the name of the application pool as IIS Manager lists it" in start.do
    report = diagnose([str(CASES / "iplisten-cloned-server")])
    cause = next(c for c in report.servers[0].causes if c.id == "ip-listen-list-excludes-site")
    delete = next(s for s in cause.remediation if "delete iplisten" in (s.command or ""))
    assert delete.command == "netsh http delete iplisten ipaddress=<old address>"
    assert "In place of <old address>, put an address the list holds that the server no longer has" in delete.do


def test_the_url_and_the_address_from_the_evidence_fill_the_netsh_commands():
    report = diagnose([str(CASES / "urlacl-agent-api")])
    cause = next(c for c in report.servers[0].causes if c.id == "url-reservation-conflict")
    assert "netsh http delete urlacl url=http://+:80/api/" in [s.command for s in cause.remediation]
    assert "netsh http add iplisten ipaddress=10.1.2.30" in _commands("ip-listen-list-excludes-site",
                                                                       {"iplisten.left_out_address": "10.1.2.30"})


@pytest.mark.parametrize("pool", EVIL_POOLS)
def test_a_pool_name_that_would_change_the_command_is_not_filled_in(pool):
    steps = runbook(KB, KB.causes["app-pool-rapid-fail"], {"event.was_rapid_fail.pool": pool})
    start = next(s for s in steps if "appcmd start apppool" in (s.command or ""))
    assert start.command.endswith('/apppool.name:"<pool>"')
    assert "not safe in this command line" in start.do and pool not in start.do


def test_a_pool_name_with_ampersands_and_pipes_is_filled_between_quotes_where_cmd_reads_them_as_text():
    commands = _commands("app-pool-rapid-fail", {"event.was_rapid_fail.pool": "Sales & Ops | EU"})
    assert '%windir%\\system32\\inetsrv\\appcmd start apppool /apppool.name:"Sales & Ops | EU"' in commands
    # Outside quotes the same characters would end the command: an address is never filled with them.
    assert "netsh http add iplisten ipaddress=<site address>" in _commands(
        "ip-listen-list-excludes-site", {"iplisten.left_out_address": "10.0.0.5&calc"})


def test_a_hostile_pool_in_the_event_log_leaves_every_form_with_the_placeholder(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(CASES / "rapid-fail-crashes", bundle)
    events = bundle / "system-events.txt"
    events.write_text(events.read_text(encoding="utf-8").replace("'OrdersPool'", "'Orders & %COMSPEC% /c del /q C:\\*'"),
                      encoding="utf-8")
    report = diagnose([str(bundle)])
    cause = next(c for c in report.servers[0].causes if c.id == "app-pool-rapid-fail")
    start = next(s for s in cause.remediation if "appcmd start apppool" in (s.command or ""))
    assert start.command.endswith('/apppool.name:"<pool>"'), start.command
    data = json.loads(_forms(report)["json"])
    commands = [step.get("command") or "" for server in data["servers"] for c in server["causes"] for step in c["remediation"]]
    assert commands and not [c for c in commands if "del /q" in c or "COMSPEC" in c]


def _cmd_shape(command: str) -> tuple:
    """How cmd.exe splits a line: its operators and arguments outside quotes, and what it expands."""
    quoted, operators, words, word, expands = False, [], 0, False, 0
    for char in command:
        if char == '"':
            quoted = not quoted
        if char in "%!" or char in "\r\n" or (not char.isprintable() and char not in "\t"):
            expands += 1
        if not quoted and char in "&|<>^()":
            operators.append(char)
        starts = not quoted and char in " \t"
        words += word and starts
        word = not starts
    return tuple(operators), words + word, expands, quoted


COMMANDS_WITH = {"pool": ("app-pool-rapid-fail", "event.was_rapid_fail.pool"),
                 "site address": ("ip-listen-list-excludes-site", "iplisten.left_out_address"),
                 "TAG": ("pool-leak-driver", "poolmon.growth_tag"),
                 "URL": ("url-reservation-conflict", "urlacl.conflict_url")}


# cmd.exe's own characters often, any other character too.
CMD_TEXT = st.text(st.one_of(st.sampled_from(list('"%!&|<>^()@~:/. \r\n\t\x00\u202e')), st.characters()), min_size=1, max_size=24)


@given(name=st.sampled_from(sorted(COMMANDS_WITH)), value=CMD_TEXT)
@example(name="pool", value='Shop" & calc & "').via("a quote ends the quotes")
@example(name="pool", value="Shop%PATH%").via("expanded inside quotes")
@example(name="pool", value="Shop\nnet user x /add").via("a second command")
@example(name="site address", value="10.0.0.5 & calc").via("an operator outside quotes")
@example(name="TAG", value='Ab"c').via("a quote in a tag")
@example(name="URL", value="http://+:80/a|b/").via("a pipe outside quotes")
def test_whatever_the_evidence_names_a_filled_command_splits_as_the_template_does(name, value):
    cause_id, fact = COMMANDS_WITH[name]
    shown = {s.title: s.command for s in runbook(KB, KB.causes[cause_id], {fact: value})}
    for step in KB.causes[cause_id].remediation:
        if not step.command or f"<{name}>" not in step.command or f"<{name}>" in shown[step.title]:
            continue
        template = PLACEHOLDER.sub("X", step.command)
        assert _cmd_shape(PLACEHOLDER.sub("X", shown[step.title])) == _cmd_shape(template), (step.command, value)
