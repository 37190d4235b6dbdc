"""HTTP.sys error log (`%SystemRoot%\\System32\\LogFiles\\HTTPERR\\httperr*.log`).

Space-separated W3C lines, times in UTC, `-` for an empty field. The columns come
from the latest `#Fields:` directive (HTTP.sys writes a new header block each time
it starts writing to a file); without one the classic 13-field layout is assumed.
Sample input::

    #Software: Microsoft HTTP API 2.0
    #Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename
    2007-11-13 20:01:44 - - - - - - - - - 3_Connections_Refused -
    2007-01-01 23:48:12 10.0.0.5 3362 10.0.0.1 80 HTTP/1.0 POST /URL/Page - 1 Connection_Dropped -

Lines become one mergeable `HttpErrStats` (stats.py: counts per reason, per minute,
per URL, per queue, first and last seen), never a list of millions of records.
The rooms: `fields` (the layout, timestamps, recognising a file), `reference` (the
line parser that decides everything), `fastpath` (blocks of bytes counted by the
kernel, the compiled `_hotloop.c` or its Python twin, chosen in `kernel.py`).

>>> from httperr_doctor.engine.evidence.base import Lines
>>> stats = parse(Lines("httperr1.log", [
...     "2007-11-13 20:01:44 - - - - - - - - - 3_Connections_Refused -",
...     "2007-11-13 20:01:49 - - - - - - - - - 4_Connections_Refused -",
... ])).stats
>>> stats.reasons["Connections_Refused"], stats.reason_lines["Connections_Refused"]
(7, 2)
"""
from __future__ import annotations

from types import ModuleType

from ..base import Lines, ParseResult
from ..kernel import choose
from ..minutes import MinuteCounts, minute_number, text_of_minute
from .fastpath import Parser
from .fields import DEFAULT_FIELDS, KIND, KNOWN_FIELDS, parse_time, sniff, w3c_stamp
from .stats import EXAMPLES_PER_REASON, URL_CAP, HttpErrStats

__all__ = ["DEFAULT_FIELDS", "EXAMPLES_PER_REASON", "KIND", "KNOWN_FIELDS", "URL_CAP", "HttpErrStats", "MinuteCounts",
           "minute_number", "parse", "parse_time", "sniff", "text_of_minute", "w3c_stamp"]


def parse(lines: Lines, kernel: ModuleType | None = None) -> ParseResult:
    """The file's aggregate; blocks of bytes go through `kernel` (default: `kernel.choose()`), lines alone do not."""
    parser = Parser(lines, choose(kernel))
    if lines.blocks is not None:
        for first, block in lines.blocks():
            parser.block(first, block)
    else:
        for number, line in lines:
            parser.line(number, line)
    return parser.finish()
