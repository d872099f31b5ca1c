"""The swap seam: tests ask for a topic's module, never for a file.

``load("locks")`` imports ``kata.impl.locks.locks`` from the selected tree. A
module that is missing or fails to import turns into one clear failure per
test, and the failure is remembered so a slow or broken import runs once.
"""
from __future__ import annotations

import importlib
import sys
import traceback

import pytest

from kata import trees

_broken: dict[str, str] = {}


class TopicImportError(Exception):
    """The selected tree has no importable module for a topic."""


def dotted_name(topic: str) -> str:
    return f"kata.impl.{topic}.{topic}"


def load(topic: str):
    if topic in _broken:
        raise TopicImportError(_broken[topic])
    path = trees.module_path(trees.selected(), topic)
    if not path.is_file():
        _broken[topic] = f"no module for topic {topic!r}: expected a file at {path}"
        raise TopicImportError(_broken[topic])
    try:
        return importlib.import_module(dotted_name(topic))
    except (Exception, SystemExit) as exc:  # a student's module may do anything at import time
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" (line {last[0].lineno})" if last and last[0].filename == str(path) else ""
        if isinstance(exc, SyntaxError) and exc.lineno:
            where = f" (line {exc.lineno})"
        _broken[topic] = f"{path} failed to import{where}: {type(exc).__name__}: {exc}"
        raise TopicImportError(_broken[topic]) from None


def topic_fixture(topic: str):
    """A fixture that hands a test the topic's module from the selected tree."""

    @pytest.fixture(name=topic)
    def _module():
        session = sys.modules.get("kata.sandbox.session")  # imported only by --sandbox
        try:
            return session.module(topic) if session and session.enabled() else load(topic)
        except TopicImportError as exc:
            pytest.fail(str(exc), pytrace=False)

    return _module
