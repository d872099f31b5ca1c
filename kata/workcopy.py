"""The student's working copy of the kata, and the state the companion keeps in it.

Commands act on the checkout that contains the current directory, so a
student can run ``kata`` from anywhere inside their clone. State lives in
``<copy>/.kata/`` as small JSON files; a missing or corrupt file is treated
as empty, never as an error.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from kata import trees


@dataclass(frozen=True)
class WorkCopy:
    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> WorkCopy:
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "exercises").is_dir() and (folder / "pyproject.toml").is_file():
                return cls(folder)
        return cls(trees.ROOT)

    @property
    def exercises(self) -> Path:
        return self.root / "exercises"

    def module(self, topic: str) -> Path:
        return trees.module_path(self.exercises, topic)

    def test_file(self, topic: str) -> Path:
        return self.exercises / topic / f"test_{topic}.py"

    def fingerprint(self, topic: str) -> str:
        """Changes when the student's module or the topic's tests change."""
        digest = hashlib.sha256()
        for path in (self.module(topic), self.test_file(topic)):
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        return digest.hexdigest()

    @property
    def state_dir(self) -> Path:
        return self.root / ".kata"

    def load(self, name: str) -> dict:
        try:
            data = json.loads((self.state_dir / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, name: str, data: dict) -> None:
        self.state_dir.mkdir(exist_ok=True)
        path = self.state_dir / f"{name}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        temporary.replace(path)  # never a half-written file, even if interrupted
