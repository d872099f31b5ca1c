"""Writers for the result formats graders and CI systems read, each as its consumer reads it.

Gradescope's results.json is the main output; the others are written on
request. Each writer takes a Grade and returns text, so they are easy to test.
Hidden tests (``--extra-tests``) appear only in Gradescope's results, marked
``after_published``; every other format, and every text shown at once, covers
the visible tests alone.
"""
from __future__ import annotations

import base64
import json
from xml.etree import ElementTree

from kata import points, registry
from kata.grader.grade import Grade, TestResult, TopicResult
from kata.results import clip
from kata.text import printable

STUDENT_OUTPUT_LIMIT = 3000  # characters per test shown to a student
EXERCISM_OUTPUT_LIMIT = 500  # characters of a test's `output`, truncation note included (interface v3)
CLASSROOM_PAYLOAD_LIMIT = 64 * 1024  # bytes of one runner's base64 payload; Linux caps an env string at 128 KiB


def title(test: TestResult) -> str:
    words = test.name.removeprefix("test_").replace("_", " ")
    task = f"task {test.task}" if test.task is not None else "extra"
    return f"{test.topic} / {task}: {words}"


def feedback(test: TestResult, limit: int = STUDENT_OUTPUT_LIMIT) -> str:
    if test.passed:
        return ""
    text = test.output or test.message
    if test.printed:
        text += "\n\n--- printed by your code ---\n" + test.printed
    return clip(printable(text), limit)


def clip_within(text: str, limit: int) -> str:
    """Like ``clip``, but the truncation note counts against ``limit``."""
    text = printable(text)
    if len(text) <= limit:
        return text
    keep = limit
    while keep > 0:
        clipped = text[:keep] + f"\n[... {len(text) - keep} more characters cut]"
        if len(clipped) <= limit:
            return clipped
        keep -= len(clipped) - limit
    return text[:limit]


def visible(grade: Grade) -> list[TestResult]:
    return [test for test in grade.tests if not test.hidden]


def source_of(test: TestResult) -> str:
    """The test function's source, from the kata's own test file (visible tests only)."""
    if test.hidden:
        return ""
    return points.test_sources(points.test_file(test.topic)).get(test.name, "")


def gradescope(grade: Grade) -> str:
    order = {name: index for index, name in enumerate(registry.names(), 1)}
    tests, counts = [], {}
    for test in grade.tests:
        key = (order.get(test.topic, 0), test.task or 0)
        counts[key] = counts.get(key, 0) + 1
        tests.append({
            "name": printable(title(test)),
            "number": f"{key[0]}.{key[1]}.{counts[key]}",  # topic.task.test: unique, in teaching order
            "score": test.score,
            "max_score": test.max_score,
            "status": "passed" if test.passed else "failed",
            "output": feedback(test),
            "tags": [test.topic] + ([f"task-{test.task}"] if test.task is not None else []),
            "visibility": "after_published" if test.hidden else "visible",
        })
    # No top-level "score": Gradescope sums the tests itself and keeps the hidden ones' points hidden.
    return json.dumps({
        "execution_time": grade.seconds,
        "output": markdown(grade),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"containment": grade.containment, "limits": grade.limits,
                       "judged": {topic.topic: topic.judged for topic in grade.topics}},
        "tests": tests,
    }, indent=2)


def markdown(grade: Grade) -> str:
    """The summary a student sees at once: visible tests only, and how the run was contained."""
    shown = visible(grade)
    score, max_score = sum(t.score for t in shown), sum(t.max_score for t in shown)
    lines = [f"**Score: {score:g} / {max_score:g}**", "",
             "| topic | passed | points | note |", "| --- | --- | --- | --- |"]
    for topic in grade.topics:
        tests = [t for t in topic.tests if not t.hidden]
        passed = sum(test.passed for test in tests)
        note = printable(topic.note.splitlines()[0]).replace("|", "\\|") if topic.note else ""
        lines.append(f"| {topic.topic} | {passed}/{len(tests)} | {sum(t.score for t in tests):g}/"
                     f"{sum(t.max_score for t in tests):g} | {note} |")
    lines += ["", f"Containment: `{grade.containment}` ({grade.limits or 'no caps'})."]
    apart = [f"{topic.topic} ({topic.judged})" for topic in grade.topics if topic.judged != "in-process"]
    if apart:
        lines.append(f"Judged apart from the code under test (a sandbox process): {', '.join(apart)}.")
    if any(test.hidden for test in grade.tests):
        lines.append("Further tests are graded and shown once the grades are published.")
    return "\n".join(lines) + "\n"


def classroom_payload(topic: TopicResult) -> dict:
    """GitHub Classroom's autograding-grading-reporter payload for one runner (one topic)."""
    tests = [test for test in topic.tests if not test.hidden]
    for limit in (STUDENT_OUTPUT_LIMIT, 1000, 200, 0):
        payload = {"version": 1, "status": "pass" if all(t.passed for t in tests) else "fail",
                   "max_score": sum(t.max_score for t in tests),
                   "tests": [{
                       "name": printable(title(test)),
                       "status": "pass" if test.passed else "fail",
                       "score": test.score,
                       "message": feedback(test, limit),
                       "test_code": source_of(test) if limit else "",
                       "filename": f"exercises/{test.topic}/test_{test.topic}.py",
                       "line_no": 0,
                       "duration": test.duration,
                   } for test in tests]}
        if len(_base64(payload)) <= CLASSROOM_PAYLOAD_LIMIT:
            break
    return payload


def _base64(payload: dict) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def classroom(grade: Grade) -> str:
    """Every runner's payload, by runner name (JSON)."""
    return json.dumps({topic.topic: classroom_payload(topic) for topic in grade.topics}, indent=2)


def classroom_output(grade: Grade) -> str:
    """The lines a runner step appends to $GITHUB_OUTPUT: one base64 payload per topic, each bounded."""
    return "".join(f"{topic.topic}={_base64(classroom_payload(topic))}\n" for topic in grade.topics)


def exercism(grade: Grade) -> str:
    """Exercism's test-runner results.json, version 3."""
    shown = visible(grade)
    tests = [{
        "name": printable(title(test)),
        "status": "pass" if test.passed else "fail",
        "message": None if test.passed else printable(test.message or test.output),
        "output": clip_within(test.printed, EXERCISM_OUTPUT_LIMIT) or None,
        "test_code": source_of(test),
        "task_id": test.task,
    } for test in shown]
    broken = [topic.error for topic in grade.topics if topic.error]
    if broken:
        return json.dumps({"version": 3, "status": "error", "message": printable("\n".join(broken)),
                           "tests": tests}, indent=2)
    return json.dumps({"version": 3, "status": "pass" if all(t.passed for t in shown) else "fail",
                       "tests": tests}, indent=2)


def junit(grade: Grade) -> str:
    """JUnit XML valid against the JUnit schema CI servers read (tests/schemas/junit.xsd; visible tests only)."""
    shown = visible(grade)
    suites = ElementTree.Element("testsuites", name="concurrency-kata", tests=str(len(shown)),
                                 failures=str(sum(not t.passed for t in shown)), errors="0",
                                 time=f"{grade.seconds:.3f}")
    for topic in grade.topics:
        tests = [t for t in topic.tests if not t.hidden]
        suite = ElementTree.SubElement(suites, "testsuite", name=topic.topic, tests=str(len(tests)),
                                       failures=str(sum(not t.passed for t in tests)), errors="0", skipped="0",
                                       time=f"{sum(t.duration for t in tests):.3f}")
        for test in tests:
            case = ElementTree.SubElement(suite, "testcase", classname=f"exercises.{test.topic}",
                                          name=printable(test.name), time=f"{test.duration:.3f}")
            if not test.passed:
                failure = ElementTree.SubElement(case, "failure", message=clip(printable(test.message), 500),
                                                 type="AssertionError")
                failure.text = feedback(test)
    return ElementTree.tostring(suites, encoding="unicode")


WRITERS = {
    "classroom": (".classroom.json", classroom),
    "exercism": (".exercism.json", exercism),
    "junit": (".junit.xml", junit),
    "markdown": (".md", markdown),
}
