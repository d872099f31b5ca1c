"""``kata bench sandbox``: wall time of the solutions in one process and under --sandbox, per topic."""
from __future__ import annotations

import argparse
import time

from kata import engine, registry, trees
from kata.sandbox import SUPPORTED, containment

GOAL = 1.5  # what the sandbox may cost at most, as a multiple of the in-process time


def main(argv: list[str]) -> int:
    supported = [topic for topic in registry.names() if topic in SUPPORTED]
    parser = argparse.ArgumentParser(prog="kata bench sandbox", description=__doc__)
    parser.add_argument("topics", nargs="*", default=supported, help="topics to time (default: all supported)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the best is shown (default 3)")
    options = parser.parse_args(argv)
    print(f"containment: {containment.level()}; best of {options.repeat} runs of one pytest process each")
    print(f"{'topic':<14} {'in-process s':>12} {'sandbox s':>10} {'ratio':>6}  verdicts")
    totals = [0.0, 0.0]
    for topic in options.topics:
        best, outcome = [], []
        for extra in ((), ("--sandbox",)):
            times, run = [], None
            for _ in range(options.repeat):
                started = time.perf_counter()
                run = engine.run_topic(topic, trees.SOLUTIONS, extra_args=extra)
                times.append(time.perf_counter() - started)
            best.append(min(times))
            outcome.append(f"{len(run.passed)}/{len(run.records)}")
        totals[0] += best[0]
        totals[1] += best[1]
        print(f"{topic:<14} {best[0]:12.2f} {best[1]:10.2f} {best[1] / best[0]:6.2f}  "
              f"{outcome[0]} / {outcome[1]} passed")
    if totals[0]:
        ratio = totals[1] / totals[0]
        print(f"{'all':<14} {totals[0]:12.2f} {totals[1]:10.2f} {ratio:6.2f}  "
              f"(goal: at most {GOAL:g}x{'' if ratio <= GOAL else ' — not met'})")
    return 0
