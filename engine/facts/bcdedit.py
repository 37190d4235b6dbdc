"""bcdedit /enum: the current entry's increaseuserva (Vista+ /3GB) and PAE setting.

boot.ini, read first, wins where both speak."""
from __future__ import annotations

from ..evidence.base import ParseResult, Record
from ..evidence.bcdedit import BcdEntry
from .model import BOOL, NUMBER, Context, Facts, Source


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    for result in results:
        _one_file(facts, result)


def _one_file(facts: Facts, result: ParseResult) -> None:
    """`increaseuserva` is the Vista+ form of /3GB: it also sets boot.switch_3gb."""
    entry: Record[BcdEntry] | None = next((r for r in result.records if r.data.is_current), None)
    if entry is None:
        return
    settings, line_of = entry.data.settings, entry.data.line_of
    label = f"bcdedit entry {entry.data.identifier}"
    raw = settings.get("increaseuserva")
    if raw is not None and raw.strip().isdigit():
        ref = entry.at(line_of.get("increaseuserva"))
        facts.add("boot.increaseuserva_mb", int(raw), [ref], f"{label}: increaseuserva {raw}")
        if "boot.switch_3gb" not in facts:
            facts.add("boot.switch_3gb", True, [ref],
                      f"from bcdedit, not boot.ini: {label} has increaseuserva {raw}, the Vista+ form of /3GB")
    elif "boot.switch_3gb" not in facts:
        facts.add("boot.switch_3gb", False, [entry.source], f"from bcdedit: {label} has no increaseuserva (no /3GB equivalent)")
    if "pae" in settings and "boot.pae" not in facts:
        ref = entry.at(line_of["pae"])
        facts.add("boot.pae", settings["pae"].lower() == "forceenable", [ref], f"{label}: pae {settings['pae']}")


SOURCE = Source("bcdedit", ("bcdedit",), {
    "boot.increaseuserva_mb": NUMBER, "boot.switch_3gb": BOOL, "boot.pae": BOOL,
}, collect)
