"""The kata's own verdicts on every topic in the registry.

Solutions pass every test; stubs fail every test, quickly; each catalogued
mistake fails at least one test with a message that names it; stub and
solution offer the same API, and the stub keeps its TODOs and docstrings.
"""
from __future__ import annotations

import ast
import importlib.util
import inspect

import pytest

from kata import bounds, points, registry, trees
from kata.points import marked_tasks
from tests.catalogue import all_cases, mistakes

TOPICS = registry.names()
MIN_MISTAKES = 5

# These tests wait for whole topic runs, which the engine bounds itself (kata.engine.HARD_LIMIT).
pytestmark = pytest.mark.timeout(3600)


def summary(run) -> str:
    lines = [f"  {r['outcome']:7} {r['nodeid'].split('::')[-1]}: {r['message'][:200]}" for r in run.records]
    return "\n".join(lines) or f"  (no test finished; pytest said)\n{run.output[-3000:]}"


def test_the_registry_lists_topics_once_each():
    assert len(TOPICS) == len(set(TOPICS)), f"a topic appears twice in kata/registry.py: {TOPICS}"


@pytest.mark.parametrize("topic", TOPICS)
def test_the_solution_passes_every_test(runs, topic):
    run = runs.get("solutions", topic)
    assert run.records and not run.failed, f"solutions/{topic} against its tests:\n{summary(run)}"
    assert run.returncode == 0, f"pytest exited {run.returncode} on solutions/{topic}:\n{run.output[-3000:]}"


@pytest.mark.parametrize("topic", TOPICS)
def test_the_stub_fails_every_test_and_fast(runs, topic):
    run = runs.get("stubs", topic)
    passing = [r["nodeid"] for r in run.passed]
    assert run.records and not passing, f"tests that pass against the untouched stub of {topic}: {passing}"
    slow = [r["nodeid"] for r in run.records if r["duration"] > bounds.HANG]
    assert not slow, f"stub tests of {topic} that took longer than {bounds.HANG:g} s to fail: {slow}"
    pointless = [r["nodeid"] for r in run.records if "not implemented yet" not in r["message"]]
    assert not pointless, f"stub failures of {topic} that do not say 'not implemented yet': {pointless}"


@pytest.mark.parametrize("topic, mistake", all_cases(), ids=lambda value: getattr(value, "name", value))
def test_a_known_mistake_fails_with_a_message_that_names_it(runs, topic, mistake):
    run = runs.get("mistake", topic, mistake.name)
    assert run.failed, f"mistake {mistake.name!r} passed every {topic} test:\n{summary(run)}"
    naming = [r for r in run.failed if mistake.expect in r["message"]]
    assert naming, (f"mistake {mistake.name!r} failed, but no message says {mistake.expect!r}:\n"
                    f"{summary(run)}")


@pytest.mark.parametrize("topic", TOPICS)
def test_the_catalogue_holds_enough_mistakes(topic):
    names = [m.name for m in mistakes(topic)]
    assert len(names) >= MIN_MISTAKES, f"tests/mistakes/{topic}.py lists {len(names)} mistakes; keep at least {MIN_MISTAKES}"
    assert len(names) == len(set(names)), f"tests/mistakes/{topic}.py repeats a name: {names}"


def load_file(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def public_api(module) -> dict[str, str]:
    api = {}
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(value):
            api[name] = "class"
            for attr, member in vars(value).items():
                if not attr.startswith("_") or attr == "__init__":
                    api[f"{name}.{attr}"] = _signature(member)
        elif callable(value):
            api[name] = _signature(value)
    return api


def _signature(value) -> str:
    target = value.fget if isinstance(value, property) else value
    try:
        return str(inspect.signature(target))
    except (TypeError, ValueError):
        return type(value).__name__


@pytest.mark.parametrize("topic", TOPICS)
def test_stub_and_solution_offer_the_same_api(topic):
    stub = public_api(load_file(trees.module_path(trees.EXERCISES, topic), f"stub_{topic}"))
    solution = public_api(load_file(trees.module_path(trees.SOLUTIONS, topic), f"solution_{topic}"))
    assert stub == solution, f"public names and signatures differ between the stub and the solution of {topic}"


@pytest.mark.parametrize("topic", TOPICS)
def test_the_stub_keeps_its_todos_and_docstrings(topic):
    path = trees.module_path(trees.EXERCISES, topic)
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert ast.get_docstring(tree), f"{path} has no module docstring"
    assert "TODO" in source, f"{path} has no TODO left for the student"
    assert trees.readme_path(topic) in source, f"{path} never points the student to {trees.readme_path(topic)}"
    missing = [node.name for node in ast.walk(tree)
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
               and not node.name.startswith("_") and not ast.get_docstring(node)]
    assert not missing, f"{path}: public definitions without a docstring: {missing}"


@pytest.mark.parametrize("topic", TOPICS)
def test_every_task_has_tests_and_a_lesson(topic):
    entry = registry.get(topic)
    tasks = marked_tasks(points.test_file(topic))
    covered = set(tasks.values())
    numbers = {task.number for task in entry.tasks}
    assert covered == numbers, f"{topic}: registry tasks {sorted(numbers)}, tests cover {sorted(covered)}"
    readme = (trees.EXERCISES / topic / "README.md").read_text(encoding="utf-8")
    for task in entry.tasks:
        heading = f"## Task {task.number}: {task.title}"
        assert heading in readme, f"exercises/{topic}/README.md lacks the heading {heading!r} (from the registry)"
