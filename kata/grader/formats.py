"""Writers for the result formats graders and CI systems read.

Gradescope's results.json is the main output; the others are written on
request. Each writer takes a Grade and returns text, so they are easy to test.
"""
from __future__ import annotations

import base64
import json
from xml.etree import ElementTree

from kata import registry
from kata.grader.grade import Grade, TestResult
from kata.results import clip

STUDENT_OUTPUT_LIMIT = 3000  # characters per test shown to a student


def title(test: TestResult) -> str:
    words = test.name.removeprefix("test_").replace("_", " ")
    task = f"task {test.task}" if test.task is not None else "extra"
    return f"{test.topic} / {task}: {words}"


def feedback(test: TestResult) -> str:
    if test.passed:
        return ""
    text = test.output or test.message
    if test.printed:
        text += "\n\n--- printed by your code ---\n" + test.printed
    return clip(text, STUDENT_OUTPUT_LIMIT)


def gradescope(grade: Grade) -> str:
    order = {name: index for index, name in enumerate(registry.names(), 1)}
    tests = []
    for test in grade.tests:
        tests.append({
            "name": title(test),
            "number": f"{order.get(test.topic, 0)}.{test.task or 0}",
            "score": test.score,
            "max_score": test.max_score,
            "status": "passed" if test.passed else "failed",
            "output": feedback(test),
            "tags": [test.topic] + ([f"task-{test.task}"] if test.task is not None else []),
            "visibility": "after_published" if test.hidden else "visible",
        })
    return json.dumps({
        "score": grade.score,
        "execution_time": grade.seconds,
        "output": markdown(grade),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }, indent=2)


def markdown(grade: Grade) -> str:
    lines = [f"**Score: {grade.score:g} / {grade.max_score:g}**", "",
             "| topic | passed | points | note |", "| --- | --- | --- | --- |"]
    for topic in grade.topics:
        passed = sum(test.passed for test in topic.tests)
        note = topic.note.splitlines()[0] if topic.note else ""
        lines.append(f"| {topic.topic} | {passed}/{len(topic.tests)} | {topic.score:g}/{topic.max_score:g} | {note} |")
    return "\n".join(lines) + "\n"


def classroom(grade: Grade) -> str:
    """GitHub Classroom's autograding-grading-reporter payload (JSON; base64 it for a step output)."""
    tests = [{
        "name": title(test),
        "status": "pass" if test.passed else "fail",
        "score": test.score,
        "message": feedback(test),
        "test_code": test.nodeid,
        "filename": test.nodeid.split("::")[0],
        "line_no": 0,
        "duration": test.duration,
    } for test in grade.tests]
    return json.dumps({"version": 1, "status": "pass" if grade.score == grade.max_score else "fail",
                       "max_score": grade.max_score, "tests": tests})


def classroom_output(grade: Grade) -> str:
    """The line a runner step appends to $GITHUB_OUTPUT."""
    return "result=" + base64.b64encode(classroom(grade).encode()).decode() + "\n"


def exercism(grade: Grade) -> str:
    """Exercism's test-runner results.json, version 3."""
    tests = [{
        "name": title(test),
        "status": "pass" if test.passed else "fail",
        "message": None if test.passed else clip(test.message or test.output, 500),
        "output": clip(test.printed, 500) or None,
        "test_code": test.nodeid,
        "task_id": test.task,
    } for test in grade.tests]
    return json.dumps({"version": 3, "status": "pass" if all(t.passed for t in grade.tests) else "fail",
                       "tests": tests}, indent=2)


def junit(grade: Grade) -> str:
    suites = ElementTree.Element("testsuites", name="concurrency-kata", tests=str(len(grade.tests)),
                                 failures=str(sum(not t.passed for t in grade.tests)), time=str(grade.seconds))
    for topic in grade.topics:
        suite = ElementTree.SubElement(suites, "testsuite", name=topic.topic, tests=str(len(topic.tests)),
                                       failures=str(sum(not t.passed for t in topic.tests)))
        for test in topic.tests:
            case = ElementTree.SubElement(suite, "testcase", classname=f"exercises.{test.topic}",
                                          name=test.name, time=f"{test.duration:.3f}")
            if not test.passed:
                failure = ElementTree.SubElement(case, "failure", message=test.message[:500])
                failure.text = feedback(test)
    return ElementTree.tostring(suites, encoding="unicode")


WRITERS = {
    "classroom": (".classroom.json", classroom),
    "exercism": (".exercism.json", exercism),
    "junit": (".junit.xml", junit),
    "markdown": (".md", markdown),
}
