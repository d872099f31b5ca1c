"""`kata bench mistakes --markdown` turns its runs into README's table: per topic in teaching order, then all."""
from kata.benchmarks import mistakes
from kata.engine import Run


def timing(topic: str, name: str, *durations: float):
    records = [{"nodeid": f"t::{i}", "outcome": "failed", "duration": d, "message": "", "output": ""}
               for i, d in enumerate(durations)]
    return (sum(durations) + 1.0, f"{topic} {name}", Run(topic, records, 1))


def test_the_table_has_a_row_per_topic_in_teaching_order_and_one_for_all():
    timings = [timing("locks", "a", 0.5), timing("processes", "b", 1.0, 2.0), timing("locks", "c", 4.0, 4.0)]
    rows = mistakes.markdown_table(timings).splitlines()[2:]
    assert [row.split("|")[1].strip() for row in rows] == ["processes", "locks", "all 2 topics"], (
        f"expected rows for processes, then locks (the registry's order), then all:\n{rows}")
    assert rows[1] == "| locks | 2 | 4.25 s | 8.00 s | 8.0 s (c) |", (
        f"locks ran 0.5 s and 8 s of tests: median 4.25, 90th percentile and worst 8 s by mistake c; got {rows[1]}")
    assert rows[2].startswith("| all 2 topics | 3 | 3.00 s |"), f"the row for all three runs is wrong: {rows[2]}"


def test_one_topic_gets_no_row_for_all():
    rows = mistakes.markdown_table([timing("gil", "x", 1.0)]).splitlines()[2:]
    assert rows == ["| gil | 1 | 1.00 s | 1.00 s | 1.0 s (x) |"], f"one topic should give one row: {rows}"
