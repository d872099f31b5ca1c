"""One JSON line per finished test, written as soon as the test ends.

The self-checks and the grader read this file; because every line is flushed
when its test finishes, a run that dies half-way still leaves every verdict
it reached.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

OUTPUT_LIMIT = 4000


class ResultLog:
    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", encoding="utf-8")
        self._failed: dict[str, pytest.TestReport] = {}
        self._skipped: set[str] = set()
        self._durations: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._durations[report.nodeid] = self._durations.get(report.nodeid, 0.0) + report.duration
        if report.failed and report.nodeid not in self._failed:
            self._failed[report.nodeid] = report
        if report.skipped:
            self._skipped.add(report.nodeid)
        if report.when == "teardown":
            self._write(report)

    def _write(self, teardown: pytest.TestReport) -> None:
        failed = self._failed.pop(teardown.nodeid, None)
        skipped = teardown.nodeid in self._skipped
        self._skipped.discard(teardown.nodeid)
        outcome = "failed" if failed else "skipped" if skipped else "passed"
        record = {
            "nodeid": teardown.nodeid,
            "outcome": outcome,
            "when": failed.when if failed else None,
            "message": _crash_message(failed) if failed else "",
            "output": failed.longreprtext[:OUTPUT_LIMIT] if failed else "",
            "duration": round(self._durations.pop(teardown.nodeid, 0.0), 3),
        }
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def pytest_unconfigure(self) -> None:
        self._file.close()


def _crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    return str(report.longrepr).strip().splitlines()[0] if report.longrepr else ""


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short when the run was killed
            continue
    return records
