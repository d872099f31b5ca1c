"""One JSON line per finished test, written as soon as the test ends.

The self-checks and the grader read this file; because every line is flushed
when its test finishes, a run that dies half-way still leaves every verdict
it reached.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from kata.text import printable

OUTPUT_LIMIT = 4000  # characters of a failure report kept per test
PRINTED_LIMIT = 2000  # characters of what the test printed kept per test


def clip(text: str, limit: int) -> str:
    """Keep the start of ``text``; say visibly how much was cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters cut]"


class ResultLog:
    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", encoding="utf-8")
        self._failed: dict[str, pytest.TestReport] = {}
        self._skipped: set[str] = set()
        self._calls: dict[str, pytest.TestReport] = {}
        self._durations: dict[str, float] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # Every test that will run, so a run that dies still says which tests it never finished.
        self._file.write(json.dumps({"collected": [item.nodeid for item in session.items]}) + "\n")
        self._file.flush()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._durations[report.nodeid] = self._durations.get(report.nodeid, 0.0) + report.duration
        if report.failed and report.nodeid not in self._failed:
            self._failed[report.nodeid] = report
        if report.skipped:
            self._skipped.add(report.nodeid)
        if report.when == "call":
            self._calls[report.nodeid] = report
        if report.when == "teardown":
            self._write(report)

    def _write(self, teardown: pytest.TestReport) -> None:
        failed = self._failed.pop(teardown.nodeid, None)
        call = self._calls.pop(teardown.nodeid, None)
        shown = failed or call or teardown
        skipped = teardown.nodeid in self._skipped
        self._skipped.discard(teardown.nodeid)
        outcome = "failed" if failed else "skipped" if skipped else "passed"
        record = {
            "nodeid": teardown.nodeid,
            "outcome": outcome,
            "when": failed.when if failed else None,
            "message": _crash_message(failed) if failed else "",
            "output": clip(failed.longreprtext, OUTPUT_LIMIT) if failed else "",
            "printed": clip(shown.capstdout + shown.capstderr, PRINTED_LIMIT),
            "duration": round(self._durations.pop(teardown.nodeid, 0.0), 3),
        }
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def pytest_unconfigure(self) -> None:
        self._file.close()


def _crash_message(report: pytest.TestReport) -> str:
    """What the failure said, without the test's source (which may quote other messages)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return clip(crash.message, OUTPUT_LIMIT)
    return clip(str(report.longrepr).strip(), OUTPUT_LIMIT) if report.longrepr else ""


OUTCOMES = ("passed", "failed", "skipped")
LOG_LIMIT = 64 * 1024**2  # bytes of a result log read; a run that writes more is not believed past this
LINE_LIMIT = 1024**2  # characters of one record line; a longer line is not a record the plugin wrote


def read(path: Path) -> tuple[list[str], list[dict]]:
    """The collected test ids and the records of finished tests, checked and normalised.

    The log lives where the run under test can write, so every line is data
    from an untrusted side: a line that is not a JSON object with a string
    ``nodeid`` is dropped, every other field is given its type (a record that
    claims an unknown outcome is a failure), and every string is made printable.
    """
    collected, records = [], []
    try:  # not through a link, and only a regular file: a run could leave a FIFO that blocks a reader for ever
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # never written (the run died before collecting), or a link
        return collected, records
    with open(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            return collected, records
        data = file.read(LOG_LIMIT)
    for line in data.decode("utf-8", "replace").splitlines():
        if len(line) > LINE_LIMIT:
            continue
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, RecursionError):  # a line cut short when the run was killed, or garbage
            continue
        if not isinstance(entry, dict):
            continue
        if "collected" in entry:
            if isinstance(entry["collected"], list):
                collected = [printable(nodeid) for nodeid in entry["collected"] if isinstance(nodeid, str)]
        elif isinstance(entry.get("nodeid"), str):
            records.append(normalised(entry))
    return collected, records


def normalised(entry: dict) -> dict:
    """A record with every field the grader reads, of the type it expects."""
    outcome = entry.get("outcome")
    duration = entry.get("duration")
    if not isinstance(duration, (int, float)) or isinstance(duration, bool) or not 0 <= duration < 1e9:
        duration = 0.0
    return {
        "nodeid": printable(entry["nodeid"]),
        "outcome": outcome if outcome in OUTCOMES else "failed",
        "when": entry.get("when") if entry.get("when") in ("setup", "call", "teardown") else None,
        "message": clip(_text(entry.get("message")), OUTPUT_LIMIT),
        "output": clip(_text(entry.get("output")), OUTPUT_LIMIT),
        "printed": clip(_text(entry.get("printed")), PRINTED_LIMIT),
        "duration": round(float(duration), 3),
    }


def _text(value) -> str:
    return printable(value) if isinstance(value, str) else ""
