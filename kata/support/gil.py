"""Work functions for the gil topic's tests, importable by name in any child process.

Pool workers under spawn and forkserver find a task's function by importing its
module, so these live in a real module rather than in the test file's closures.
A cross-process Barrier cannot travel as a task argument; it reaches each pool
worker through the executor's initializer, which keeps it here in ``_barrier``.
"""
from __future__ import annotations

import os
import threading

from kata import build, stall_child

_barrier = None


def install_barrier(barrier) -> None:
    """Executor initializer: keep the barrier the tasks will meet at."""
    global _barrier
    _barrier = barrier


def meet(item):
    """Wait at the barrier until every party is inside at once; return (item, pid, met)."""
    met = False
    if _barrier is not None:
        try:
            stall_child.barrier_wait(_barrier, "waits at the rendezvous for the other pool workers")
            met = True
        except threading.BrokenBarrierError:
            met = False
    return item, os.getpid(), met


def whoami(item):
    """Return (item, pid) — which process ran this task."""
    return item, os.getpid()


def crunch(n: int) -> int:
    """CPU-bound pure-Python work: the sum of i*i below n (holds the GIL the whole time, where there is one)."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def process_kind(item):
    """Return (item, the class name of the process running this task): ForkProcess, SpawnProcess, ..."""
    import multiprocessing

    return item, type(multiprocessing.current_process()).__name__


# The tests hand the code a kata.contexts.SpyContext: the processes it builds are of these classes.
PROCESS_KINDS = {"fork": "RecordedForkProcess", "spawn": "RecordedSpawnProcess",
                 "forkserver": "RecordedForkServerProcess"}


def why_not_threads_for_computing() -> str:
    """Why a test wants processes for CPU-bound work, in words true on this build of Python."""
    if build.gil_enabled():
        return ("under the GIL threads take turns on the one interpreter, while processes compute side by side")
    return ("this Python is free-threaded, so threads would compute side by side here; but on the usual "
            "build the GIL makes them take turns, and the task asks for what computes in parallel on both: "
            "processes")
