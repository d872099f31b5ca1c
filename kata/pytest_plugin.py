"""The kata's pytest plugin, loaded by the root conftest.py.

Options choose the tree under test and the multiprocessing start method;
fixtures hand tests their probes; hooks turn a stub's NotImplementedError into
one readable line and a function that cannot be pickled into a lesson, fail a
test that leaks threads or processes, and make sure
the run exits even when a student's thread is stuck for good.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

import pytest

from kata import (build, hygiene, misuse, pickling, registry, stall, stall_child, stall_picture, stall_sleep, stall_spin,
                  trees)
from kata.probes import LockSpy
from kata.results import ResultLog
from kata.timeline import Timeline

START_METHODS = ("fork", "forkserver", "spawn")
START_METHOD_ENV = "KATA_START_METHOD"
_LEAKS = pytest.StashKey[list]()
_BEFORE = pytest.StashKey[hygiene.Snapshot]()
_THREADS_BEFORE = pytest.StashKey[set]()  # native ids of the threads alive before an exercise test


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kata", "concurrency-kata")
    group.addoption("--solutions", action="store_true",
                    help="test the reference solutions instead of exercises/")
    group.addoption("--impl", metavar="PATH", type=Path,
                    help="test the tree at PATH, laid out like exercises/ (PATH/<topic>/<topic>.py)")
    group.addoption("--start-method", choices=START_METHODS,
                    help="multiprocessing start method for the process topics (default: the platform's)")
    group.addoption("--kata-log", metavar="FILE", type=Path,
                    help="append one JSON line per finished test to FILE")
    group.addoption("--sandbox", action="store_true",
                    help="run the topic module in a separate sandbox process, as the grader does")


def pytest_configure(config: pytest.Config) -> None:
    solutions, impl = config.getoption("solutions"), config.getoption("impl")
    if solutions and impl:
        raise pytest.UsageError("choose one of --solutions and --impl, not both")
    if impl is not None and not impl.is_dir():
        raise pytest.UsageError(f"--impl {impl}: no such directory")
    trees.select(trees.SOLUTIONS if solutions else impl or trees.EXERCISES)
    stall_child.open_registry()  # where the tests' child processes register their kata waits
    method = config.getoption("start_method")
    if method:
        os.environ[START_METHOD_ENV] = method
    log = config.getoption("kata_log")
    if log is not None and not hasattr(config, "workerinput"):  # the xdist controller writes it
        config.pluginmanager.register(ResultLog(log), "kata-result-log")
    if config.getoption("sandbox"):
        from kata.sandbox import plugin, session

        session.enable(trees.selected(), method)
        config.pluginmanager.register(plugin.SandboxPlugin(topic_of), "kata-sandbox")


def pytest_report_header(config: pytest.Config) -> list[str]:
    method = os.environ.get(START_METHOD_ENV) or multiprocessing.get_start_method(allow_none=True) or \
        multiprocessing.get_context().get_start_method()
    caveat = build.caveat()
    return [f"kata: testing {trees.selected()} (start method: {method})"] + ([f"kata: {caveat}"] if caveat else [])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        topic = topic_of(item)
        if topic is None:
            continue
        marker = item.get_closest_marker("task")
        if marker is None:
            raise pytest.UsageError(f"{item.nodeid}: every exercise test needs @pytest.mark.task(N)")
        registry.get(topic).task(marker.args[0])  # fails loudly on a task the registry lacks


def topic_of(item: pytest.Item) -> str | None:
    """The topic an exercise test belongs to, from its directory under exercises/."""
    path = Path(item.path)
    if path.parent.parent == trees.EXERCISES and path.name == f"test_{path.parent.name}.py":
        return path.parent.name
    return None


# -- fixtures ---------------------------------------------------------------

@pytest.fixture
def start_method() -> str:
    return os.environ.get(START_METHOD_ENV) or multiprocessing.get_context().get_start_method()


@pytest.fixture
def mp_context(start_method):
    """The multiprocessing context chosen with --start-method (under --sandbox, the sandbox's own)."""
    if "kata.sandbox.session" in sys.modules and sys.modules["kata.sandbox.session"].enabled():
        from kata.sandbox import contexts

        return contexts.context(start_method)
    return multiprocessing.get_context(start_method)


@pytest.fixture
def lock_spy() -> LockSpy:
    return LockSpy()


@pytest.fixture
def timeline() -> Timeline:
    return Timeline()


# -- a stub fails in one line; a stall fails at once, with its picture; a function that
#    cannot be pickled is explained ----------------------------------------------------

@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    before = item.stash.get(_THREADS_BEFORE, None)
    detector = None
    if before is not None:
        tree = trees.selected().resolve()
        detector = stall.Detector(before, describe=lambda tids, timed: stall_picture.describe(tids, tree, timed),
                                  locate=lambda tids, quiet=False: stall_picture.locate(tids, tree, quiet),
                                  spin=stall_spin.SpinWatch(tree), sleep=stall_sleep.SleepWatch(tree)).start()
    try:
        try:
            return (yield)
        finally:
            if detector is not None:
                detector.stop()
    except NotImplementedError as exc:
        message = str(exc) or "not implemented yet"
    except stall.Stall as exc:
        message = _with_skips(str(exc), detector.verdict)
    except pytest.xfail.Exception:  # a Failed too, but an expected one
        raise
    except (AssertionError, pytest.fail.Exception) as exc:
        # A test's own failure keeps its message (it may explain a pickling error in its own words);
        # only multiprocessing's refusals are AssertionErrors worth explaining.
        message = _explained_here(misuse.explain, exc, item) or _explained(exc, detector)
        if message is None:
            raise
    except Exception as exc:  # a test's own pytest.fail is no Exception: its message stands
        message = _explained_here(pickling.explain, exc, item) or _explained_here(misuse.explain, exc, item)
        if message is None:
            raise
    pytest.fail(message, pytrace=False)  # outside the except: no chained traceback


def _explained_here(explain, exc: BaseException, item) -> str | None:
    """``explain(exc, the student's folder)`` in an exercise test (None elsewhere, or when it does not apply)."""
    return explain(exc, trees.selected()) if topic_of(item) is not None else None


def _explained(failure: BaseException, detector: stall.Detector | None) -> str | None:
    """The failure's message with what the detector saw, or None when it saw nothing worth adding."""
    if detector is None:
        return None
    message = failure.msg if isinstance(failure, pytest.fail.Exception) else str(failure)
    if detector.spinning is not None:
        return f"{message}\n\n{detector.spinning}"
    if detector.verdict is not None:
        return f"{message}\n\n{_with_skips(detector.verdict.picture, detector.verdict)}"
    if detector.expiry is not None:
        return f"{message}\n\n{detector.expiry}"
    running = detector.where_now()
    if running is None:
        return None
    return f"{message}\n\nthe test's threads still inside your module when it failed:\n{running}"


def _with_skips(picture: str, verdict: stall.Verdict | None) -> str:
    if verdict is None or not verdict.skipped:
        return picture
    ended = "; ".join(dict.fromkeys(verdict.skipped))
    return f"{picture}\n(so the kata ended its own bounded waits at once, as if they had run out: {ended})"


# -- hygiene: nothing outlives its test ----------------------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Exercise tests only: the kata's own self-checks keep session-wide helpers.
    if topic_of(item) is not None:
        item.stash[_BEFORE] = hygiene.Snapshot.take()
        item.stash[_THREADS_BEFORE] = stall.thread_ids()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem):
    try:
        return (yield)
    finally:
        before = item.stash.get(_BEFORE, None)
        if before is not None:
            item.stash[_LEAKS] = _leaks_since(before)


def _leaks_since(before: hygiene.Snapshot) -> list[str]:
    leaks = [f"thread {t.name!r} ({'non-daemon' if not t.daemon else 'a pool worker'}) is still running"
             for t in hygiene.leaked_threads(before)]
    leaks += [f"child process {what}" for what in hygiene.reap_leaked_processes(before)]
    return leaks


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    leaks = item.stash.get(_LEAKS, None)
    if call.when == "teardown" and leaks:
        report.outcome = "failed"
        report.longrepr = (
            "this test left work running after it ended:\n"
            + "\n".join(f"  - {leak}" for leak in leaks)
            + "\nhint: join every thread and process you start (or use a with-block for pools)"
        )
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


_EXIT_STATUS = pytest.StashKey[int]()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    stall_child.close_registry()
    stuck = hygiene.threads_blocking_exit()
    if stuck and not hasattr(config, "workerinput"):
        names = ", ".join(repr(t.name) for t in stuck)
        print(f"\nkata: thread(s) {names} never finished; exiting without waiting for them")
        hygiene.exit_now(config.stash.get(_EXIT_STATUS, 1))
