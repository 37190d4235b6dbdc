"""boot.ini: the switches of the default entry (/3GB, /USERVA, /PAE)."""
from __future__ import annotations

from ..evidence.base import ParseResult
from ..evidence.bootini import BootEntry
from .model import BOOL, NUMBER, Context, Facts, Source


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    for result in results:
        record = next(r for r in result.records if r.data.is_default)
        entry: BootEntry = record.data
        how = "switches of the default boot.ini entry: " + " ".join(entry.switches)
        facts.add("boot.switch_3gb", entry.switch_3gb, [record.source], how)
        facts.add("boot.userva_mb", entry.userva_mb, [record.source], how)
        facts.add("boot.pae", entry.pae, [record.source], how)


SOURCE = Source("bootini", ("bootini",), {
    "boot.switch_3gb": BOOL, "boot.userva_mb": NUMBER, "boot.pae": BOOL,
}, collect)
