"""Which build of CPython this is: with the GIL, or free-threaded.

Whatever in the kata depends on the GIL (a test's explanation, the benchmark's
reading of its figures) asks here, so that one answer can be faked in the
self-checks and every such place follows it.
"""
from __future__ import annotations

import sys


def gil_enabled() -> bool:
    """True when this interpreter runs with the GIL.

    ``sys._is_gil_enabled()`` exists from Python 3.13 on and answers False on a
    free-threaded build (3.13t, 3.14t, ...); every older CPython has the GIL.
    """
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def describe() -> str:
    """One line naming the build and how that is known."""
    if not gil_enabled():
        return "free-threaded, no GIL (sys._is_gil_enabled() is False)"
    if hasattr(sys, "_is_gil_enabled"):
        return "with the GIL (sys._is_gil_enabled() is True)"
    return "with the GIL (this Python predates sys._is_gil_enabled(): every CPython before 3.13 has the GIL)"


def caveat() -> str | None:
    """What a student should know before trusting a verdict on this build; None with the GIL."""
    if gil_enabled():
        return None
    return ("free-threaded build: not proven by the kata's CI, and its probes read other threads' stacks, "
            "which CPython calls unsafe without the GIL: a run may crash instead of giving a verdict")
