"""Work functions for the gil topic's tests, importable by name in any child process.

Pool workers under spawn and forkserver find a task's function by importing its
module, so these live in a real module rather than in the test file's closures.
A cross-process Barrier cannot travel as a task argument; it reaches each pool
worker through the executor's initializer, which keeps it here in ``_barrier``.

Under --sandbox a test takes the tasks, and what it pretends about the
interpreter (its CPU count, its answer to sys._is_gil_enabled), from the
sandbox's own import of this module (kata.boundary.support), where the code
under test builds its pools; what comes back from the tasks the judge takes
only when well formed (``checked``).
"""
from __future__ import annotations

import contextlib
import os
import sys
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


# -- what a test pretends about the interpreter, where the code under test runs ------------

@contextlib.contextmanager
def cpu_count(count: int):
    """Within the block os.cpu_count() (and os.process_cpu_count(), 3.13+) say ``count`` in this process."""
    import pytest

    from kata.contexts import pretend_cpu_count

    with pytest.MonkeyPatch.context() as patch:
        pretend_cpu_count(patch, count)
        yield


@contextlib.contextmanager
def gil_question(answer: bool | None):
    """Within the block sys._is_gil_enabled() answers ``answer`` in this process; None: sys has no such function."""
    import pytest

    with pytest.MonkeyPatch.context() as patch:
        if answer is None:
            patch.delattr(sys, "_is_gil_enabled", raising=False)
        else:
            patch.setattr(sys, "_is_gil_enabled", lambda: answer, raising=False)
        yield


def gil_enabled_here() -> bool:
    """Whether the GIL is on in this process (an extension module can turn it on in one process only)."""
    return build.gil_enabled()


def type_name(obj) -> str:
    """The name of ``obj``'s class, as the process that holds it knows it (a message names it)."""
    return type(obj).__name__


# -- what the tasks sent back, as plain data ----------------------------------------

MEETING = (object, int, bool)  # what meet() returns: (item, pid, met)
KIND = (object, str)  # what process_kind() returns: (item, class name)


def well_formed(results, fields: tuple) -> bool:
    """Whether ``results`` is a list or tuple of tuples whose fields have exactly the types ``fields``."""
    return type(results) in (list, tuple) and all(
        type(result) is tuple and len(result) == len(fields)
        and all(kind is object or type(value) is kind for value, kind in zip(result, fields))
        for result in results)


def checked(results, fields: tuple, what: str) -> list[tuple]:
    """``results`` as a list, if each is a tuple of exactly the types ``fields``; a failed test otherwise."""
    if not well_formed(results, fields):
        import pytest

        shape = "(item, pid, met)" if fields == MEETING else "(item, kind)"
        pytest.fail(f"{what} gave back {results!r}; expected what the tasks returned, {shape} for each item: "
                    "return the results the pool gave, unchanged", pytrace=False)
    return list(results)


def checked_sizes(sizes) -> list[int]:
    """The pool sizes the test's context saw (SpyContext.pool_sizes()), if they are a list of ints."""
    if type(sizes) is not list or any(type(size) is not int for size in sizes):
        raise ValueError(f"the test's context did not say how large its process pools were "
                         f"(it answered {type(sizes).__name__})")
    return sizes
