"""Windows event logs saved as text: Event Viewer copies, `wevtutil qe /f:text`, CSV exports.

Three text shapes reach a help desk (binary `.evtx` files are read by `evtxfile.py`):

* Event Viewer "Copy" of Vista and later, and `wevtutil qe System /f:text` (which puts
  `Event[0]:` before each event and indents the labels)::

      Log Name:      System
      Source:        Microsoft-Windows-WAS
      Date:          10/14/2016 9:33:42 AM
      Event ID:      5002
      Level:         Error
      Computer:      COLOSSUS.corp.technologytoolbox.com
      Description:
      Application pool 'WsusPool' is being automatically disabled due to a series of failures ...

* the Server 2003 Event Viewer copy (`Event Type:`, `Event Source:`, `Date:` and `Time:`
  on separate lines);
* Event Viewer "Save All Events As... CSV": `Level,Date and Time,Source,Event ID,Task Category`
  and the message as an extra, unnamed column that may span lines.

Labels are matched in English, German and French. Dates stay in the server's local
time as written (see `wintime.py`); they are turned into UTC with the server's zone
later. Each event becomes one record; nothing is judged here.

>>> from httperr_doctor.engine.evidence.base import Lines
>>> result = parse(Lines("system.txt", [
...     "Log Name:      System",
...     "Source:        Microsoft-Windows-WAS",
...     "Date:          10/14/2016 9:33:42 AM",
...     "Event ID:      5002",
...     "Level:         Error",
...     "Computer:      COLOSSUS.corp.technologytoolbox.com",
...     "Description:",
...     "Application pool 'WsusPool' is being automatically disabled due to a series of failures.",
... ]))
>>> event = result.records[0].data
>>> event.event_id, event.source, event.level, event.pool, result.host
(5002, 'Microsoft-Windows-WAS', 'error', 'WsusPool', 'COLOSSUS')
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Collection, Iterator

from ..plurals import counted
from .appcrash import AppCrash, crash_from_text
from .base import Lines, NotThisKind, ParseResult, Record, Skip
from .wintime import read_stamp

KIND = "eventlog"


@dataclass(slots=True)
class Event:
    """One event of a Windows event log, from a text export or an .evtx file (a record's `data`)."""

    # The channel (System, Application); None when the export does not say.
    log: str | None
    # The provider as written: Microsoft-Windows-WAS, W3SVC, Srv, ASP.NET 4.0.30319.0...
    source: str
    event_id: int
    # error, warning, information, critical, audit or verbose (any language read); else as written.
    level: str | None
    computer: str | None
    # `computer`'s short name in capitals: how servers are named.
    host: str | None
    # As written: the server's local time (naive) unless the stamp carries its zone, as .evtx ones do (UTC).
    local: datetime | None
    category: str | None
    # The message text; .evtx stores no message, so there its event data values joined by " | ".
    description: str
    # The application pool the event names, if any.
    pool: str | None
    # The site the event names, if any (W3SVC 1003/1004/1007: "... for site '1'"): a site id or name.
    site: str | None = None
    # A crash of w3wp.exe this Application-log event reports (Application Error 1000, .NET Runtime 1026, WER 1001).
    crash: AppCrash | None = None
    # The worker process a WAS / W3SVC event names ("The process id was '4084'"), to match with its crash.
    pid: int | None = None

    def is_one_of(self, sources: Collection[str], ids: Collection[int]) -> bool:
        """One of `ids` logged by one of `sources` (lower-case provider names: the case varies between exports)."""
        return self.event_id in ids and self.source.lower() in sources

LABELS = {
    "log name": "log", "protokollname": "log", "nom du journal": "log",
    "source": "source", "event source": "source", "quelle": "source", "ereignisquelle": "source",
    "date": "date", "datum": "date", "date and time": "date", "datum und uhrzeit": "date", "date et heure": "date",
    "time": "time", "zeit": "time", "uhrzeit": "time", "heure": "time",
    "event id": "event_id", "ereignis-id": "event_id", "id de l'événement": "event_id", "id de l’événement": "event_id",
    "level": "level", "event type": "level", "ebene": "level", "ereignistyp": "level", "niveau": "level",
    "computer": "computer", "ordinateur": "computer",
    "task category": "category", "event category": "category", "task": "category", "aufgabenkategorie": "category",
    "catégorie de la tâche": "category", "ereigniskategorie": "category",
    "description": "description", "beschreibung": "description", "message": "description",
    "user": "user", "benutzer": "user", "utilisateur": "user", "keywords": "keywords", "keyword": "keywords",
    "schlüsselwörter": "keywords", "mots-clés": "keywords", "opcode": "opcode", "user name": "user_name", "benutzername": "user_name",
}
START_FIELDS = ("log", "level")  # the first label of the Vista and the 2003 layouts
LEVELS = {
    "error": "error", "fehler": "error", "erreur": "error",
    "warning": "warning", "warnung": "warning", "avertissement": "warning",
    "information": "information", "informationen": "information", "informations": "information",
    "critical": "critical", "kritisch": "critical", "critique": "critical",
    "success audit": "audit", "failure audit": "audit", "verbose": "verbose",
}
EVENT_MARKER = re.compile(r"^\s*(?:Event|Ereignis|Événement|Evento)\[\d+\]:\s*$", re.IGNORECASE)
LABEL = re.compile(r"^\s*(?P<label>[^:\s][^:]{0,38}?)\s*:\s*(?P<value>.*?)\s*$")
# A quoted pool name may hold spaces ('FlexNet Manager Platform') and is preferred: WAS 5189 says
# "an application pool config file for application pool 'X'". An unquoted one ends at a blank.
_POOL_WORDS = r"(?:application pool|anwendungspool|pool d'applications)\s+"
POOL_QUOTED = re.compile(_POOL_WORDS + r"['\"„“«]\s?(?P<pool>[^'\"“”„»]+?)\s?['\"“”»]", re.IGNORECASE)
POOL = re.compile(_POOL_WORDS + r"(?P<pool>[^'\"“”„»\s]+)", re.IGNORECASE)
# W3SVC events about a site rather than a pool: IIS could not register the site's URL prefix
# (IIS 6: "Cannot register the URL prefix 'http://*:80/' for site '1'"; IIS 7 and later name the
# site unquoted). Their first inserted string is the URL prefix, the second the site.
W3SVC_SITE_EVENTS = frozenset({1003, 1004, 1007})
SITE_QUOTED = re.compile(r"\bfor site\s+['\"„“«](?P<site>[^'\"“”„»]+?)['\"“”»]", re.IGNORECASE)
WORKER_PID = re.compile(r"\bprocess id was\s*'?(?P<pid>\d{1,10})\b", re.IGNORECASE)
SITE = re.compile(r"\bfor site\s+(?P<site>[^'\"“”„»\s]+)", re.IGNORECASE)
CSV_HEADER = re.compile(r"^\ufeff?\"?(Level|Ebene|Niveau|Type)\"?,\"?(Date and Time|Datum und Uhrzeit|Date et heure|Date)\"?,", re.IGNORECASE)


def short_host(name: str | None) -> str | None:
    """`COLOSSUS.corp.example.com` -> `COLOSSUS`: servers are named by their short name."""
    if not name or name.strip() in ("-", "N/A"):
        return None
    return name.strip().split(".")[0].upper() or None


def sniff(head: str) -> bool:
    if CSV_HEADER.match(head):
        return True
    labels = {LABELS.get(m.group("label").lower()) for m in map(LABEL.match, head.splitlines()[:200]) if m}
    return bool(EVENT_MARKER.search(head) and "event_id" in labels) or {"event_id", "source", "date"} <= labels


def _finish(result: ParseResult, lines: Lines, start: int, fields: dict[str, str], description: list[str]) -> None:
    if not fields:
        return
    result.data_lines += 1
    raw_id = fields.get("event_id", "")
    if not raw_id.split(" ")[0].isdigit():
        result.skips.append(Skip(start, f"event without a numeric Event ID ({raw_id[:20]!r})"))
        return
    text = "\n".join(description).strip() or fields.get("description", "")
    local = read_stamp(fields.get("date", ""), fields.get("time"))
    pool = POOL_QUOTED.search(text) or POOL.search(text)
    site = SITE_QUOTED.search(text) or SITE.search(text)
    pid = WORKER_PID.search(text)
    level = fields.get("level", "").strip().lower()
    result.records.append(Record(KIND, lines.ref(start), Event(
        log=fields.get("log"),
        source=fields.get("source", ""),
        event_id=int(raw_id.split(" ")[0]),
        level=LEVELS.get(level, level or None),
        computer=fields.get("computer"),
        host=short_host(fields.get("computer")),
        local=local,
        category=fields.get("category"),
        description=text,
        pool=pool.group("pool").rstrip(".,") if pool else None,
        site=site.group("site").rstrip(".,") if site else None,
        crash=crash_from_text(fields.get("source", ""), int(raw_id.split(" ")[0]), text),
        pid=int(pid.group("pid")) if pid else None,
    ), time=local if local is not None and local.tzinfo is not None else None))


def _parse_text(lines: Lines, result: ParseResult) -> None:
    fields: dict[str, str] = {}
    description: list[str] = []
    start = 0
    in_description = False
    for number, line in lines:
        if EVENT_MARKER.match(line):
            _finish(result, lines, start, fields, description)
            fields, description, start, in_description = {}, [], number, False
            continue
        label = LABEL.match(line)
        name = LABELS.get(label.group("label").lower()) if label else None
        starts_event = name in START_FIELDS and (name in fields or in_description)
        if name and (starts_event or (not in_description and name in fields)):
            _finish(result, lines, start, fields, description)
            fields, description, start, in_description = {}, [], number, False
        if name and not in_description:
            fields[name] = label.group("value")
            start = start or number
            if name == "description":
                in_description = True
            continue
        if in_description:
            description.append(line.strip())
        elif line.strip() and fields:
            result.skips.append(Skip(number, "line outside any labelled event field"))
    _finish(result, lines, start, fields, description)


def _csv_rows(lines: Lines) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(first line number, cells or None, error) for each CSV row; quoted cells may span lines."""
    numbered = iter(lines)
    last = [0]

    def feed() -> Iterator[str]:
        for number, line in numbered:
            last[0] = number
            yield line + "\n"

    reader = csv.reader(feed())
    while True:
        start = last[0] + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, None, f"broken CSV row: {error}"
            return
        if row:
            yield start, row, None


def _parse_csv(lines: Lines, result: ParseResult) -> None:
    columns: list[str | None] | None = None
    for start, row, error in _csv_rows(lines):
        if row is None:
            result.data_lines += 1
            result.skips.append(Skip(start, error or "broken CSV row"))
            continue
        if columns is None or CSV_HEADER.match(",".join(row)):
            columns = [LABELS.get(cell.strip().lower()) for cell in row]
            continue
        fields = {name: cell for name, cell in zip(columns, row) if name}
        extra = row[len(columns):]
        if extra and "description" not in fields:
            fields["description"] = " ".join(cell.strip() for cell in extra)
        _finish(result, lines, start, fields, [])


def parse(lines: Lines) -> ParseResult:
    result = ParseResult(kind=KIND)
    head: list[tuple[int, str]] = []
    iterator = iter(lines)
    for number, line in iterator:
        head.append((number, line))
        if line.strip():
            break
    first = head[-1][1] if head else ""

    class _Chain(Lines):
        def __iter__(self):
            yield from head
            yield from iterator

    chained = _Chain(lines.path, [])
    if CSV_HEADER.match(first):
        _parse_csv(chained, result)
    else:
        _parse_text(chained, result)
    if not result.records and not result.skips:
        raise NotThisKind("no event with an Event ID found")
    hosts = Counter(r.data.host for r in result.records if r.data.host)
    if hosts:
        result.host = hosts.most_common(1)[0][0]
        if len(hosts) > 1:
            result.notes.append("events from several computers: " + ", ".join(sorted(hosts)))
    undated = sum(1 for r in result.records if r.data.local is None)
    if undated:
        result.notes.append(f"{counted(undated, 'event')} with a date that could not be read")
    return result
