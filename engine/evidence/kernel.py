"""The one place that chooses between the compiled kernel (`_hotloop.c`) and its Python twin.

Both expose the same functions with the same results (tests/test_hotloop.py):
`scan` and `count_keys` for the HTTPERR fast path, `busy_minutes`, `minute_stats`,
`minute_buckets`, `bucket_arrays` and `window_peaks` for `MinuteCounts`, `sorted_busy` for the
hourly series of incidents, `newlines` for the reader. Callers that
care which one runs take a `kernel` argument; everyone else calls `choose()`,
which gives the compiled kernel where it was built, unless
HTTPERR_DOCTOR_PURE_PYTHON is set (read on every call, so a test or a worker
process sees the environment it runs in).
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType

try:  # built by setup.py where a C compiler is there; optional
    from . import _hotloop as _compiled
except ImportError:  # pragma: no cover - no C compiler where it was installed
    _compiled = None

COMPILED: ModuleType | None = _compiled
PURE_PYTHON_ENV = "HTTPERR_DOCTOR_PURE_PYTHON"


def __getattr__(name: str) -> ModuleType:
    """`PYTHON`, the twin, loaded when first asked for: its tables cost a few ms that a run
    on the compiled kernel never needs. Kept as a module global once loaded, so later
    lookups (every `choose()` of a pure-Python run) find it without coming here."""
    if name == "PYTHON":
        twin = globals()["PYTHON"] = importlib.import_module(f"{__package__}.kernel_twin")
        return twin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def choose(kernel: ModuleType | None = None) -> ModuleType:
    """`kernel` when given, else the compiled kernel unless it is missing or the environment asks for Python."""
    if kernel is not None:
        return kernel
    if COMPILED is None or os.environ.get(PURE_PYTHON_ENV):
        return globals().get("PYTHON") or __getattr__("PYTHON")
    return COMPILED
