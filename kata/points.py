"""Points: each test is worth its task's ``points`` (kata/registry.py).

The number of tests per task is read from the test file itself (the
``@pytest.mark.task(N)`` decorators), so docs, grader and self-checks agree.
"""
from __future__ import annotations

import ast
import functools
from collections import Counter
from pathlib import Path

from kata import registry, trees


def marked_tasks(test_file: Path) -> dict[str, int]:
    """Test function name -> task number, for every marked test in the file."""
    tasks = {}
    for node in ast.parse(test_file.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.mark.task":
                    tasks[node.name] = decorator.args[0].value
    return tasks


def test_file(topic: str) -> Path:
    return trees.EXERCISES / topic / f"test_{topic}.py"


def topic_points(topic: str) -> list[tuple[registry.Task, int]]:
    """(task, number of tests) for each task of the topic, in order."""
    counts = Counter(marked_tasks(test_file(topic)).values())
    return [(task, counts[task.number]) for task in registry.get(topic).tasks]


def points_for(topic: str, test_name: str) -> int:
    """Points of one test, by its function name (a parametrized test's id is stripped)."""
    base = test_name.split("[", 1)[0]
    number = marked_tasks(test_file(topic)).get(base)
    return registry.get(topic).task(number).points if number is not None else 1


@functools.lru_cache(maxsize=None)
def test_sources(test_file: Path) -> dict[str, str]:
    """Test function name -> its source (decorators included), as the file has it."""
    text = test_file.read_text(encoding="utf-8")
    lines = text.splitlines()
    sources = {}
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            sources[node.name] = "\n".join(lines[first - 1:node.end_lineno])
    return sources
