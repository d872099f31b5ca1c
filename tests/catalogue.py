"""The known-mistakes catalogue: tests/mistakes/<topic>.py, one MISTAKES tuple per topic."""
from __future__ import annotations

import importlib

from kata import registry
from kata.mistakes import Mistake


def mistakes(topic: str) -> tuple[Mistake, ...]:
    """The topic's catalogue; empty (and so failing its self-check) when the file is missing."""
    try:
        return importlib.import_module(f"tests.mistakes.{topic}").MISTAKES
    except ModuleNotFoundError as exc:
        if exc.name != f"tests.mistakes.{topic}":
            raise
        return ()


def all_cases() -> list[tuple[str, Mistake]]:
    return [(topic, mistake) for topic in registry.names() for mistake in mistakes(topic)]
