"""The PowerShell collector, the collection guide and the tool agree on every file.

No PowerShell runs here, so the script is read as text: its step tables (file name,
the kind the tool must detect, the command) are parsed, checked against the guide's
table and commands, and every file name it writes is filled with a real-looking
command output (tests/fixtures/collector/) and fed to the tool's own detection.
"""
from __future__ import annotations

import fnmatch
import re
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, diagnose_json

SCRIPT = ROOT / "collect" / "Collect-HttpErrEvidence.ps1"
GUIDE = ROOT / "docs" / "COLLECTING.md"
COLLECTED = FIXTURES / "collector"
BUNDLE = COLLECTED / "WEB05-httperr-evidence-20261203-140502"
TABLES = ("Commands", "EventExports", "Sampling", "Copies", "LogFolders")
# What the guide's commands show for the script's run-time placeholders: its defaults.
DEFAULTS = {"WindowMilliseconds": "86400000", "IntervalSeconds": "15", "SampleCount": "40", "N": "1"}
READ_ONLY = {
    "systeminfo": [],
    "bcdedit": ["/enum"],
    "reg": ["query"],
    "netsh": ["http", "show"],
    "netstat": ["-ano"],
    "wevtutil": ["qe"],
    "typeperf": ["-cf"],
    "poolmon": ["/b", "/n"],
}


# --- reading the script -------------------------------------------------------------------------------------


def _quoted(text: str) -> list[str]:
    """The single-quoted PowerShell strings in `text`, in order ('' is a quote inside one)."""
    return [value.replace("''", "'") for value in re.findall(r"'((?:[^']|'')*)'", text)]


def script_tables() -> dict[str, list[dict]]:
    """Each `$Name = @( @{ Key = '...'; Args = @('...') } ... )` table of the script, as dicts."""
    text = SCRIPT.read_text(encoding="ascii")
    tables = {}
    for name in TABLES:
        block = re.search(rf"^\${name} = @\(\n(.*?)^\)$", text, re.MULTILINE | re.DOTALL)
        assert block, f"table ${name} not found in the script"
        rows = []
        for line in block.group(1).splitlines():
            row = {}
            for key, value in re.findall(r"(\w+) = ('(?:[^']|'')*'|@\((?:'(?:[^']|'')*'|[^')])*\))", line):
                row[key] = _quoted(value) if value.startswith("@(") else _quoted(value)[0]
            assert row, f"unreadable row in ${name}: {line!r}"
            rows.append(row)
        tables[name] = rows
    return tables


def script_counters() -> list[str]:
    text = SCRIPT.read_text(encoding="ascii")
    block = re.search(r"^\$Counters = @\(\n(.*?)^\)$", text, re.MULTILINE | re.DOTALL)
    return _quoted(block.group(1))


def all_rows() -> list[dict]:
    return [row for rows in script_tables().values() for row in rows]


def command_line(row: dict) -> str:
    """The command as the guide shows it: placeholders at the script's defaults, no quotes."""
    words = [row["Exe"], *row["Args"]]
    text = " ".join(words)
    for key, value in DEFAULTS.items():
        text = text.replace("{" + key + "}", value)
    return text


def zip_member_pattern(file: str) -> str:
    """A script file name (`HTTPERR\\httperr*.log`, `poolsnap-{N}.log`) as a pattern over zip member paths."""
    return re.sub(r"<[^>]+>|\{\w+\}", "*", file.replace("\\", "/"))


def expected_kind(relative: str) -> str:
    if relative == "MANIFEST.txt":
        return "manifest"
    kinds = {row["Kind"] for row in all_rows() if fnmatch.fnmatch(relative, zip_member_pattern(row["File"]))}
    assert len(kinds) == 1, f"{relative} matches no file the collector writes (or several): {kinds}"
    return kinds.pop()


def zip_like_the_collector(folders: list[Path], archive: Path, separator: str = "/") -> Path:
    """Write the folders as Write-EvidenceZip does: one top folder each, members below it."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for folder in folders:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                bundle.write(path, separator.join((folder.name, *path.relative_to(folder).parts)))
    return archive


def kinds_by_member(report: dict) -> dict[str, str]:
    return {entry["path"].split("!", 1)[1]: entry["kind"] for entry in report["inputs"]}


# --- the script itself ---------------------------------------------------------------------------------------


def code_only(text: str) -> str:
    """The script with comments, strings and here-strings blanked out (same length, same lines)."""
    out, i, n = [], 0, len(text)
    while i < n:
        two = text[i:i + 2]
        if two in ("@'", '@"') and text[i + 2:i + 3] == "\n":
            end = text.find("\n" + two[1] + "@", i + 3)
            assert end != -1, "unterminated here-string"
            out.append(re.sub(r"[^\n]", " ", text[i:end + 3]))
            i = end + 3
        elif two == "<#":
            end = text.find("#>", i)
            assert end != -1, "unterminated block comment"
            out.append(re.sub(r"[^\n]", " ", text[i:end + 2]))
            i = end + 2
        elif text[i] == "#":
            end = text.find("\n", i)
            end = n if end == -1 else end
            out.append(" " * (end - i))
            i = end
        elif text[i] == "'":
            match = re.compile(r"'(?:[^']|'')*'").match(text, i)
            assert match, f"unterminated string at line {text.count(chr(10), 0, i) + 1}"
            out.append('"' + re.sub(r"[^\n]", " ", match.group(0)[1:-1]) + '"')
            i = match.end()
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "`":
                    j += 1
                elif text[j:j + 2] == "$(":
                    # A subexpression inside a string: the script keeps them free of quotes.
                    close = text.find(")", j)
                    assert '"' not in text[j:close], f"nested quotes in a string at line {text.count(chr(10), 0, i) + 1}"
                j += 1
            assert j < n, f"unterminated string at line {text.count(chr(10), 0, i) + 1}"
            out.append('"' + re.sub(r"[^\n]", " ", text[i + 1:j]) + '"')
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def test_script_is_plain_ascii_powershell_51_with_balanced_brackets():
    raw = SCRIPT.read_bytes()
    # Windows PowerShell 5.1 reads a script without a BOM in the ANSI code page: ASCII is the same in every one.
    assert all(byte < 128 for byte in raw), "non-ASCII byte in the script"
    text = raw.decode("ascii")
    assert text.startswith("#Requires -Version 5.1\n")
    assert re.search(r"^\[CmdletBinding\(\)\]\nparam\(", text, re.MULTILINE)
    code = code_only(text)
    stack = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for number, line in enumerate(code.splitlines(), start=1):
        for char in line:
            if char in "([{":
                stack.append((char, number))
            elif char in pairs:
                assert stack and stack[-1][0] == pairs[char], f"unbalanced {char!r} at line {number}"
                stack.pop()
    assert not stack, f"unclosed {stack[-1][0]!r} from line {stack[-1][1]}"


def test_every_function_the_script_calls_exists():
    code = code_only(SCRIPT.read_text(encoding="ascii"))
    defined = set(re.findall(r"^function ([A-Z]\w+-\w+)", code, re.MULTILINE))
    uses = re.sub(r"^function \S+", "", code, flags=re.MULTILINE)
    called = set(re.findall(r"(?<![\w$.-])([A-Z][a-z]+-[A-Z][A-Za-z]+)\b", uses))
    builtins = {
        "Add-Type", "ForEach-Object", "Get-ChildItem", "Get-CimInstance", "Get-Command", "Get-Content", "Get-Date",
        "Get-ItemProperty", "Join-Path", "New-Item", "New-Object", "Out-Null", "Remove-Item", "Resolve-Path",
        "Select-Object", "Sort-Object", "Split-Path", "Start-Process", "Start-Sleep", "Test-Path", "Where-Object",
        "Write-Host", "Write-Warning",
    }
    assert called - defined - builtins == set()
    assert defined - called == set(), "functions defined but never used"


def test_script_only_reads():
    code = code_only(SCRIPT.read_text(encoding="ascii"))
    forbidden = r"\b(Set-ItemProperty|New-ItemProperty|Remove-ItemProperty|Set-Content|Add-Content|Stop-Service|" \
                r"Restart-Service|Stop-Process|Restart-Computer|Invoke-WebRequest|Invoke-RestMethod|Invoke-Expression|" \
                r"Install-Module|Install-Package|Start-BitsTransfer|WebClient|Copy-Item|Move-Item|Rename-Item)\b"
    assert not re.findall(forbidden, code)
    # It deletes only what it made: the evidence folder once zipped, and its own work folder.
    targets = re.findall(r"Remove-Item -LiteralPath (\$\w+)", code)
    assert sorted(targets) == ["$folder", "$work"] and code.count("Remove-Item") == 2
    for row in all_rows():
        if "Exe" in row:
            assert row["Exe"] in READ_ONLY, f"{row['Exe']} is not a known read-only tool"
            read_verb = READ_ONLY[row["Exe"]]
            assert row["Args"][:len(read_verb)] == read_verb, f"{command_line(row)} is not the read-only form"


def test_each_table_row_names_a_file_and_a_kind_the_tool_has():
    from httperr_doctor.engine.evidence import PARSERS

    kinds = {parser.KIND for parser in PARSERS}
    files = [row["File"] for row in all_rows()]
    assert len(files) == len(set(files))
    assert {row["Kind"] for row in all_rows()} <= kinds


# --- the guide ------------------------------------------------------------------------------------------------


def guide_table() -> dict[str, tuple[str, str]]:
    """The guide's "what is in the zip" table: file -> (how it is made, Windows versions)."""
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("| File in the zip |")
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        file = cells[0].strip("`")
        rows[file] = (cells[1].strip("`"), cells[2])
    return rows


def guide_code() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    return "\n".join(re.findall(r"^```[a-z]*\n(.*?)^```$", text, re.MULTILINE | re.DOTALL))


def test_guide_table_lists_exactly_the_files_of_the_script():
    table = guide_table()
    assert set(table) == {row["File"] for row in all_rows()} | {"MANIFEST.txt"}
    for row in all_rows():
        shown = table[row["File"]][0]
        expected = command_line(row) if "Exe" in row else row["From"]
        assert shown.replace('"', "") == expected, f"{row['File']}: the guide says {shown!r}, the script runs {expected!r}"


def test_guide_gives_each_command_as_the_script_runs_it():
    code = guide_code().replace('"', "")
    for row in all_rows():
        if "Exe" not in row:
            continue
        command = command_line(row)
        if row["Exe"] in ("typeperf", "poolmon"):
            assert command in code, f"the guide has no code line for {command}"
        else:
            file = row["File"]
            assert f"{command} > {file}" in code, f"the guide has no code line `{command} > {file}`"


def test_guide_counter_list_is_the_script_list():
    text = GUIDE.read_text(encoding="utf-8")
    block = re.search(r"counters\.txt`?[^\n]*:\n\n```\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert block, "the guide shows no counters.txt"
    assert block.group(1).splitlines() == script_counters()


# --- the tool reads every file the collector writes --------------------------------------------------------


def fixture_folders() -> list[Path]:
    return [BUNDLE, *sorted(p for p in (COLLECTED / "variants").iterdir() if p.is_dir())]


def test_fixtures_cover_every_file_the_collector_writes():
    seen = {expected_kind(path.relative_to(folder).as_posix())
            for folder in fixture_folders() for path in folder.rglob("*") if path.is_file()}
    assert seen == {row["Kind"] for row in all_rows()} | {"manifest"}
    for row in all_rows():
        pattern = zip_member_pattern(row["File"])
        assert any(fnmatch.fnmatch(p.relative_to(BUNDLE).as_posix(), pattern) for p in BUNDLE.rglob("*")) \
            or row["File"] == "boot.ini", f"the WEB05 bundle has no {row['File']}"


@pytest.mark.parametrize("separator", ["/", "\\"], ids=["forward-slashes", "backslashes"])
def test_every_collected_file_is_detected_as_the_kind_the_script_names(tmp_path, separator):
    archive = zip_like_the_collector(fixture_folders(), tmp_path / "collected.zip", separator)
    kinds = kinds_by_member(diagnose_json(archive))
    expected = {}
    for folder in fixture_folders():
        for path in folder.rglob("*"):
            if path.is_file():
                relative = path.relative_to(folder).as_posix()
                expected[f"{folder.name}/{relative}"] = expected_kind(relative)
    assert kinds == expected


def test_manifest_rows_match_the_files_in_the_bundle():
    lines = (BUNDLE / "MANIFEST.txt").read_text(encoding="utf-8-sig").splitlines()
    header = lines.index("status   file                           what it came from | detail")
    rows = [re.match(r"^(ok|skipped|failed)\s+(\S+)\s", line).groups() for line in lines[header + 1:]]
    present = {p.relative_to(BUNDLE).as_posix() for p in BUNDLE.rglob("*") if p.is_file()} - {"MANIFEST.txt"}
    assert {file.replace("\\", "/") for status, file in rows if status == "ok"} == present
    script = SCRIPT.read_text(encoding="ascii")
    assert "'status   file                           what it came from | detail'" in script
    keys = [line.split(":", 1)[0] for line in lines[1:header - 1]]
    assert keys == re.findall(r'^        "([a-z ]+): ', script, re.MULTILINE)


def test_the_manifest_lists_what_the_collector_could_not_collect_with_the_input(tmp_path):
    report = diagnose_json(zip_like_the_collector([BUNDLE], tmp_path / "bundle.zip"))
    manifest = next(entry for entry in report["inputs"] if entry["path"].endswith("/MANIFEST.txt"))
    assert manifest["kind"] == "manifest" and manifest["host"] == "WEB05" and not manifest["skipped"]
    collected = [p for p in BUNDLE.rglob("*") if p.is_file() and p.name != "MANIFEST.txt"]
    assert manifest["records"] == len(collected) + 2  # one row per file, and the two skipped steps
    assert [note.split(" (")[0] for note in manifest["notes"]] == [
        "the collector skipped boot.ini", "the collector skipped W3SVC1\\*.log"]
    assert all(entry["kind"] != "unknown" for entry in report["inputs"])


def test_a_collected_bundle_diagnoses_to_the_full_request_queue(tmp_path):
    report = diagnose_json(zip_like_the_collector([BUNDLE], tmp_path / f"{BUNDLE.name}.zip"))
    assert report["host"] == "WEB05"
    assert [c["id"] for c in report["causes"]][0] == "request-queue-full"
    server = report["servers"][0]
    facts = server["facts"]
    assert facts["perf.queue_peak"] == facts["config.queue_length_min"] == facts["netsh.queue_max_requests_min"] == 1000
    assert facts["os.family"] == "2016+" and facts["os.arch"] == "x64"
    # Three flat PoolMon snapshots and a flat counter: the pool is not what failed.
    ranked = [c["id"] for c in report["causes"][:3]]
    assert "nonpaged-pool-exhausted" not in ranked and "pool-leak-driver" not in ranked
    assert "Europe/Berlin" in report["time_note"] and "bias -60" in report["time_note"]


def test_poolmon_snapshots_appended_to_one_file_are_told_apart():
    # `poolmon /n` appends and, without /r, writes no Memory/Pool N lines: only the repeated
    # column header separates the runs, and the tag that grew between them is the leak.
    facts = diagnose_json(COLLECTED / "variants" / "server2003-by-hand")["servers"][0]["facts"]
    assert facts["poolmon.snapshots"] == 2
    assert facts["poolmon.growth_tag"] == "AvSc"
    assert round(facts["poolmon.growth_tag_mb"], 1) == 5.5
    web05 = diagnose_json(BUNDLE)["servers"][0]["facts"]
    assert web05["poolmon.snapshots"] == 3 and web05["poolmon.top_npp_tag"] == "Ntfx"


def test_a_registry_key_with_every_value_at_its_default_is_still_read():
    # What `reg query` prints on a server where nobody changed HTTP.sys: subkeys, no values.
    report = diagnose_json(COLLECTED / "variants" / "server2012r2-collector" / "reg-http-parameters.txt")
    entry = report["inputs"][0]
    assert (entry["kind"], entry["records"], entry["skipped"]) == ("regquery", 0, 0)
    assert entry["notes"] == ["keys listed but no values: nothing under HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet"
                              "\\Services\\HTTP\\Parameters was changed from its default"]


# Real outputs of the collector's commands, kept elsewhere in the fixtures, under the names the collector gives them.
REAL_OUTPUTS = {
    "netsh-http-servicestate.txt": FIXTURES / "real" / "netsh_http_show_servicestate_iotbay.txt",
    "bcdedit-enum.txt": FIXTURES / "bcdedit" / "bcdedit_win10_packt_real.txt",
    "system-events.txt": FIXTURES / "eventlog" / "wevtutil_text_real.txt",
    "perf-counters.csv": FIXTURES / "perfmon" / "perfmon_sql01_linchi_shea_real.csv",
    "poolsnap-1.log": FIXTURES / "real" / "poolmon_wdk_doc_samples.txt",
    "boot.ini": FIXTURES / "real" / "bootini_3gb_wdk_doc_examples.txt",
    "HTTPERR/httperr1.log": FIXTURES / "real" / "httperr_logjoint_smoketest.log",
}


def test_real_outputs_under_the_collector_names_are_detected_as_its_kinds(tmp_path):
    archive = tmp_path / "REAL-httperr-evidence-20261203-000000.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, source in REAL_OUTPUTS.items():
            bundle.write(source, f"{archive.stem}/{name}")
    kinds = kinds_by_member(diagnose_json(archive))
    assert kinds == {f"{archive.stem}/{name}": expected_kind(name) for name in REAL_OUTPUTS}
