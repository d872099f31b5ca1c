"""``kata bench mistakes``: how long wrong code waits for its verdict.

Times the topic run (one pytest process, as a student runs it) of every
catalogued mistake (tests/mistakes/*), plus a lock that is never released and
a module whose top-level code never returns, and prints the median, the 90th
percentile and the worst, and which runs reached pytest-timeout. Run it from
a checkout (the catalogue lives in tests/), on a quiet machine: the figures
are wall times. No test asserts on them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kata import engine, registry, trees
from kata.mistakes import Mistake

# Two wrong programs the catalogue cannot hold (its entries must each fail with a message of their own).
EXTRA = (
    ("locks", Mistake(
        name="lock-never-released",
        edits=(("        with self._lock:\n            current", "        self._lock.acquire()\n        if True:\n"
                "            current"),),
        expect="")),
    ("locks", Mistake(
        name="module-hangs-at-import",
        edits=(("class Counter:\n", "while True:  # left over from trying it out\n    pass\n\n\nclass Counter:\n"),),
        expect="")),
)
TIMEOUT_MARK = "Timeout (>"  # how pytest-timeout words a test it stopped


def cases(topics) -> list[tuple[str, Mistake]]:
    sys.path.insert(0, str(trees.ROOT))
    from tests.catalogue import all_cases

    return [(topic, mistake) for topic, mistake in [*all_cases(), *EXTRA] if topic in topics]


def time_one(topic: str, mistake: Mistake, scratch: Path) -> tuple[float, engine.Run]:
    tree = mistake.build(topic, trees.module_path(trees.SOLUTIONS, topic), scratch / topic)
    started = time.perf_counter()
    run = engine.run_topic(topic, tree, start_method=mistake.start_method)
    return time.perf_counter() - started, run


def reached_timeout(run: engine.Run) -> list[str]:
    return [record["nodeid"] for record in run.records
            if TIMEOUT_MARK in record["message"] or TIMEOUT_MARK in record["output"]]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata bench mistakes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topics", nargs="*", default=registry.names(), help="topics (default: all)")
    parser.add_argument("--parallel", type=int, default=1, help="runs at once (default 1: honest wall times)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print a table of the tests' times per topic, for README.md")
    options = parser.parse_args(argv)
    unknown = sorted(set(options.topics) - set(registry.names()))
    if unknown:
        parser.error(f"unknown topic(s): {', '.join(unknown)}")
    chosen = cases(options.topics)
    print("wall: the whole pytest process; tests: the tests' own durations (what the kata's waits cost)")
    print(f"load average at the start: {load_average()}")
    print(f"{'wall s':>7} {'tests s':>7} {'slowest':>7} {'failed':>7} {'timeouts':>8}  topic mistake", flush=True)
    timings: list[tuple[float, str, engine.Run]] = []
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as scratch, \
            ThreadPoolExecutor(max_workers=options.parallel) as pool:
        futures = [(f"{topic} {mistake.name}", pool.submit(time_one, topic, mistake, Path(scratch)))
                   for topic, mistake in chosen]
        for label, future in futures:
            seconds, run = future.result()
            timings.append((seconds, label, run))
            cut = " (killed at the engine's hard limit)" if run.returncode is None else ""
            durations = [record["duration"] for record in run.records] or [0.0]
            print(f"{seconds:7.2f} {sum(durations):7.2f} {max(durations):7.2f} "
                  f"{len(run.failed):3}/{len(run.records):<3} {len(reached_timeout(run)):8}  {label}{cut}", flush=True)
    if not timings:
        print("no mistakes in the chosen topics")
        return 2
    for title, measure in (("wall", lambda timing: timing[0]),
                           ("tests", lambda timing: sum(r["duration"] for r in timing[2].records))):
        values = [measure(timing) for timing in timings]
        worst = max(timings, key=measure)
        print(f"{len(values)} runs, {title}: median {statistics.median(values):.2f} s, "
              f"90th percentile {percentile(values, 0.9):.2f} s, worst {measure(worst):.2f} s ({worst[1]})")
    timed_out = [(label, reached_timeout(run)) for _, label, run in timings if reached_timeout(run)]
    print(f"runs that reached pytest-timeout: {len(timed_out)}")
    for label, nodeids in timed_out:
        print(f"  {label}: {len(nodeids)} test(s), e.g. {nodeids[0].rsplit('::', 1)[-1]}")
    print(f"load average at the end: {load_average()}")
    if options.markdown:
        print()
        print(markdown_table(timings))
    return 0


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: how quiet the machine was (the figures are wall times)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def markdown_table(timings: list[tuple[float, str, engine.Run]]) -> str:
    """Per topic (in teaching order) and for all: runs, median, 90th percentile and worst of the tests' times."""
    def tests_time(timing) -> float:
        return sum(record["duration"] for record in timing[2].records)

    by_topic: dict[str, list] = {}
    for timing in timings:
        by_topic.setdefault(timing[1].split()[0], []).append(timing)
    groups = [(topic, by_topic[topic]) for topic in registry.names() if topic in by_topic]
    if len(groups) > 1:
        groups.append((f"all {len(groups)} topics", timings))
    lines = ["| topic | runs | median | 90th percentile | worst (mistake) |", "| --- | ---: | ---: | ---: | --- |"]
    for title, group in groups:
        values = [tests_time(timing) for timing in group]
        worst = max(group, key=tests_time)
        lines.append(f"| {title} | {len(values)} | {statistics.median(values):.2f} s | "
                     f"{percentile(values, 0.9):.2f} s | {tests_time(worst):.1f} s ({worst[1].split(' ', 1)[1]}) |")
    return "\n".join(lines)
