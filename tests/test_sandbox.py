"""The sandbox gives the same verdicts as one process: for every topic it supports,
the solution passes, the stub fails, and each catalogued mistake fails the very
same tests, one of them with the message that names it.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kata import engine, registry, trees
from kata.grader.grade import import_error
from kata.sandbox import SUPPORTED
from tests.catalogue import mistakes

SANDBOX = ("--sandbox",)
TOPICS = [topic for topic in registry.names() if topic in SUPPORTED]
CASES = [(topic, mistake) for topic in TOPICS for mistake in mistakes(topic)]

pytestmark = pytest.mark.timeout(3600)  # whole topic runs, bounded by the engine itself


# A correct counter that leaves a thread behind, and one that hides it from threading.enumerate():
# the judge reads the sandbox's threads from /proc, so hiding it changes nothing.
LEFTOVER_THREAD = """
import threading as _threading
_made = Counter.__init__
def _init(self, *args, **kwargs):
    _made(self, *args, **kwargs)
    thread = _threading.Thread(target=_threading.Event().wait, args=(30,), name="forgotten")
    thread.start()
    if HIDE:
        _threading._active.pop(thread.ident, None)
Counter.__init__ = _init
"""
LEAKS = {"a leftover thread": "HIDE = False\n" + LEFTOVER_THREAD, "a hidden leftover thread": "HIDE = True\n" + LEFTOVER_THREAD}


def leaking_tree(root: Path, name: str, code: str) -> Path:
    module = root / name / "locks" / "locks.py"
    module.parent.mkdir(parents=True)
    module.write_text(trees.module_path(trees.SOLUTIONS, "locks").read_text(encoding="utf-8") + code,
                      encoding="utf-8")
    return module.parent.parent


def _wanted(items) -> tuple[set, bool]:
    """The topics and mistakes the selected tests of this file ask about, and whether a leak test is selected."""
    wanted, leaks = set(), False
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "sandbox_runs" not in getattr(item, "fixturenames", ()):
            continue
        leaks |= "leak" in params
        topic, mistake = params.get("topic"), params.get("mistake")
        wanted |= {topic, (topic, getattr(mistake, "name", None))} if topic else set()
    return wanted, leaks


@pytest.fixture(scope="module")
def sandbox_runs(tmp_path_factory, request):
    """The runs the selected tests need, in both modes, started together on a pool as wide as the machine."""
    wanted, leaks = _wanted(request.session.items)
    scratch = tmp_path_factory.mktemp("sandbox-mistakes")
    pool = ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 2), thread_name_prefix="sandbox-check")
    futures = {}
    for topic, mistake in CASES:
        if (topic, mistake.name) not in wanted:
            continue
        tree = mistake.build(topic, trees.module_path(trees.SOLUTIONS, topic), Path(scratch))
        for mode, extra in (("in-process", ()), ("sandbox", SANDBOX)):
            futures[(mode, topic, mistake.name)] = pool.submit(
                engine.run_topic, topic, tree, start_method=mistake.start_method, extra_args=extra)
    for index, (leak, code) in enumerate(LEAKS.items() if leaks else ()):
        tree = leaking_tree(Path(scratch), f"leak-{index}", code)
        futures[("in-process", "leak", leak)] = pool.submit(engine.run_topic, "locks", tree)
        futures[("sandbox", "leak", leak)] = pool.submit(engine.run_topic, "locks", tree, extra_args=SANDBOX)
    for topic in [topic for topic in TOPICS if topic in wanted]:
        futures[("sandbox", topic, "solutions")] = pool.submit(engine.run_topic, topic, trees.SOLUTIONS,
                                                               extra_args=SANDBOX)
        futures[("sandbox", topic, "stubs")] = pool.submit(engine.run_topic, topic, trees.EXERCISES,
                                                           extra_args=SANDBOX)
    yield lambda *key: futures[key].result()
    pool.shutdown(wait=True)


def summary(run) -> str:
    lines = [f"  {r['outcome']:7} {r['nodeid'].split('::')[-1]}: {r['message'][:200]}" for r in run.records]
    if run.unfinished or not lines:  # a run cut short: what pytest said last is the only clue
        lines.append(f"  ({len(run.unfinished)} test(s) never finished; exit status {run.returncode}; "
                     f"pytest said)\n{run.output[-3000:]}")
    return "\n".join(lines)


@pytest.mark.parametrize("topic", TOPICS)
def test_the_solution_passes_every_test_in_the_sandbox(sandbox_runs, topic):
    run = sandbox_runs("sandbox", topic, "solutions")
    assert run.records and not run.failed, f"solutions/{topic} under --sandbox:\n{summary(run)}"
    assert not run.unfinished, f"tests of {topic} that never finished under --sandbox: {run.unfinished}"
    assert run.returncode == 0, f"pytest exited {run.returncode} on solutions/{topic} under --sandbox"


@pytest.mark.parametrize("topic", TOPICS)
def test_the_stub_fails_every_test_in_the_sandbox(sandbox_runs, topic):
    run = sandbox_runs("sandbox", topic, "stubs")
    passing = [r["nodeid"] for r in run.passed]
    assert run.records and not passing, f"tests that pass against the stub of {topic} under --sandbox: {passing}"
    pointless = [r["nodeid"] for r in run.records if "not implemented yet" not in r["message"]]
    assert not pointless, f"stub failures of {topic} under --sandbox without 'not implemented yet': {pointless}"


# The first failure is compared, not the whole list: a mistake that leaves threads running (a missing
# join) can also fail, or pass, the tests after it by how far those threads got, in either mode.
BROKEN_MODULES = {"a syntax error": "def broken(:\n", "an import that raises": "raise RuntimeError('not yet')\n"}


@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("broken", BROKEN_MODULES)
def test_a_module_that_cannot_import_is_told_alike_in_the_sandbox(tmp_path, topic, broken):
    module = tmp_path / topic / f"{topic}.py"
    module.parent.mkdir()
    module.write_text(BROKEN_MODULES[broken], encoding="utf-8")
    alone, boxed = engine.run_topic(topic, tmp_path), engine.run_topic(topic, tmp_path, extra_args=SANDBOX)
    told = lambda run: [(r["nodeid"], r["outcome"], r["message"]) for r in run.records]  # noqa: E731
    assert boxed.records and told(boxed) == told(alone), (
        f"a {topic} module with {broken} is told otherwise under --sandbox than in one process:\n"
        f"in one process:\n{summary(alone)}\nunder --sandbox:\n{summary(boxed)}")
    assert import_error(boxed.records), (
        f"the grader does not see that the {topic} module with {broken} failed to import under --sandbox "
        f"(it would grade it as failed tests, not as an error):\n{summary(boxed)}")


@pytest.mark.parametrize("topic, mistake", CASES, ids=lambda value: getattr(value, "name", value))
def test_a_mistake_fails_first_the_same_test_with_the_same_message_in_the_sandbox(sandbox_runs, topic, mistake):
    alone = sandbox_runs("in-process", topic, mistake.name)
    sandboxed = sandbox_runs("sandbox", topic, mistake.name)
    assert sandboxed.failed, f"mistake {mistake.name!r} passed every {topic} test under --sandbox:\n{summary(sandboxed)}"
    assert alone.failed, f"mistake {mistake.name!r} passed every {topic} test in one process:\n{summary(alone)}"
    first_alone, first_sandboxed = alone.failed[0], sandboxed.failed[0]
    assert first_sandboxed["nodeid"] == first_alone["nodeid"], (
        f"mistake {mistake.name!r} first failed another test under --sandbox than in one process:\n"
        f"in one process:\n{summary(alone)}\nunder --sandbox:\n{summary(sandboxed)}")
    assert mistake.expect in first_sandboxed["message"], (
        f"mistake {mistake.name!r} first failed {first_sandboxed['nodeid']} under --sandbox, but its message "
        f"does not say {mistake.expect!r}:\n{summary(sandboxed)}")


@pytest.mark.parametrize("leak", LEAKS)
def test_a_thread_left_behind_in_the_sandbox_fails_the_test_that_left_it(sandbox_runs, leak):
    sandboxed = sandbox_runs("sandbox", "leak", leak)
    failed = sorted(r["nodeid"] for r in sandboxed.failed)
    unnamed = [r["nodeid"] for r in sandboxed.failed if "'forgotten'" not in r["output"] and "unnamed" not in r["output"]]
    assert failed and not unnamed, (
        f"a counter that leaves {leak} behind, under --sandbox:\n{summary(sandboxed)}\n"
        "expected every test that made a counter to fail, naming the thread left behind")
    if leak == "a leftover thread":  # in one process a hidden thread escapes the guard; /proc does not miss it
        alone = sorted(r["nodeid"] for r in sandbox_runs("in-process", "leak", leak).failed)
        assert failed == alone, (
            f"{leak}: under --sandbox these tests failed: {failed}; in one process: {alone}; expected the same")
