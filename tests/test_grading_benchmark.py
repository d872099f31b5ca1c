"""`kata bench grading` runs end to end on one small topic. Its times are never asserted: only that it reports them."""
import re

import pytest

from kata.benchmarks import grading


@pytest.mark.timeout(600)  # three grader runs of one topic: slow on a loaded machine, never hung
def test_the_grading_benchmark_reports_each_run_and_full_marks(capsys):
    status = grading.main(["--topics", "threads", "--batch", "2"])
    out = capsys.readouterr().out
    assert status == 0, f"kata bench grading exited {status}:\n{out[-2000:]}"
    for run in ("default --jobs", "--jobs 1", "a batch of 2"):
        assert re.search(rf"{re.escape(run)}:\s+\d+\.\d s", out), f"no wall time for {run!r} in:\n{out}"
    full = re.findall(r"(\d+)/(\d+)", out)
    assert full and all(got == of for got, of in full), f"the solutions did not score full marks:\n{out}"
    assert "containment " in out, f"the report does not name the containment level:\n{out}"
    assert out.count("student-") == 2, f"the batch's two submissions are not both reported:\n{out}"
