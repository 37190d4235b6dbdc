"""The collector's MANIFEST.txt: it describes the collection, not the server, so it sets no facts."""
from __future__ import annotations

from ..evidence.base import ParseResult
from .model import Context, Facts, Source


def collect(facts: Facts, results: list[ParseResult], context: Context) -> None:
    """Nothing to add: what the collector missed is shown with the input itself."""


SOURCE = Source("manifest", ("manifest",), {}, collect)
