"""``kata bench topics``: wall time of each topic's tests against the solutions and the stubs."""
from __future__ import annotations

import argparse
import time

from kata import engine, registry, trees


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata bench topics", description=__doc__)
    parser.add_argument("topics", nargs="*", default=registry.names(), help="topics to time (default: all)")
    parser.add_argument("--start-method", choices=("fork", "forkserver", "spawn"))
    parser.add_argument("--repeat", type=int, default=3, help="runs per tree; the best is shown (default 3)")
    options = parser.parse_args(argv)
    print(f"{'topic':<14} {'tree':<10} {'best s':>7} {'worst s':>8}  tests  (wall time of one pytest process)")
    for topic in options.topics:
        for label, tree in (("solutions", trees.SOLUTIONS), ("stubs", trees.EXERCISES)):
            times, run = [], None
            for _ in range(options.repeat):
                started = time.perf_counter()
                run = engine.run_topic(topic, tree, start_method=options.start_method)
                times.append(time.perf_counter() - started)
            outcome = f"{len(run.passed)}/{len(run.records)} passed"
            print(f"{topic:<14} {label:<10} {min(times):7.2f} {max(times):8.2f}  {outcome}")
    return 0
