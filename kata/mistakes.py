"""Known mistakes: a reference solution with one realistic error put in.

Each catalogue entry edits the solution's source text. An edit's old text must
occur exactly once, so a catalogue that drifts from its solution fails loudly
instead of silently testing nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Mistake:
    name: str
    edits: tuple[tuple[str, str], ...]
    expect: str  # words a failure message must contain: the test names this mistake
    start_method: str | None = None  # a mistake that only one start method exposes

    def apply(self, source: str) -> str:
        for old, new in self.edits:
            count = source.count(old)
            if count != 1:
                raise ValueError(f"mistake {self.name!r}: expected the text to edit once in the solution, "
                                 f"found it {count} times:\n{old}")
            source = source.replace(old, new)
        return source

    def build(self, topic: str, solution: Path, root: Path) -> Path:
        """Write the mistaken module as a one-topic tree under root; return the tree."""
        tree = root / self.name
        module = tree / topic / f"{topic}.py"
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(self.apply(solution.read_text(encoding="utf-8")), encoding="utf-8")
        return tree
