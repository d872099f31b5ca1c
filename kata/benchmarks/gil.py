"""``kata bench gil``: serial vs threads vs processes, for CPU-bound and IO-bound work, on this machine.

CPU-bound work is a pure-Python loop (it holds the GIL the whole time, on a build
that has one); IO-bound work is time.sleep() (it releases the GIL while it waits).
The report names the build it ran on: a free-threaded build (3.13t, 3.14t) has no
GIL, and there threads compute in parallel too. Each way of running
the same tasks is timed with a wall clock, best of --repeat runs. The process
figures include starting the pool's workers: that is part of what processes
cost. No test asserts on these figures; the gil topic's README quotes them.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from kata import build
from kata.support.gil import crunch

WAYS = ("serial", "threads", "processes", "warm pool")
ABOUT = {
    "serial": "one task after another, in this thread",
    "threads": "one thread per task",
    "processes": "a new process pool, one worker per task (starting the workers included)",
    "warm pool": "the same pool with its workers already running (only the work is timed)",
}


def reading() -> str:
    """How to read the figures, on the build of Python they were taken on."""
    if build.gil_enabled():
        return ("With the GIL, threads take turns on CPU-bound work (expect no speed-up from them there); "
                "processes compute in parallel, up to the number of idle cores.")
    return ("Free-threaded: CPU-bound threads can run in parallel here, like processes, up to the number "
            "of idle cores; on a build with the GIL they would take turns.")


def doze(seconds: float) -> float:
    """IO-bound stand-in: waits without computing (the GIL is free meanwhile)."""
    time.sleep(seconds)
    return seconds


def warm_up(_):
    """Keeps a worker busy long enough that the pool starts all of them."""
    time.sleep(0.05)


def run(way: str, work, items, ctx) -> float:
    """Wall time, in seconds, to run work over items the given way."""
    started = time.perf_counter()
    if way == "serial":
        for item in items:
            work(item)
    elif way == "threads":
        threads = [threading.Thread(target=work, args=(item,)) for item in items]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elif way == "processes":
        with ProcessPoolExecutor(max_workers=len(items), mp_context=ctx) as pool:
            list(pool.map(work, items))
    else:
        with ProcessPoolExecutor(max_workers=len(items), mp_context=ctx) as pool:
            list(pool.map(warm_up, range(len(items))))  # every worker started and idle
            started = time.perf_counter()
            list(pool.map(work, items))
            return time.perf_counter() - started
    return time.perf_counter() - started


def measure(options, ctx) -> dict[str, dict[str, float]]:
    kinds = {
        "CPU-bound": (crunch, [options.cpu_n] * options.tasks),
        "IO-bound": (doze, [options.io_wait] * options.tasks),
    }
    figures = {}
    for kind, (work, items) in kinds.items():
        figures[kind] = {way: min(run(way, work, items, ctx) for _ in range(options.repeat)) for way in WAYS}
    return figures


def chart(figures: dict[str, dict[str, float]], width: int) -> list[str]:
    lines = []
    for kind, times in figures.items():
        longest = max(times.values()) or 1.0
        serial = times["serial"]
        lines.append(f"{kind}:")
        for way in WAYS:
            seconds = times[way]
            bar = "#" * max(1, round(width * seconds / longest))
            speedup = serial / seconds if seconds else float("inf")
            lines.append(f"  {way:<10} {bar:<{width}} {seconds:7.3f} s  x{speedup:4.1f}")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata bench gil", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=4, help="tasks per run (default 4)")
    parser.add_argument("--cpu-n", type=int, default=2_000_000,
                        help="loop length of one CPU-bound task (default 2,000,000)")
    parser.add_argument("--io-wait", type=float, default=0.5, help="seconds one IO-bound task waits (default 0.5)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is shown (default 3)")
    parser.add_argument("--start-method", choices=("fork", "forkserver", "spawn"),
                        help="how the process pool starts its workers (default: the platform's)")
    parser.add_argument("--width", type=int, default=40, help="width of the longest bar (default 40)")
    options = parser.parse_args(argv)
    ctx = multiprocessing.get_context(options.start_method)

    print(f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"{os.cpu_count()} CPU cores, start method {ctx.get_start_method()}")
    print(f"Build: {build.describe()}")
    print(f"{options.tasks} tasks per run; CPU-bound: a pure-Python loop of {options.cpu_n:,}; "
          f"IO-bound: time.sleep({options.io_wait:g}); best of {options.repeat}")
    figures = measure(options, ctx)
    print()
    for way in WAYS:
        print(f"  {way:<10} {ABOUT[way]}")
    print()
    print(f"{'seconds':<10} " + " ".join(f"{way:>10}" for way in WAYS))
    for kind, times in figures.items():
        print(f"{kind:<10} " + " ".join(f"{times[way]:10.3f}" for way in WAYS))
    print()
    print("\n".join(chart(figures, options.width)))
    print("\n(bars: wall time, longer is slower; xN: speed-up over serial)")
    print(reading())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
