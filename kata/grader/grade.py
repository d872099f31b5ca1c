"""Grade a submission: one engine run per topic, every test scored from the registry.

A topic's run is isolated (own process group, memory cap, hard time limit), so
a hang, crash or flood in one topic costs only that topic's unfinished tests.
"""
from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kata import engine, points, registry
from kata.grader.submission import Submission, build_tree

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
          topic_limit: float = TOPIC_LIMIT) -> Grade:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kata-grade-") as scratch:
        tree = build_tree(submission, Path(scratch) / "tree")

        def one(topic: str) -> TopicResult:
            if topic not in submission.found:
                return missing_topic(topic, submission)
            return grade_topic(topic, tree, extra_tests, start_method, topic_limit)

        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
            results = list(pool.map(one, topics))
    return Grade(str(submission.root), results, round(time.monotonic() - started, 2))


def grade_topic(topic: str, tree: Path, extra_tests: Path | None, start_method, limit: float) -> TopicResult:
    files = [points.test_file(topic)]
    if extra_tests is not None:
        files += sorted((Path(extra_tests) / topic).glob("test_*.py"))
    run = engine.run_topic(topic, tree, start_method=start_method, hard_limit=limit, test_files=files)
    by_id = {record["nodeid"]: record for record in run.records}
    note = run_note(run, limit)
    results = []
    for test_file in files:
        hidden = test_file != files[0]
        # Every test the file defines must be accounted for, finished or not.
        for name, task in points.marked_tasks(test_file).items():
            nodeids = [n for n in (run.collected or by_id) if _function(n) == name and _file(n) == test_file.name] \
                or [f"{test_file.name}::{name}"]
            for nodeid in nodeids:
                results.append(score_test(topic, task, nodeid, by_id.get(nodeid), note, hidden))
    return TopicResult(topic, results, note)


def _function(nodeid: str) -> str:
    return nodeid.split("::")[-1].split("[", 1)[0]


def _file(nodeid: str) -> str:
    return nodeid.split("::")[0].rsplit("/", 1)[-1]


def run_note(run: engine.Run, limit: float) -> str:
    if run.returncode is None:
        return f"the topic's tests were stopped after the hard limit of {limit:g} s"
    if run.unfinished or not run.records:
        tail = "\n".join(run.output.strip().splitlines()[-15:])
        return f"the test run ended early (exit status {run.returncode}); its last words:\n{tail}"
    return ""


def score_test(topic, task, nodeid, record, note, hidden) -> TestResult:
    worth = registry.get(topic).task(task).points if task is not None else 1
    name = nodeid.split("::")[-1]
    if record is None:
        why = "this test never finished: " + (note or "the run ended before it")
        return TestResult(topic, task, name, nodeid, False, 0, worth, message=why, output=why, hidden=hidden)
    passed = record["outcome"] == "passed"
    return TestResult(topic, task, name, nodeid, passed, worth if passed else 0, worth,
                      message=record["message"], output=record["output"], printed=record.get("printed", ""),
                      duration=record["duration"], hidden=hidden)


def missing_topic(topic: str, submission: Submission) -> TopicResult:
    from kata.grader.submission import candidates

    where = ", ".join(str(p.relative_to(submission.root)) for p in candidates(submission.root, topic))
    why = f"no module for {topic!r} in the submission (looked for {where})"
    worth = registry.get(topic).task
    tests = [TestResult(topic, task, name, f"test_{topic}.py::{name}", False, 0, worth(task).points,
                        message=why, output=why)
             for name, task in points.marked_tasks(points.test_file(topic)).items()]
    return TopicResult(topic, tests, why)
