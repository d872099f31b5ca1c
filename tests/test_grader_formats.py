"""The grader's outputs as their consumers read them, whatever a run printed or its log held.

Fast checks: no topic runs here. A result log full of hostile records goes
through the reader, and a grade full of hostile text goes through every writer.
"""
from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
import xmlschema

from kata import points, registry, results
from kata.grader import formats
from kata.grader.grade import Grade, TopicResult, failed_topic, sandbox_level, score_test
from kata.grader.grade import TestResult as Result  # not a test class

SCHEMA = Path(__file__).parent / "schemas" / "junit.xsd"
RECIPE = Path(formats.__file__).parent / "recipes" / "github-classroom.yml"
HOSTILE_TEXT = "lone \udcff surrogate, ESC \x1b[31mred\x1b[0m, NUL \x00, BEL \x07, DEL \x7f, \ufffe and <tag> & \"q\""


def hostile_grade(topics=("locks", "events"), chatty: int = 0) -> Grade:
    graded = []
    for topic in topics:
        tests = [Result(topic, task, name, f"test_{topic}.py::{name}", index % 2 == 0, 0, 2,
                            message=HOSTILE_TEXT, output=HOSTILE_TEXT * 3, printed=HOSTILE_TEXT + "x" * chatty)
                 for index, (name, task) in enumerate(points.marked_tasks(points.test_file(topic)).items())]
        graded.append(TopicResult(topic, tests, note=HOSTILE_TEXT))
    return Grade("submission", graded, 1.5, "namespaces", "memory 4 GiB")


def test_hostile_records_are_read_back_normalised(tmp_path):
    log = tmp_path / "results.jsonl"
    lines = [
        json.dumps({"collected": ["a.py::test_one", 7, None]}),
        json.dumps({"nodeid": "a.py::test_one", "outcome": "passed"}),  # no message, output, duration
        json.dumps({"nodeid": "a.py::test_two", "outcome": "won", "message": ["not", "text"], "duration": "NaN"}),
        json.dumps({"nodeid": "a.py::test_three", "outcome": "failed", "message": HOSTILE_TEXT, "duration": -1}),
        json.dumps({"nodeid": 12, "outcome": "passed"}),  # no string node id: not a record
        json.dumps(["a", "list"]),
        "{\"nodeid\": \"a.py::cut", "\x00\x1b garbage \udcff",
        json.dumps({"nodeid": "a.py::test_huge", "outcome": "passed", "printed": "x" * (results.LINE_LIMIT + 1)}),
    ]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
    collected, records = results.read(log)
    assert collected == ["a.py::test_one"], f"collected ids should keep only strings; read {collected}"
    assert [r["nodeid"] for r in records] == ["a.py::test_one", "a.py::test_two", "a.py::test_three"], (
        f"only well-formed records with a string nodeid should be kept; read {[r['nodeid'] for r in records]}")
    for record in records:
        assert set(record) == {"nodeid", "outcome", "when", "message", "output", "printed", "duration"}, (
            f"every record should carry every field the grader reads; got {sorted(record)}")
        assert isinstance(record["duration"], float) and record["duration"] >= 0, f"bad duration in {record}"
        assert all(isinstance(record[key], str) for key in ("message", "output", "printed")), f"non-text in {record}"
        json.dumps(record).encode("utf-8")  # no lone surrogate survives
    assert records[1]["outcome"] == "failed", f"an unknown outcome must count as a failure; read {records[1]}"
    assert "\\x1b" in records[2]["message"] and "\x1b" not in records[2]["message"], (
        f"control characters should be shown escaped; read {records[2]['message']!r}")


def test_a_result_log_that_is_a_fifo_or_a_link_is_not_read(tmp_path):
    secret = tmp_path / "grader-file"
    secret.write_text(json.dumps({"nodeid": "a.py::test_one", "outcome": "passed"}) + "\n")
    (tmp_path / "link.jsonl").symlink_to(secret)
    os.mkfifo(tmp_path / "fifo.jsonl")
    for name in ("link.jsonl", "fifo.jsonl"):
        assert results.read(tmp_path / name) == ([], []), (
            f"a result log that is a {name.split('.')[0]} should read as empty (and never block)")


def test_a_test_whose_cases_did_not_all_pass_scores_zero_and_names_the_cases():
    cases = [("f.py::test_x[1]", {"outcome": "passed", "message": "", "output": "", "printed": "", "duration": 0.1}),
             ("f.py::test_x[3]", {"outcome": "failed", "message": "boom", "output": "trace", "printed": "",
                                  "duration": 0.1}),
             ("f.py::test_x[5]", None)]
    test = score_test("events", 3, "f.py::test_x", cases, "", False)
    assert not test.passed and test.score == 0 and test.max_score == registry.get("events").task(3).points, (
        f"a parametrized test with a failed and an unfinished case should score 0 of its task's points; got {test}")
    assert "[3] boom" in test.message and "[5] never finished" in test.message, (
        f"the message should name the failed and the unfinished cases; got {test.message!r}")


@pytest.mark.parametrize("name", sorted(formats.WRITERS) + ["gradescope"])
def test_every_format_survives_hostile_text(name):
    writer = formats.gradescope if name == "gradescope" else formats.WRITERS[name][1]
    text = writer(hostile_grade())
    text.encode("utf-8")  # raises on a lone surrogate
    raw = re.findall("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    assert not raw, f"the {name} output still holds raw control characters: {raw[:5]}"
    if name == "junit":
        ElementTree.fromstring(text)
    elif name != "markdown":
        json.loads(text)


def test_junit_passes_the_junit_schema_ci_servers_read():
    schema = xmlschema.XMLSchema(str(SCHEMA))
    document = formats.junit(hostile_grade())
    errors = [str(error)[:300] for error in schema.iter_errors(document)]
    assert not errors, f"the JUnit report fails the JUnit schema (tests/schemas/junit.xsd) (Jenkins xunit):\n" + "\n".join(errors[:3])


def test_exercism_output_fits_500_characters_and_the_message_is_whole():
    grade = hostile_grade(chatty=5000)
    for test in grade.tests:
        test.message = HOSTILE_TEXT * 20
    report = json.loads(formats.exercism(grade))
    assert all(len(test["output"] or "") <= formats.EXERCISM_OUTPUT_LIMIT for test in report["tests"]), (
        "Exercism v3 allows 500 characters of output per test, truncation note included; lengths seen: "
        f"{sorted({len(t['output'] or '') for t in report['tests']})}")
    failed = [test for test in report["tests"] if test["status"] == "fail"]
    assert failed and all(len(test["message"]) > 500 for test in failed), (
        "the message must not be clipped to 500 characters (only output is)")
    assert all(test["test_code"].lstrip().startswith(("@pytest", "def", "async def")) for test in report["tests"]), (
        f"test_code should hold each test's source; first seen: {report['tests'][0]['test_code'][:200]!r}")


def test_exercism_says_error_when_the_module_cannot_be_imported():
    grade = hostile_grade(topics=("locks",))
    grade.topics[0].error = "locks/locks.py failed to import (line 1): SyntaxError: invalid syntax"
    report = json.loads(formats.exercism(grade))
    assert report["status"] == "error" and "SyntaxError" in report.get("message", ""), (
        f"an unimportable module should give status error with the reason as message; got {report['status']!r}, "
        f"{report.get('message')!r}")


def test_every_classroom_payload_fits_an_environment_variable_however_chatty():
    grade = hostile_grade(topics=registry.names(), chatty=200_000)
    lines = formats.classroom_output(grade).splitlines()
    assert [line.split("=", 1)[0] for line in lines] == registry.names(), (
        f"one output per topic (a runner each) is expected; got {[line.split('=', 1)[0] for line in lines]}")
    for line in lines:
        name, payload = line.split("=", 1)
        size = len(f"{name.upper()}_RESULTS=") + len(payload) + 1
        assert size < 128 * 1024, f"{name}'s payload makes a {size}-byte environment string; Linux allows 131072"
        decoded = json.loads(base64.b64decode(payload))
        assert decoded["max_score"] == sum(t.max_score for t in grade.topics[registry.names().index(name)].tests), (
            f"{name}: the payload's max_score {decoded['max_score']} is not the topic's")


def test_the_classroom_recipe_names_what_the_reporter_requires():
    text = RECIPE.read_text(encoding="utf-8")
    assert re.search(r"(?m)^name: Autograding Tests$", text), "the workflow must be named 'Autograding Tests'"
    assert re.search(r"(?m)^  run-autograding-tests:$", text), "the job must be called 'run-autograding-tests'"
    runners = re.search(r"(?m)^\s+runners: (.+)$", text)
    assert runners and runners.group(1).split(",") == registry.names(), (
        f"the reporter's runners should be the topics in order; the recipe has {runners and runners.group(1)}")
    for topic in registry.names():
        line = f"{topic.upper()}_RESULTS: \"${{{{ steps.kata.outputs.{topic} }}}}\""
        assert line in text, f"the recipe should hand {topic}'s payload to the reporter as: {line}"


def test_gradescope_numbers_are_unique_and_max_score_does_not_depend_on_what_ran():
    topics = registry.names()
    crashed = Grade("x", [failed_topic(topic, "the run crashed") for topic in topics])
    full = json.loads(formats.gradescope(hostile_grade(topics=topics)))
    numbers = [test["number"] for test in full["tests"]]
    assert len(numbers) == len(set(numbers)), f"Gradescope test numbers repeat: {sorted(numbers)[:10]}"
    totals = {sum(t["max_score"] for t in json.loads(formats.gradescope(g))["tests"]) for g in (crashed,)}
    expected = sum(task.points * count for topic in topics for task, count in points.topic_points(topic))
    assert totals == {expected}, f"a crashed submission's max_score is {totals}; the points table says {expected}"


def test_hidden_tests_appear_only_in_gradescope_marked_after_published():
    grade = hostile_grade(topics=("locks",))
    grade.topics[0].tests.append(Result("locks", 1, "test_secret_case", "hidden_x.py::test_secret_case",
                                            True, 2, 2, hidden=True))
    gradescope = json.loads(formats.gradescope(grade))
    assert [t["visibility"] for t in gradescope["tests"] if "secret" in t["name"]] == ["after_published"], (
        "a hidden test should be in Gradescope's results once, marked after_published")
    assert "score" not in gradescope, "a top-level score would show the hidden tests' points at once"
    for name in ("markdown", "exercism", "junit", "classroom"):
        text = formats.WRITERS[name][1](grade)
        assert "secret" not in text, f"the hidden test's name appears in the {name} output"
    assert "secret" not in gradescope["output"] and "15/" not in gradescope["output"], (
        f"the visible summary should count visible tests only:\n{gradescope['output']}")


def test_the_sandbox_level_reported_is_the_judges_line_not_one_the_module_raised():
    judge = "kata: the code under test runs in a sandbox process (containment: {})"
    output = "\n".join(["E   ValueError: oops", judge.format("bwrap"),  # quoted from what the module raised
                        "1 failed in 2.0s", judge.format("none (no bubblewrap here)")])
    assert sandbox_level(output) == "sandbox (containment: none (no bubblewrap here))", (
        "the grader took a containment level from a line the module could have written, not the judge's last line")
    assert sandbox_level("E   kata: " + judge.format("bwrap")[6:]) == "sandbox (containment: unknown)", (
        "a level quoted inside a failure line must not count as the judge's")
