"""`reg query` of HTTP\\Parameters: the http.sys settings that move its limits."""
from __future__ import annotations

import re

from ..evidence.base import ParseResult, Record
from ..evidence.regquery import RegListing, RegValue
from .model import BOOL, NUMBER, Context, Facts, Source

HTTP_PARAMETERS = re.compile(r"\\services\\http\\parameters$", re.IGNORECASE)
HTTP_PARAMETERS_OR_SUBKEY = re.compile(r"\\services\\http\\parameters(\\[^\\]+)?$", re.IGNORECASE)
# Values whose absence means a documented default (KB 820129, R11); MaxConnections has none to state.
REGISTRY_DEFAULTS = {"maxfieldlength": 16_384, "maxrequestbytes": 16_384}
REGISTRY_FACTS = {
    "maxconnections": "httpsys.max_connections",
    "maxfieldlength": "httpsys.max_field_length",
    "maxrequestbytes": "httpsys.max_request_bytes",
}


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    for result in results:
        _one_file(facts, result)


def http_parameters(result: ParseResult) -> list[Record[RegValue]] | None:
    """The values a file lists under HTTP\\Parameters: [] for a listing of the key (or of its
    subkeys only) without values, None when the file does not list that key."""
    values: list[Record[RegValue]] = [r for r in result.records if HTTP_PARAMETERS.search(r.data.key)]
    listing: RegListing | None = result.summary
    if values or (listing is not None and HTTP_PARAMETERS_OR_SUBKEY.search(listing.queried_key)):
        return values
    return None


def _one_file(facts: Facts, result: ParseResult) -> None:
    """The values set under HTTP\\Parameters, and the defaults of those the key does not hold.

    A listing of the key (or of its subkeys only) with no MaxFieldLength line is evidence
    that MaxFieldLength is at its default, not a missing fact.
    """
    values = http_parameters(result)
    if values is None:
        return
    where = [values[0].source] if values else []
    by_name = {r.data.name.lower(): r for r in values}
    aggressive = by_name.get("enableaggressivememoryusage")
    if aggressive is not None:
        facts.add("httpsys.aggressive_memory_usage", aggressive.data.value == 1, [aggressive.source],
                  f"EnableAggressiveMemoryUsage = {aggressive.data.value}")
    else:
        facts.add("httpsys.aggressive_memory_usage", False, where,
                  "EnableAggressiveMemoryUsage is not set under HTTP\\Parameters (default 0)")
    for name, fact in REGISTRY_FACTS.items():
        record = by_name.get(name)
        if record is not None and isinstance(record.data.value, int):
            facts.add(fact, record.data.value, [record.source], f"{record.data.name} = {record.data.value:,}")
        elif name in REGISTRY_DEFAULTS:
            facts.add(fact, REGISTRY_DEFAULTS[name], where,
                      f"not set under HTTP\\Parameters, so the default {REGISTRY_DEFAULTS[name]:,} bytes")


SOURCE = Source("regquery", ("regquery",), {
    "httpsys.aggressive_memory_usage": BOOL, **{fact: NUMBER for fact in REGISTRY_FACTS.values()},
}, collect)
