"""Find what a test left running, and stop it.

A test must not leave a non-daemon thread (it would keep the interpreter
alive) or a child process behind. The guard snapshots both before a test and
compares after its teardown; whatever is new gets a short grace period, then
processes are killed and the test is failed with a list of the leftovers.

Looking must come before reaping: multiprocessing.active_children() and
is_alive() join finished children as they look, so a child that was never
joined but has ended by the time of the check would vanish from any list
taken after them. multiprocessing's own record of started, unjoined
processes is read first, under every start method (under forkserver the
fork server, not the test, is the OS parent, so no zombie shows there).
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from dataclasses import dataclass, field

import psutil

THREAD_GRACE = 1.0   # a thread that is finishing its last lines
PROCESS_GRACE = 1.0  # a child that has exited but is not yet reaped


@dataclass
class Snapshot:
    threads: set[threading.Thread] = field(default_factory=set)
    children: set[int] = field(default_factory=set)
    unjoined: set = field(default_factory=set)  # multiprocessing Process objects started and not joined

    @classmethod
    def take(cls) -> Snapshot:
        return cls(set(threading.enumerate()), {child.pid for child in _children()}, _unjoined())


def _unjoined() -> set:
    """Processes this process started with multiprocessing and has not joined: read without reaping any."""
    return set(getattr(multiprocessing.process, "_children", ()))


def _children() -> list[psutil.Process]:
    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def _infrastructure_pids() -> set[int]:
    """Helpers multiprocessing starts once and keeps: not a test's doing."""
    pids = set()
    from multiprocessing import forkserver, resource_tracker

    for pid in (getattr(forkserver._forkserver, "_forkserver_pid", None),
                getattr(resource_tracker._resource_tracker, "_pid", None)):
        if pid:
            pids.add(pid)
    sandbox = sys.modules.get("kata.sandbox.session")  # --sandbox: its tree is judged by kata.sandbox.plugin
    if sandbox is not None:
        pids |= sandbox.tree_pids()
    return pids


def blocks_exit(thread: threading.Thread) -> bool:
    """Whether the interpreter will wait for this thread before it exits.

    Non-daemon threads, and the workers of a ThreadPoolExecutor, which
    concurrent.futures joins at exit even when they are daemon threads (they
    are, when the pool was made from a daemon thread).
    """
    from concurrent.futures import thread as futures_thread

    return not thread.daemon or thread in getattr(futures_thread, "_threads_queues", {})


def leaked_threads(before: Snapshot) -> list[threading.Thread]:
    deadline = time.monotonic() + THREAD_GRACE
    leaked = []
    for thread in threading.enumerate():
        if thread in before.threads or not blocks_exit(thread) or thread is threading.current_thread():
            continue
        thread.join(max(deadline - time.monotonic(), 0))
        if thread.is_alive():
            leaked.append(thread)
    return leaked


def reap_leaked_processes(before: Snapshot) -> list[str]:
    """Kill the children a test left behind; describe each one, and say whether it was still running."""
    unjoined = [process for process in _unjoined() if process not in before.unjoined]  # before any reaping
    spared = before.children | _infrastructure_pids()
    fresh = [child for child in _children() if child.pid not in spared]
    _, alive = psutil.wait_procs(fresh, timeout=PROCESS_GRACE) if fresh else ((), [])
    killed = {child.pid: _describe(child) for child in alive}
    for child in alive:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=PROCESS_GRACE)
    described = [f"{process.name} (pid {process.pid}) was never joined: it "
                 f"{'was still running and has been killed' if process.pid in killed else 'had ended'}"
                 for process in unjoined]
    mine = {process.pid for process in unjoined}
    described += [f"{what} was still running and has been killed" for pid, what in killed.items() if pid not in mine]
    multiprocessing.active_children()  # now reap what multiprocessing started
    return described


def _describe(child: psutil.Process) -> str:
    try:
        return f"pid {child.pid} ({' '.join(child.cmdline())[:80] or child.name()})"
    except psutil.Error:  # it has gone meanwhile
        return f"pid {child.pid}"


def threads_blocking_exit() -> list[threading.Thread]:
    main = threading.main_thread()
    return [t for t in threading.enumerate() if t is not main and blocks_exit(t) and t.is_alive()]


def exit_now(status: int) -> None:
    """Leave even though a stuck thread would keep the interpreter waiting forever."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
