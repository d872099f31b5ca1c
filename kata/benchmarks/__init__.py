"""``kata bench NAME``: benchmarks print figures; no test asserts on speed."""
from __future__ import annotations

import importlib
import pkgutil
import sys


def available() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(__path__))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in available():
        print(f"usage: kata bench {{{','.join(available())}}} [options]", file=sys.stderr)
        return 2
    return importlib.import_module(f"{__name__}.{argv[0]}").main(argv[1:]) or 0
