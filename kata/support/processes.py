"""Child-side probes and parent-side helpers for the processes topic (and daemons).

The functions here run inside child processes, so they are module-level
functions of a module every child can import by its dotted name: under spawn
and forkserver a child re-imports its target, it never inherits it.

``WatchedProcess`` classes (one per start method) are real processes that also
tell the test whether join() was called, and open a gate when it is, so a
child can be kept running exactly until the code under test joins it.

Under --sandbox a test takes the targets and the process helpers from the
sandbox's own import of this module (kata.boundary.support), so they run where
the code under test and its children do; ``receive`` and ``joined`` also work
on the proxies the judge holds, and take only a well-formed answer.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import sys
from multiprocessing import context

from kata import bounds, stall_child

# Waiting for a child process to start and report: under spawn that is a whole new
# interpreter importing modules, which on a loaded two-core machine can take
# seconds. Only wrong code (a child that never sends, a join that never returns)
# waits this long. It is the bound a held child waits at its gate, for the same reason.
CHILD_BOUND = bounds.HELD

NOTHING = object()  # what receive() returns when a child ended without sending anything


# -- targets that run in the child ---------------------------------------------

def echo(*args, reply, **kwargs):
    """Send back who ran this and with which arguments (``reply`` itself is left out)."""
    reply.put({"pid": os.getpid(), "ppid": os.getppid(), "args": args, "kwargs": kwargs})


def finish(gate, outcome):
    """Wait for ``gate``, then end as ``outcome`` says: "return", "raise", or an exit status for sys.exit()."""
    stall_child.event_wait(gate, CHILD_BOUND, "waits at the test's gate")
    if outcome == "raise":
        raise RuntimeError("raised on purpose by the test's child (this traceback is expected)")
    if outcome != "return":
        sys.exit(outcome)


def hold(started, gate, reply=None):
    """Report the pid, signal ``started``, then stay alive until ``gate`` opens (or forever if it never does)."""
    if reply is not None:
        reply.put(os.getpid())
    started.set()
    while not gate.wait(CHILD_BOUND):
        pass


def whoami(item):
    """The work for compute_in_child: what ran it, and the item back."""
    return {"pid": os.getpid(), "item": item}


def blob(size):
    """A result too large for a pipe's buffer: the child cannot end until somebody reads it."""
    return b"k" * size


# -- parent side -----------------------------------------------------------------

def receive(channel, process, timeout: float = CHILD_BOUND):
    """The first item a child sends on ``channel`` (a Queue), or NOTHING if the child ends without one.

    Returns as soon as the item arrives; only a child that sends nothing makes
    this wait, until it has ended (plus a moment for the pipe) or ``timeout``.
    """
    waited, step = 0.0, 0.05
    while waited < timeout:
        try:
            return channel.get(timeout=step)
        except queue.Empty:
            waited += step
        if process is not None and process.exitcode is not None:
            try:
                return channel.get(timeout=step)
            except queue.Empty:
                return NOTHING
    return NOTHING


def joined(process) -> bool:
    """Whether the code under test called join() on a watched process (an int count, nothing else, says so)."""
    calls = process.join_calls
    return type(calls) is int and calls > 0


def use_start_method(method):
    """Make ``method`` the start method of multiprocessing.Process here; return the one it replaces."""
    previous = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method(method, force=True)
    return previous


def cleanup(*processes) -> None:
    """Kill and join whatever the test started, whatever state it is in.

    A watched process's gate opens before the kill, never after: set() on a
    multiprocessing Event waits for the waiters it wakes, and a waiter killed
    mid-wait never answers, so set() after a kill can block for ever.
    """
    for process in processes:
        if process is None or getattr(process, "_popen", None) is None:
            continue
        if process.exitcode is None:
            if isinstance(process, _JoinWatch):
                process.open_gate()
            process.kill()
        process.join(CHILD_BOUND)


def pickling_error(exc: BaseException) -> bool:
    """Whether ``exc`` is start() failing to send a lambda, closure or local class to a child."""
    from kata.pickling import unpicklable

    return unpicklable(exc) is not None


class _JoinWatch:
    """Records join() calls and opens ``gate`` (a ctx.Event) before waiting."""

    def __init__(self, *args, gate=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._gate = gate
        self.join_calls = 0

    def join(self, timeout=None):
        self.join_calls += 1
        self.open_gate()
        super().join(timeout)

    def open_gate(self) -> None:
        """Open the gate once, and only while the child lives: a child killed at the gate never answers set()."""
        gate, self._gate = self._gate, None
        if gate is not None and self.exitcode is None:
            gate.set()


class WatchedForkProcess(_JoinWatch, context.ForkProcess):
    pass


class WatchedSpawnProcess(_JoinWatch, context.SpawnProcess):
    pass


class WatchedForkServerProcess(_JoinWatch, context.ForkServerProcess):
    pass


_WATCHED = {"fork": WatchedForkProcess, "spawn": WatchedSpawnProcess, "forkserver": WatchedForkServerProcess}


def watched_process(ctx, target, args=(), gate=None):
    """A not-yet-started process of ``ctx``'s start method whose join() the test can see."""
    return _WATCHED[ctx.get_start_method()](target=target, args=args, gate=gate)
