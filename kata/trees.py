"""Where the kata's trees live, and which one is under test."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
ENV_VAR = "KATA_IMPL"


def module_path(tree: Path, topic: str) -> Path:
    return tree / topic / f"{topic}.py"


def readme_path(topic: str) -> str:
    """The lesson's path as a student sees it from the kata's root."""
    return f"exercises/{topic}/README.md"


def select(tree: Path) -> None:
    """Make ``tree`` the one that ``kata.impl`` imports, here and in every child process."""
    tree = Path(tree).resolve()
    os.environ[ENV_VAR] = str(tree)
    import kata.impl

    kata.impl.__path__[:] = [str(tree)]


def selected() -> Path:
    return Path(os.environ.get(ENV_VAR) or EXERCISES)
