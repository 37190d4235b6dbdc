"""One aggregate per high-volume source (HTTPERR, IIS) for a server's many files."""
from __future__ import annotations

from typing import Any

from ..evidence.base import ParseResult
from .model import Context


def merge_stats(parts: list, kind):
    """One aggregate for read-only use: the only part itself (no copy of a year of
    per-minute arrays), else a fresh merge in order; None when there is nothing."""
    if len(parts) <= 1:
        return parts[0] if parts else None
    merged = kind()
    for part in parts:
        merged.merge(part)
    return merged


def merged_stats(context: Context, results: list[ParseResult], parser_kind: str, kind) -> Any:
    """The merged aggregate of this server's `parser_kind` files, merged once per diagnosis
    though several steps read it."""
    if parser_kind not in context.merged:
        parts = [r.stats for r in results if r.kind == parser_kind and r.stats is not None]
        context.merged[parser_kind] = merge_stats(parts, kind)
    return context.merged[parser_kind]
