"""The build-it classes of the reference solutions pass CPython's own semantics suites.

``test.lock_tests`` and ``test.test_queue`` ship with CPython (not with every
distribution's Python: Debian's are in ``libpython3.X-testsuite``): where they
are missing, these checks skip, unless KATA_REQUIRE_STDLIB_SUITES is set (as
.ci/run sets it), where a missing suite fails: a skip must not pass for a pass.
Tests of private or CPython-only details, and of what the lessons deliberately
leave out, are left out, each with its reason.
"""
from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import io
import os
import queue
import sys
import types
import unittest

import pytest

from kata import registry, trees
from tests.test_topics import load_file

REQUIRED = "KATA_REQUIRE_STDLIB_SUITES"  # set: a missing suite fails instead of skipping

# Private or CPython-only details a drop-in written in Python need not copy.
PRIVATE = {
    "test_repr": "the exact repr text is CPython's",
    "test_locked_repr": "the exact repr text is CPython's",
    "test_repr_count": "the exact repr text is CPython's",
    "test_at_fork_reinit": "_at_fork_reinit is a private CPython hook",
    "test_weakref_exists": "weak-referenceability of C lock objects",
    "test_weakref_deleted": "weak-referenceability of C lock objects",
    "test__is_owned": "_is_owned is private",
    "test_recursion_count": "_recursion_count is private",
    "test_release_save_unacquired": "_release_save is private",
    "test_release_unacquired": "C-level detail of the private _release_save protocol",
    "test_different_thread": "lock_tests' own helper behaviour on private API",
}

# topic, class name, suite module, suite class, attribute the suite reads, extra exclusions
SUITES = (
    ("deadlocks", "RLock", "test.lock_tests", "RLockTests", "locktype", {}),
    ("semaphores", "Semaphore", "test.lock_tests", "SemaphoreTests", "semtype", {}),
    ("semaphores", "BoundedSemaphore", "test.lock_tests", "BoundedSemaphoreTests", "semtype", {}),
    ("events", "Event", "test.lock_tests", "EventTests", "eventtype", {}),
    ("queues", "Queue", "test.test_queue", "QueueTest", "queue",
     {"*shutdown*": "Queue.shutdown() (new in 3.13) is beyond the API the kata asks for"}),
)


def solution_class(topic: str, name: str):
    return getattr(load_file(trees.module_path(trees.SOLUTIONS, topic), f"stdlib_suite_{topic}"), name)


def bind(attribute: str, cls):
    if attribute == "queue":  # test_queue reads Queue, Full and Empty from a module attribute
        return types.SimpleNamespace(Queue=cls, Full=queue.Full, Empty=queue.Empty)
    return staticmethod(cls)


@pytest.mark.parametrize(
    "topic, name, suite_module, suite_class, attribute, extra",
    [case for case in SUITES if case[0] in registry.names()],
    ids=lambda value: value if isinstance(value, str) and value[:1].isupper() and "." not in value else None,
)
def test_the_reference_class_passes_the_stdlib_suite(topic, name, suite_module, suite_class, attribute, extra):
    try:
        suite_base = getattr(importlib.import_module(suite_module), suite_class)
    except ImportError:
        if os.environ.get(REQUIRED):
            pytest.fail(f"{suite_module} is not installed with Python {sys.version.split()[0]} ({sys.executable}) "
                        f"and {REQUIRED} is set: install CPython's test package (Debian: "
                        f"libpython3.{sys.version_info.minor}-testsuite) or unset {REQUIRED}", pytrace=False)
        pytest.skip(f"{suite_module} is not installed with this Python")
    left_out = {**PRIVATE, **extra}
    members = {attribute: bind(attribute, solution_class(topic, name))}
    members.update({test: None for test in dir(suite_base)
                    if any(fnmatch.fnmatch(test, pattern) for pattern in left_out)})
    case = type(f"Kata{suite_class}", (suite_base, unittest.TestCase), members)
    stream = io.StringIO()
    result = unittest.TextTestRunner(stream=stream, verbosity=1).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(case))
    assert result.testsRun > 0, f"no stdlib test ran for {topic}.{name}"
    assert result.wasSuccessful(), (
        f"solutions/{topic}: {name} fails {len(result.failures) + len(result.errors)} of "
        f"{result.testsRun} tests of {suite_module}.{suite_class}:\n{stream.getvalue()[-4000:]}")


@pytest.mark.parametrize("required", [False, True], ids=["skips", "fails-where-required"])
def test_a_missing_suite_skips_or_fails_as_asked(required, monkeypatch):
    if required:
        monkeypatch.setenv(REQUIRED, "1")
    else:
        monkeypatch.delenv(REQUIRED, raising=False)
    expected = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(expected) as raised:
        test_the_reference_class_passes_the_stdlib_suite(*SUITES[0][:2], "test.no_such_suite", *SUITES[0][3:])
    assert "test.no_such_suite is not installed" in str(raised.value), (
        f"a missing suite with {REQUIRED} {'set' if required else 'unset'} said {raised.value}; "
        "expected it to name the missing module")
