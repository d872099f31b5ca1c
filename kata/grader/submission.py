"""Find a submission's topic modules, whatever shape it arrives in, and copy only those.

Accepted layouts, per topic (the first found wins):
  PATH/exercises/<topic>/<topic>.py   a clone of the kata
  PATH/<topic>/<topic>.py             a folder per topic
  PATH/<topic>.py                     flat files, as uploads arrive on Gradescope
Nothing else is taken: test files, conftest.py or pytest settings in a
submission never reach the run.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path


class SubmissionError(Exception):
    """The submission cannot be read at all."""


@dataclass(frozen=True)
class Submission:
    root: Path
    found: dict[str, Path]  # topic -> the module file taken from the submission

    def missing(self, topics) -> list[str]:
        return [topic for topic in topics if topic not in self.found]


def candidates(root: Path, topic: str) -> list[Path]:
    return [root / "exercises" / topic / f"{topic}.py", root / topic / f"{topic}.py", root / f"{topic}.py"]


def discover(root: Path, topics) -> Submission:
    root = Path(root)
    if not root.exists():
        raise SubmissionError(f"no submission at {root}")
    if root.is_file():
        raise SubmissionError(f"{root} is a file; give the folder that holds the submission")
    found = {}
    for topic in topics:
        for path in candidates(root, topic):
            if path.is_file():
                found[topic] = path
                break
    return Submission(root, found)


def build_tree(submission: Submission, tree: Path) -> Path:
    """Copy each found module to tree/<topic>/<topic>.py; return the tree."""
    for topic, source in submission.found.items():
        target = tree / topic / f"{topic}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return tree
