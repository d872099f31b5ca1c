"""`kata grade`: full marks for the solutions, zero for the stubs, and hostile
submissions that cost only their own topic, in bounded time, leaving nothing behind.

The hostile submissions are graded once, together, through batch mode; each
test then checks one of them.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from kata import registry, trees
from kata.grader import formats
from kata.grader.grade import grade
from kata.grader.submission import discover

pytestmark = pytest.mark.timeout(1800)  # whole grading runs, bounded by the grader's own limits

HOSTILE_TOPIC = "locks"
CONTROL = next((name for name in ("threads", "events") if name in registry.names()), None)
TOPICS = [HOSTILE_TOPIC] + ([CONTROL] if CONTROL else [])
TOPIC_LIMIT = 40  # seconds: the hard limit the hostile runs are graded under

GOOD_LOCKS = trees.module_path(trees.SOLUTIONS, HOSTILE_TOPIC).read_text()

# name -> source of locks.py (prepended to the reference solution unless it replaces it)
HOSTILE = {
    "syntax-error": "def broken(:\n",
    "system-exit-at-import": "import sys\nsys.exit(0)\n",
    "crash-at-import": "raise ImportError('a module the grader does not have')\n",
    "os-exit-at-import": "import os\nos._exit(0)\n",
    "hang-at-import": "import threading\nthreading.Event().wait()\n",
    "kill-itself-in-a-test": GOOD_LOCKS.replace(
        "        self.value = 0\n", "        import os, signal\n        os.kill(os.getpid(), signal.SIGKILL)\n"),
    "deadlock-in-every-increment": GOOD_LOCKS.replace(
        "        with self._lock:\n            current", "        with self._lock, self._lock:\n            current"),
    "stuck-non-daemon-thread": GOOD_LOCKS + "\nthreading.Thread(target=threading.Event().wait, name='forever').start()\n",
    "escaped-grandchild": GOOD_LOCKS + (
        "\nimport subprocess\nsubprocess.Popen(['setsid', 'sleep', '1234'], start_new_session=True)\n"),
    "output-flood": GOOD_LOCKS.replace(
        "        self.value = 0\n", "        self.value = 0\n        print('spam ' * 200000)\n"),
    "memory-hog": GOOD_LOCKS.replace("        self.value = 0\n", "        self.value = 0\n        bytearray(8 * 1024**3)\n"),
    "cheating-conftest": None,  # the solution's module beside a conftest.py and test file that claim success
}


def write_submission(folder, name, source):
    folder.mkdir(parents=True)
    if CONTROL:
        (folder / f"{CONTROL}.py").write_text(trees.module_path(trees.SOLUTIONS, CONTROL).read_text())
    if source is None:  # only its own files try to change the verdicts
        (folder / "locks.py").write_text(trees.module_path(trees.EXERCISES, HOSTILE_TOPIC).read_text())
        (folder / "conftest.py").write_text(
            "import pytest\n@pytest.hookimpl(wrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
            "    report = yield\n    report.outcome = 'passed'\n    return report\n")
        (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:kata.pytest_plugin\n")
        (folder / "test_locks.py").write_text("def test_everything():\n    pass\n")
    else:
        (folder / "locks.py").write_text(source)


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    for name, source in HOSTILE.items():
        write_submission(root / "submissions" / name, name, source)
    before = {p.pid for p in psutil.process_iter()}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "kata.cli", "grade", str(root / "submissions"), "--batch", "--output",
         str(root / "results"), "--topics", ",".join(TOPICS), "--topic-timeout", str(TOPIC_LIMIT)],
        capture_output=True, text=True, timeout=1200)
    seconds = time.monotonic() - started
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if p.pid not in before
                 and p.info["cmdline"] and "1234" in p.info["cmdline"]]
    return root / "results", done, seconds, leftovers


def control_score(result):
    return [t for t in result["tests"] if CONTROL in t["tags"]]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_submission_costs_only_its_own_topic(hostile_batch, name):
    results, done, _, _ = hostile_batch
    assert done.returncode == 0, f"kata grade --batch exited {done.returncode}:\n{done.stderr[-3000:]}"
    result = json.loads((results / f"{name}.json").read_text())
    hostile = [t for t in result["tests"] if HOSTILE_TOPIC in t["tags"]]
    assert hostile, f"{name}: no {HOSTILE_TOPIC} test in the results"
    if name in ("escaped-grandchild", "output-flood"):
        pass  # harmless to the verdicts; what matters is the clipped output and the untouched topic
    elif name in ("stuck-non-daemon-thread", "memory-hog"):
        assert any(t["status"] == "failed" for t in hostile), f"{name}: every test passed"
    elif name in ("deadlock-in-every-increment", "kill-itself-in-a-test"):
        # The stall detector ends each deadlocked test at once, and a module that kills its own
        # process kills only the sandbox (locks is judged in one), so the run goes on to the tests
        # that never make a counter (run_jobs, ...); every test that increments must fail.
        counting = [t for t in hostile
                    if any(words in t["name"].replace("_", " ") for words in ("counts each increment", "many threads count"))]
        assert counting and all(t["status"] == "failed" for t in counting), (
            f"{name}: a test that increments passed: {[t['name'] for t in counting if t['status'] != 'failed']}")
    else:
        assert all(t["status"] == "failed" for t in hostile), f"{name}: some {HOSTILE_TOPIC} test passed"
    for test in hostile:
        assert len(test["output"]) <= formats.STUDENT_OUTPUT_LIMIT + 100, f"{name}: output not clipped"
    control = control_score(result)
    assert all(t["status"] == "passed" for t in control), (
        f"{name} in {HOSTILE_TOPIC} cost points in {CONTROL}: "
        f"{[t['name'] for t in control if t['status'] != 'passed']}")


def test_hostile_grading_is_bounded_and_leaves_nothing_running(hostile_batch):
    results, done, seconds, leftovers = hostile_batch
    assert not leftovers, f"processes the submissions started are still running: {leftovers}"
    with open(results / "scores.csv") as file:
        rows = list(csv.DictReader(file))
    assert sorted(row["submission"] for row in rows) == sorted(HOSTILE), (
        f"scores.csv should list every hostile submission once, it lists {sorted(row['submission'] for row in rows)}")
    limit = len(HOSTILE) * len(TOPICS) * (TOPIC_LIMIT + 15)
    assert seconds < limit, f"grading took {seconds:.0f} s; the topic limits allow {limit} s at most"


@pytest.fixture(scope="module")
def reference_grades(tmp_path_factory):
    topics = registry.names()
    return (grade(discover(trees.SOLUTIONS, topics), topics),
            grade(discover(trees.EXERCISES, topics), topics))


def test_grading_the_solutions_gives_full_marks(reference_grades):
    solutions, _ = reference_grades
    failed = [(t.nodeid, t.message[:200]) for t in solutions.tests if not t.passed]
    assert not failed and solutions.score == solutions.max_score > 0, f"solutions lost points: {failed}"


def test_grading_the_stubs_gives_zero(reference_grades):
    _, stubs = reference_grades
    passed = [t.nodeid for t in stubs.tests if t.passed]
    assert stubs.score == 0 and not passed, f"stub tests that scored: {passed}"


def test_every_format_is_written_and_readable(reference_grades, tmp_path):
    solutions, _ = reference_grades
    gradescope = json.loads(formats.gradescope(solutions))
    scored = sum(test["score"] for test in gradescope["tests"])
    assert scored == solutions.max_score, (
        f"the gradescope report's tests score {scored} in all, expected full marks, {solutions.max_score}")
    assert len(gradescope["tests"]) == len(solutions.tests), (
        f"the gradescope report lists {len(gradescope['tests'])} tests, the grade has {len(solutions.tests)}")
    assert all({"name", "score", "max_score", "status", "output", "tags", "visibility"} <= set(t)
               for t in gradescope["tests"]), (
        "every gradescope test should have name, score, max_score, status, output, tags and visibility; "
        f"key sets seen: {sorted({tuple(sorted(t)) for t in gradescope['tests']})}")
    assert sum(runner["max_score"] for runner in json.loads(formats.classroom(solutions)).values()) \
            == solutions.max_score, (
        f"the classroom report's max_score should be {solutions.max_score}:\n{formats.classroom(solutions)[:2000]}")
    assert json.loads(formats.exercism(solutions))["version"] == 3, (
        f"the exercism report should be version 3:\n{formats.exercism(solutions)[:2000]}")
    from xml.etree import ElementTree
    assert ElementTree.fromstring(formats.junit(solutions)).get("failures") == "0", (
        f"the junit report of the solutions should count 0 failures:\n{formats.junit(solutions)[:2000]}")
    assert "Score:" in formats.markdown(solutions), (
        f"the markdown report has no Score: line:\n{formats.markdown(solutions)[:2000]}")


def test_a_missing_submission_is_a_clear_error_with_status_2(tmp_path):
    done = subprocess.run([sys.executable, "-m", "kata.cli", "grade", str(tmp_path / "nothing-here")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no submission at" in done.stderr, (
        f"kata grade on a missing folder should exit 2 and say 'no submission at'; it exited {done.returncode}:\n"
        f"{done.stderr[-2000:]}")


def test_a_missing_topic_scores_zero_and_says_where_it_looked(tmp_path):
    (tmp_path / "empty").mkdir()
    result = grade(discover(tmp_path / "empty", ["locks"]), ["locks"])
    assert result.score == 0 and result.tests, (
        f"an empty submission should score 0 on listed tests: score {result.score}, {len(result.tests)} tests")
    assert all("no module for 'locks'" in t.output for t in result.tests), (
        f"every test should say there is no module for 'locks': {[t.output[:200] for t in result.tests]}")


EXERCISM_RUN = Path(formats.__file__).parent / "recipes" / "exercism" / "run.sh"


@pytest.mark.parametrize("slug, module, status", [
    ("threads", trees.module_path(trees.SOLUTIONS, "threads").read_text(), "pass"),
    ("threads", "def broken(:\n", "error"),
    ("no-such-topic", "", "error"),
])
def test_the_exercism_runner_writes_one_results_json_per_exercise(tmp_path, slug, module, status):
    solution, output = tmp_path / "solution", tmp_path / "output"
    solution.mkdir()
    (solution / f"{slug.replace('-', '_')}.py").write_text(module)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", str(EXERCISM_RUN), slug, str(solution), str(output)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"the Exercism runner must always exit 0; it exited {done.returncode}:\n{done.stderr}"
    report = json.loads((output / "results.json").read_text())
    assert report["version"] == 3 and report["status"] == status, (
        f"grading {slug} with {module[:30]!r} should give status {status!r}; got {report['status']!r}: "
        f"{report.get('message', '')[:500]}")
    if status == "error":
        assert report.get("message"), "status error needs a top-level message saying why"
    assert sorted(p.name for p in output.iterdir()) == ["results.json"], (
        f"the output folder should hold results.json alone; it holds {sorted(p.name for p in output.iterdir())}")
