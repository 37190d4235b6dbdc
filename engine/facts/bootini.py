"""boot.ini: the switches of the default entry (/3GB, /USERVA, /PAE)."""
from __future__ import annotations

from ..evidence.base import ParseResult
from .model import BOOL, NUMBER, Context, Facts, Source


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    for result in results:
        entry = next(r for r in result.records if r.data["is_default"])
        how = "switches of the default boot.ini entry: " + " ".join(entry.data["switches"])
        facts.add("boot.switch_3gb", entry.data["switch_3gb"], [entry.source], how)
        facts.add("boot.userva_mb", entry.data["userva_mb"], [entry.source], how)
        facts.add("boot.pae", entry.data["pae"], [entry.source], how)


SOURCE = Source("bootini", ("bootini",), {
    "boot.switch_3gb": BOOL, "boot.userva_mb": NUMBER, "boot.pae": BOOL,
}, collect)
