"""Grade a submission: one engine run per topic, every test scored from the registry.

A topic's run is isolated (own process group, memory cap, hard time limit), so
a hang, crash or flood in one topic costs only that topic's unfinished tests.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kata import engine, points, registry
from kata.grader.submission import Submission, build_tree
from kata.sandbox import SUPPORTED as SANDBOXED

TOPIC_LIMIT = 120.0  # seconds a topic may run in all before it is stopped


@dataclass
class TestResult:
    topic: str
    task: int | None
    name: str  # the test function's name, with a parameter id if any
    nodeid: str
    passed: bool
    score: float
    max_score: float
    message: str = ""
    output: str = ""
    printed: str = ""
    duration: float = 0.0
    hidden: bool = False


@dataclass
class TopicResult:
    topic: str
    tests: list[TestResult]
    note: str = ""  # what went wrong with the run as a whole, if anything
    error: str = ""  # set when the module could not even be imported: the reason, for the student
    judged: str = "in-process"  # where the module ran: "in-process", or "sandbox (containment: LEVEL)"

    @property
    def score(self) -> float:
        return sum(test.score for test in self.tests)

    @property
    def max_score(self) -> float:
        return sum(test.max_score for test in self.tests)


@dataclass
class Grade:
    submission: str
    topics: list[TopicResult] = field(default_factory=list)
    seconds: float = 0.0
    containment: str = "none"  # the level every topic run was held at (kata.containment)
    limits: str = ""  # the memory and process caps of each run, in words

    @property
    def score(self) -> float:
        return sum(topic.score for topic in self.topics)

    @property
    def max_score(self) -> float:
        return sum(topic.max_score for topic in self.topics)

    @property
    def tests(self) -> list[TestResult]:
        return [test for topic in self.topics for test in topic.tests]


def grade(submission: Submission, topics: list[str], *, extra_tests: Path | None = None,
          jobs: int | None = None, start_method: str | None = None,
          topic_limit: float = TOPIC_LIMIT, containment: str = "none", hide=(), memory: int | None = None) -> Grade:
    """Grade every topic; a topic whose grading fails scores zero with the reason, never the whole grade."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kata-grade-") as scratch:
        tree = build_tree(submission, Path(scratch) / "tree")
        hide = [*hide, Path(scratch), submission.root, *([extra_tests] if extra_tests is not None else [])]

        def one(topic: str) -> TopicResult:
            if topic not in submission.found:
                return missing_topic(topic, submission, extra_tests)
            try:
                result, caps = grade_topic(topic, tree, extra_tests, start_method, topic_limit, containment, hide,
                                           memory)
                limits.add(caps)
                return result
            except Exception as exc:  # the grader's own failure costs this topic, and says so
                return failed_topic(topic, f"the grader could not run this topic: {type(exc).__name__}: {exc}",
                                    extra_tests)

        limits: set[str] = set()
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
            results = list(pool.map(one, topics))
    return Grade(str(submission.root), results, round(time.monotonic() - started, 2), containment,
                 "; ".join(sorted(limits)))


def hidden_files(extra_tests: Path | None, topic: str) -> list[Path]:
    return sorted((Path(extra_tests) / topic).glob("test_*.py")) if extra_tests is not None else []


def grade_topic(topic: str, tree: Path, extra_tests: Path | None, start_method, limit: float,
                containment: str = "none", hide=(), memory: int | None = None) -> tuple[TopicResult, str]:
    files = [points.test_file(topic), *hidden_files(extra_tests, topic)]
    sandboxed = topic in SANDBOXED  # the module runs apart from the judge wherever the sandbox can judge it
    run = engine.run_topic(topic, tree, start_method=start_method, hard_limit=limit, test_files=files,
                           containment=containment, hide=hide, memory=memory,
                           extra_args=("--sandbox",) if sandboxed else ())
    note = run_note(run, limit)
    origin = {engine.node_file(test_file): str(test_file) for test_file in files}
    cases: dict[tuple[str, str], list[str]] = {}  # (test file, function) -> the node ids pytest made of it
    for nodeid in dict.fromkeys([*run.collected, *(r["nodeid"] for r in run.records)]):
        source = origin.get(nodeid.split("::", 1)[0])
        if source is not None:
            cases.setdefault((source, _function(nodeid)), []).append(nodeid)
    by_id = {record["nodeid"]: record for record in run.records}
    results = []
    for test_file in files:
        hidden = test_file != files[0]
        # Every test function the file defines is one graded test, finished or not.
        for name, task in _tasks(test_file).items():
            nodeids = cases.get((str(test_file), name), [])
            results.append(score_test(topic, task, f"{test_file.name}::{name}",
                                      [(n, by_id.get(n)) for n in nodeids], note, hidden))
    judged = sandbox_level(run.output) if sandboxed else "in-process"
    return TopicResult(topic, results, note, import_error(run.records), judged), run.limits


def sandbox_level(output: str) -> str:
    """Where a --sandbox run says it judged the module, from the line the judge prints last.

    Failure messages quote what the module raised, so an earlier line of the
    same shape may be the module's own: only the last whole line counts.
    """
    said = re.findall(r"^kata: the code under test runs in a sandbox process \(containment: ([^\n]*)\)$",
                      output, re.MULTILINE)
    return f"sandbox (containment: {said[-1]})" if said else "sandbox (containment: unknown)"


def import_error(records: list[dict]) -> str:
    """The seam's import failure, when it is what failed every test."""
    # The seam tells the whole story in the first test and one line in each later one.
    if records and all(r["outcome"] == "failed" and _is_import_failure(r["message"]) for r in records):
        return records[0]["message"].removeprefix("Failed: ")
    return ""


def _is_import_failure(message: str) -> bool:
    return " failed to import" in message or "no module for topic" in message


def _tasks(test_file: Path) -> dict[str, int]:
    try:
        return points.marked_tasks(test_file)
    except (OSError, SyntaxError, ValueError, AttributeError, IndexError):  # a hidden file the grader cannot read
        return {}


def _function(nodeid: str) -> str:
    return nodeid.split("::")[-1].split("[", 1)[0]


def run_note(run: engine.Run, limit: float) -> str:
    if run.returncode is None:
        return f"the topic's tests were stopped after the hard limit of {limit:g} s"
    if run.unfinished or not run.records:
        tail = "\n".join(run.output.strip().splitlines()[-15:])
        return f"the test run ended early (exit status {run.returncode}); its last words:\n{tail}"
    return ""


def worth(topic: str, task) -> float:
    try:
        return registry.get(topic).task(task).points if task is not None else 1
    except Exception:  # a hidden test marked with a task the registry lacks
        return 1


def score_test(topic, task, nodeid, cases, note, hidden) -> TestResult:
    """One test function: it passes when every case pytest made of it (parameters) ran and passed."""
    points_worth = worth(topic, task)
    name = nodeid.split("::")[-1]
    finished = [(case, record) for case, record in cases if record is not None]
    if not finished:
        why = "this test never finished: " + (note or "the run ended before it")
        return TestResult(topic, task, name, nodeid, False, 0, points_worth, message=why, output=why, hidden=hidden)
    failed = [(case, record) for case, record in finished if record["outcome"] != "passed"]
    unfinished = [case for case, record in cases if record is None]
    passed = not failed and not unfinished
    several = len(cases) > 1

    def label(case):
        return f"[{case.split('[', 1)[1]} " if several and "[" in case else ""

    messages = [f"{label(case)}{record['message'] or record['outcome']}" for case, record in failed]
    messages += [f"{label(case)}never finished: {note or 'the run ended before it'}" for case in unfinished]
    outputs = [f"{label(case)}{record['output'] or record['message'] or record['outcome']}" for case, record in failed]
    printed = [record["printed"] for _, record in finished if record["printed"]]
    return TestResult(topic, task, name, nodeid, passed, points_worth if passed else 0, points_worth,
                      message="\n".join(messages), output="\n\n".join(outputs + messages[len(failed):]),
                      printed="\n".join(printed), duration=round(sum(r["duration"] for _, r in finished), 3),
                      hidden=hidden)


def missing_topic(topic: str, submission: Submission, extra_tests: Path | None = None) -> TopicResult:
    from kata.grader.submission import candidates

    where = ", ".join(str(p.relative_to(submission.root)) for p in candidates(submission.root, topic))
    return failed_topic(topic, f"no module for {topic!r} in the submission (looked for {where})", extra_tests)


def failed_topic(topic: str, why: str, extra_tests: Path | None = None) -> TopicResult:
    """Every test of the topic at zero, each saying why: the same tests and points as a run would give."""
    tests = [TestResult(topic, task, name, f"test_{topic}.py::{name}", False, 0, worth(topic, task),
                        message=why, output=why)
             for name, task in points.marked_tasks(points.test_file(topic)).items()]
    for hidden in hidden_files(extra_tests, topic):
        tests += [TestResult(topic, task, name, f"{hidden.name}::{name}", False, 0, worth(topic, task),
                             message=why, output=why, hidden=True)
                  for name, task in _tasks(hidden).items()]
    return TopicResult(topic, tests, why)
