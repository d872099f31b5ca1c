"""Who ran when, on a logical clock, drawn as ASCII for failure messages.

Ticks count events (a start or an end), not seconds, so the same interleaving
draws the same picture on a fast machine and a loaded one.
"""
from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager


class Timeline:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ticks = itertools.count()
        self._spans: dict[str, list[int | None]] = {}

    def start(self, name: str) -> None:
        with self._lock:
            self._spans[name] = [next(self._ticks), None]

    def end(self, name: str) -> None:
        with self._lock:
            self._spans[name][1] = next(self._ticks)

    @contextmanager
    def span(self, name: str):
        self.start(name)
        try:
            yield
        finally:
            self.end(name)

    def spans(self) -> dict[str, tuple[int, int | None]]:
        with self._lock:
            return {name: (start, end) for name, (start, end) in self._spans.items()}

    def overlapped(self) -> bool:
        """True if some two spans were open at the same time."""
        spans = sorted(self.spans().values())
        return any(
            later_start < (end if end is not None else float("inf"))
            for (_, end), (later_start, _) in zip(spans, spans[1:])
        )

    def render(self) -> str:
        spans = self.spans()
        if not spans:
            return "  (nothing ran)"
        cell = 3  # characters per tick: wide enough to read, narrow enough for many workers
        width = cell * max(end if end is not None else start + 1 for start, end in spans.values())
        label = max(len(name) for name in spans)
        lines = []
        for name, (start, end) in sorted(spans.items(), key=lambda item: item[1][0]):
            stop = cell * end if end is not None else width
            bar = " " * (cell * start) + "#" * (stop - cell * start)
            tail = "" if end is not None else "  (never finished)"
            lines.append(f"  {name:<{label}} |{bar:<{width}}|{tail}")
        return "\n".join(lines)
