"""Probes for the deadlocks topic: locks that know who holds them and who waits for them.

A ``WaitGraph`` hands out ``WatchedLock``s (through ``graph.factory``). Each
records its holder and every thread waiting for it, with the timeout it
passed. A cycle of threads that each wait *without a timeout* for a lock the
next one holds is a deadlock for certain (nobody in the cycle can ever release
anything), so a test names it the moment it forms instead of waiting for a
hang bound. A thread waiting for a lock it holds itself is the shortest cycle.

Threads are known by ``kata.caller.thread_key()``: under ``--sandbox`` a lock is
taken by a judge thread serving a sandbox thread, and the key (and the name the
messages use) is that of the test's thread the call was made for.
"""
from __future__ import annotations

import threading

from kata import bounds, caller, stall, stall_picture
from kata.workers import TrackedWorker, Worker


class WatchedLock:
    """A real lock (it really excludes) that reports its holder and its waiters."""

    def __init__(self, graph: WaitGraph, label: str) -> None:
        self._graph = graph
        self._lock = threading.Lock()
        self.label = label
        self.holder = None  # the thread key (kata.caller.thread_key) of the thread that holds it
        self.before_release = None  # called, still holding the lock, just before each release: what it guarded

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not blocking and timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        graph, me = self._graph, caller.thread_key()
        with graph._cond:
            if self._lock.acquire(False):
                self.holder = me
                graph.acquisitions += 1
                graph._cond.notify_all()
                return True
            if not blocking or timeout == 0:
                return False
            graph.waits[me] = (self, None if timeout is None or timeout < 0 else timeout)
            graph._cond.notify_all()
        graph._changed()
        got = False
        try:
            got = self._lock.acquire(True, timeout)
        finally:
            with graph._cond:
                graph.waits.pop(me, None)
                if got:
                    self.holder = me
                    graph.acquisitions += 1
                graph._cond.notify_all()
            graph._changed()
        return got

    def release(self) -> None:
        if self.before_release is not None and self._lock.locked():
            self.before_release(self)
        with self._graph._cond:
            self._lock.release()  # RuntimeError if it is not locked, as for any Lock
            self.holder = None
            self._graph._cond.notify_all()
        self._graph._changed()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<WatchedLock {self.label}>"


class WaitGraph:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.locks: list[WatchedLock] = []
        self.waits: dict[object, tuple[WatchedLock, float | None]] = {}  # by thread key
        self.acquisitions = 0
        self.names: dict[object, str] = {}  # thread key -> a name for messages
        # Made by a test's fixture, on the test's main thread: the key that names it so.
        self.main = caller.thread_key() if threading.current_thread() is threading.main_thread() else None
        self.listeners: list = []  # called with no lock held whenever a wait starts or ends
        stall_picture.graphs.add(self)  # a stall's picture names who holds which lock

    def factory(self) -> WatchedLock:
        with self._cond:
            lock = WatchedLock(self, f"lock {len(self.locks) + 1}")
            self.locks.append(lock)
            return lock

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()

    def poke(self) -> None:
        with self._cond:
            self._cond.notify_all()

    @staticmethod
    def me():
        """The calling thread's key, as the graph's locks record their holder and waiters."""
        return caller.thread_key()

    def name_of(self, key) -> str:
        if key is None:
            return "nobody"
        if key == self.main:
            return "the test's main thread"
        return repr(self.names.get(key, f"thread {key[-1]}"))

    # -- what the graph shows -------------------------------------------------------------

    def waiting(self) -> int:
        with self._cond:
            return len(self.waits)

    def forever_waits(self) -> list[tuple[object, WatchedLock]]:
        with self._cond:
            return [(who, lock) for who, (lock, timeout) in self.waits.items() if timeout is None]

    def held_by(self, key) -> list[WatchedLock]:
        with self._cond:
            return [lock for lock in self.locks if lock.holder == key]

    def deadlock(self) -> list[str] | None:
        """Lines describing a cycle of forever-waits, or None if there is none."""
        with self._cond:
            return self._cycle()

    def _cycle(self) -> list[str] | None:
        forever = {who: lock for who, (lock, timeout) in self.waits.items() if timeout is None}
        for start in forever:
            path, who = [], start
            while who in forever and who not in path:
                path.append(who)
                who = forever[who].holder
            if who is not None and who in path:
                cycle = path[path.index(who):]
                return [f"{self.name_of(t)} holds {', '.join(l.label for l in self.locks if l.holder == t)} "
                        f"and waits, with no timeout, for {forever[t].label}"
                        f"{' — which it holds itself' if forever[t].holder == t else ''}"
                        for t in cycle]
        return None

    def wait_until(self, predicate, timeout: float = bounds.HANG) -> bool:
        """Wait until predicate(graph) holds; it is looked at again after every change."""
        with self._cond:
            return stall.wait_for(self._cond, lambda: predicate(self), timeout, "waits on the wait graph")

    # -- running code under test ----------------------------------------------------------

    def start(self, target, *args, name: str, **kwargs) -> Worker:
        """Run target in a daemon worker named ``name``; ``worker.done`` turns True (and waiters wake) when it ends.

        ``worker.key`` is its thread key once it runs (None before).
        """
        def run():
            with self._cond:
                worker.key = caller.thread_key()
                self.names[worker.key] = name
            return target(*args, **kwargs)

        worker = TrackedWorker(self._cond, run, name=name)
        worker.key = None
        return worker.start()

    def settle(self, workers, timeout: float = bounds.HANG, also=lambda graph: False) -> str:
        """Wait until every worker has ended ("done"), a deadlock forms ("deadlock"),
        ``also(graph)`` holds ("also"), or the bound runs out ("hung")."""
        outcome = []

        def settled(graph):
            if all(w.done for w in workers):
                outcome.append("done")
            elif graph._cycle():
                outcome.append("deadlock")
            elif also(graph):
                outcome.append("also")
            return bool(outcome)

        if not self.wait_until(settled, timeout):
            return "hung"
        return outcome[-1]

    def release_all(self) -> None:
        """Free every watched lock, so that threads stuck in a failed test can run out."""
        for lock in list(self.locks):
            try:
                lock.release()
            except RuntimeError:
                pass


class BetweenAcquires:
    """A hook for the gap between a first and a second acquire.

    The first thread to call it stays until a second thread calls it too (both
    now hold their first lock: the bad interleaving is set up) or some thread is
    seen waiting for a watched lock (the first lock excludes it: nothing bad can
    happen). Later calls pass straight through.
    """

    def __init__(self, graph: WaitGraph) -> None:
        self.graph = graph
        self.calls = 0
        self.first_inside = threading.Event()

    def __call__(self) -> None:
        graph = self.graph
        with graph._cond:
            self.calls += 1
            first = self.calls == 1
            graph._cond.notify_all()
        if first:
            self.first_inside.set()
            graph.wait_until(lambda g: self.calls > 1 or bool(g.waits))
