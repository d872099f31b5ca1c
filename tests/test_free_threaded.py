"""Whatever depends on the GIL asks kata.build, and says what is true on either build.

No free-threaded CPython can be installed where the kata's CI runs, so these
checks fake the interpreter's answer (``sys._is_gil_enabled``) both ways and run
the code that adapts: kata.build itself, the benchmark's report, and the gil
topic's tests, which must pass the solution and catch the threads-for-computing
mistakes with words true on that build. What only a real free-threaded
interpreter can show (threads computing in parallel, a bare ``+= 1`` losing
updates) is not proven here.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from kata import build, pytest_plugin, trees
from kata.benchmarks import gil as gil_bench
from kata.support import gil as gil_probes
from tests.catalogue import mistakes

BUILDS = {True: "with the GIL", False: "free-threaded"}


@pytest.fixture(params=[True, False], ids=["gil", "free-threaded"])
def gil_answer(request, monkeypatch):
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: request.param, raising=False)
    return request.param


def test_the_build_follows_the_interpreter(gil_answer):
    assert build.gil_enabled() is gil_answer, (
        f"sys._is_gil_enabled() answered {gil_answer}; kata.build.gil_enabled() said {build.gil_enabled()!r}")
    assert BUILDS[gil_answer] in build.describe(), (
        f"sys._is_gil_enabled() answered {gil_answer}; describe() said {build.describe()!r}, expected it to "
        f"say {BUILDS[gil_answer]!r}")


def test_the_report_header_warns_only_on_a_free_threaded_build(gil_answer, pytestconfig):
    header = "\n".join(pytest_plugin.pytest_report_header(pytestconfig))
    warned = "free-threaded build: not proven" in header
    assert warned is not gil_answer, (
        f"sys._is_gil_enabled() answered {gil_answer}; pytest's header said {header!r}: it must warn exactly "
        "when there is no GIL, since the probes' reads of other threads' stacks are unsafe only then")


def test_a_python_without_the_question_has_the_gil(monkeypatch):
    monkeypatch.delattr(sys, "_is_gil_enabled", raising=False)
    assert build.gil_enabled() is True, "without sys._is_gil_enabled (before 3.13) gil_enabled() must be True"
    assert "predates" in build.describe(), f"describe() said {build.describe()!r}; expected it to say why"


def test_the_benchmark_names_the_build_and_reads_its_figures_for_it(gil_answer, monkeypatch, capsys):
    figures = {kind: dict.fromkeys(gil_bench.WAYS, 1.0) for kind in ("CPU-bound", "IO-bound")}
    monkeypatch.setattr(gil_bench, "measure", lambda options, ctx: figures)  # the report, not the timing
    assert gil_bench.main(["--start-method", "fork"]) == 0
    out = capsys.readouterr().out
    assert f"Build: {BUILDS[gil_answer]}" in out, (
        f"with sys._is_gil_enabled() answering {gil_answer} the report did not say "
        f"'Build: {BUILDS[gil_answer]}':\n{out}")
    said = gil_bench.reading()
    assert said in out, f"the report does not end with its reading {said!r}:\n{out}"
    if gil_answer:
        assert "take turns" in said, f"on a build with the GIL the reading should say threads take turns: {said!r}"
    else:
        assert "in parallel" in said and "no speed-up" not in said, (
            f"on a free-threaded build the reading must not deny that threads speed up CPU work: {said!r}")


def test_the_gil_messages_are_true_on_the_build(gil_answer):
    said = gil_probes.why_not_threads_for_computing()
    if gil_answer:
        assert "under the GIL threads take turns" in said, said
    else:
        assert "free-threaded" in said and "threads would compute side by side here" in said, said


def run_gil_tests(tree, gil_answer, tests: str) -> subprocess.CompletedProcess:
    """pytest exercises/gil against tree, in a fresh interpreter whose sys._is_gil_enabled() is faked."""
    fake = (f"import sys; sys._is_gil_enabled = lambda: {gil_answer}; import pytest; "
            "raise SystemExit(pytest.main(sys.argv[1:]))")
    return subprocess.run(
        [sys.executable, "-c", fake, str(trees.ROOT / "exercises" / "gil"), "--impl", str(tree), "-k", tests,
         "--start-method", "fork", "-q", "-p", "no:cacheprovider", "--tb=short"],
        cwd=trees.ROOT, capture_output=True, text=True, timeout=300)


# The tests whose messages explain the GIL, and the mistakes they catch.
CPU_TESTS = "distinct_processes_at_once or cpu_bound_work_gets_a_process_pool"
CPU_MISTAKES = ("threads-chosen-for-cpu-work", "chooser-gives-threads-for-cpu-work")


def test_the_gil_tests_pass_the_solution_on_either_build(gil_answer):
    run = run_gil_tests(trees.SOLUTIONS, gil_answer, CPU_TESTS)
    assert run.returncode == 0, (
        f"with sys._is_gil_enabled() faked to {gil_answer}, the gil tests failed the solution:\n"
        f"{run.stdout[-3000:]}{run.stderr[-2000:]}")


@pytest.mark.parametrize("name", CPU_MISTAKES)
def test_the_gil_tests_catch_threads_for_computing_in_words_true_on_the_build(gil_answer, name, tmp_path):
    mistake = next(m for m in mistakes("gil") if m.name == name)
    tree = mistake.build("gil", trees.module_path(trees.SOLUTIONS, "gil"), tmp_path)
    run = run_gil_tests(tree, gil_answer, CPU_TESTS)
    out = run.stdout
    assert run.returncode == 1 and mistake.expect in out, (
        f"mistake {name!r} with sys._is_gil_enabled() faked to {gil_answer}: expected a failure saying "
        f"{mistake.expect!r}; exit status {run.returncode}:\n{out[-3000:]}{run.stderr[-2000:]}")
    told = "under the GIL threads take turns"
    assert (told in out) is gil_answer and (gil_answer or "this Python is free-threaded" in out), (
        f"mistake {name!r} with sys._is_gil_enabled() faked to {gil_answer}: the failure should explain the "
        f"GIL as it is on a build {BUILDS[gil_answer]}:\n{out[-3000:]}")
