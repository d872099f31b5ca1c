"""`kata bench gil` runs end to end with tiny sizes. Its figures are never asserted: only that it reports them."""
import pytest

from kata.benchmarks import gil


@pytest.mark.timeout(300)  # it starts two process pools per kind of work: slow on a loaded machine, never hung
def test_the_gil_benchmark_runs_and_draws_every_way(capsys):
    start_method = "fork"
    status = gil.main(["--tasks", "2", "--cpu-n", "1000", "--io-wait", "0.001", "--repeat", "1",
                       "--start-method", start_method])
    out = capsys.readouterr().out
    assert status == 0, f"kata bench gil exited {status}:\n{out[-2000:]}"
    assert "Build: " in out, f"the report does not name the build of Python (GIL or free-threaded):\n{out}"
    assert f"start method {start_method}" in out, f"the report does not name start method {start_method!r}:\n{out}"
    for kind in ("CPU-bound", "IO-bound"):
        assert kind in out, f"no {kind} section in:\n{out}"
    for way in gil.WAYS:
        assert f"  {way:<10} #" in out, f"no bar for {way!r} in:\n{out}"


def test_the_chart_scales_the_slowest_way_to_the_full_width():
    lines = gil.chart({"CPU-bound": {"serial": 2.0, "threads": 2.0, "processes": 1.0, "warm pool": 0.5}}, 20)
    bars = {way: line.count("#") for way, line in zip(gil.WAYS, lines[1:])}
    assert bars == {"serial": 20, "threads": 20, "processes": 10, "warm pool": 5}, "\n".join(lines)
