"""The swap seam: tests ask for a topic's module, never for a file.

``load("locks")`` imports ``kata.impl.locks.locks`` from the selected tree,
once a short-lived child has shown that the import finishes (kata.import_check):
a module stuck in its top-level code fails the topic's tests at once instead of
hanging the test process. A module that is missing or fails to import is
remembered, so its tests all fail at once: the first with the whole story, the
others in one line.
"""
from __future__ import annotations

import importlib
import linecache
import sys
import traceback
from pathlib import Path

from kata import import_check, trees

_broken: dict[str, TopicImportError] = {}
_told: set[str] = set()

MAIN_GUARD = ("top-level code runs at import: put it under `if __name__ == '__main__':` "
              "(or inside a function the tests call)")


class TopicImportError(Exception):
    """The selected tree has no importable module for a topic."""

    def __init__(self, story: str, summary: str) -> None:
        super().__init__(story)
        self.story = story  # what went wrong, where, and what to do
        self.summary = summary  # the same in one line, for every test after the first


def dotted_name(topic: str) -> str:
    return f"kata.impl.{topic}.{topic}"


def load(topic: str):
    if topic in _broken:
        raise _broken[topic]
    path = trees.module_path(trees.selected(), topic)
    if not path.is_file():
        _broken[topic] = _error(f"no module for topic {topic!r}: expected a file at {path}")
    else:
        try:
            return _import(topic, path)
        except TopicImportError as exc:
            _broken[topic] = exc
    raise _broken[topic]


def _import(topic: str, path: Path):
    name = dotted_name(topic)
    if name not in importlib.sys.modules:
        trial = import_check.trial_import(name, path)
        if not trial.finished:
            raise _error(f"{_shown(path)} failed to import: {trial.why}", path, trial.line,
                         MAIN_GUARD if trial.stuck else "")
    try:
        return importlib.import_module(name)
    except (Exception, SystemExit) as exc:  # a student's module may do anything at import time
        line = exc.lineno if isinstance(exc, SyntaxError) and exc.filename == str(path) else _line_in(exc, path)
        failure = f"{type(exc).__name__}: {exc.msg if isinstance(exc, SyntaxError) else exc}"
    raise _error(f"{_shown(path)} failed to import: {failure}", path, line)  # outside the except: no chained report


def _shown(path: Path) -> str:
    """The module's path as the student typed it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _line_in(exc: BaseException, path: Path) -> int | None:
    """The innermost line of ``path`` in the exception's traceback."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == str(path)]
    return frames[-1].lineno if frames else None


def _error(headline: str, path: Path | None = None, line: int | None = None, lesson: str = "") -> TopicImportError:
    lines = [headline]
    summary = headline.splitlines()[0]
    if line is not None:
        source = linecache.getline(str(path), line).rstrip()
        lines.append(f"  line {line}: {source.strip()}" if source else f"  at line {line}")
        summary += f" (line {line})"
    if lesson:
        lines.append(lesson)
    lines.append("every test of this topic needs the module, so each one fails until it imports")
    return TopicImportError("\n".join(lines), summary)


def topic_fixture(topic: str):
    """A fixture that hands a test the topic's module from the selected tree."""
    import pytest  # here, not at the top: the sandbox imports this module and needs no pytest

    @pytest.fixture(name=topic)
    def _module():
        session = sys.modules.get("kata.sandbox.session")  # imported only by --sandbox
        try:
            return session.module(topic) if session and session.enabled() else load(topic)
        except TopicImportError as exc:
            error = exc
        first = topic not in _told
        _told.add(topic)
        pytest.fail(error.story if first else f"{error.summary} (the topic's first failing test says more)",
                    pytrace=False)

    return _module
