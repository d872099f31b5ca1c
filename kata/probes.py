"""Probes that let a test see mechanism instead of timing.

Each probe is called from inside the code under test (as a hook, a piece of
work, or a report function) and records what it saw. None of them raises into
the student's threads: they record, and the test asserts with a message.
"""
from __future__ import annotations

import threading

from kata import bounds, stall


class Rendezvous:
    """Workers that call meet() wait for each other; it trips only if all ``parties`` are in at once."""

    def __init__(self, parties: int, timeout: float = bounds.OVERLAP) -> None:
        self.parties = parties
        self._barrier = threading.Barrier(parties, timeout=timeout)
        self._lock = threading.Lock()
        self.met: list[str] = []
        self.missed: list[str] = []

    def meet(self, name: str | None = None) -> bool:
        name = name or threading.current_thread().name
        try:
            stall.barrier_wait(self._barrier, f"waits at the rendezvous for {self.parties - 1} others")
        except threading.BrokenBarrierError:
            with self._lock:
                self.missed.append(name)
            return False
        with self._lock:
            self.met.append(name)
        return True

    @property
    def tripped(self) -> bool:
        return len(self.met) == self.parties and not self.missed


class Occupancy:
    """Counts who is inside a region right now, and the most there ever were."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.inside = 0
        self.peak = 0
        self.entries = 0
        self.threads: set[int] = set()

    def __enter__(self) -> Occupancy:
        with self._cond:
            self.inside += 1
            self.entries += 1
            self.peak = max(self.peak, self.inside)
            self.threads.add(threading.get_ident())
            self._cond.notify_all()
        return self

    def __exit__(self, *exc) -> None:
        with self._cond:
            self.inside -= 1
            self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = bounds.HANG) -> bool:
        with self._cond:
            return stall.wait_for(self._cond, lambda: predicate(self), timeout, "waits in an occupancy probe")

    def wait_all_left(self, count: int, timeout: float = bounds.HANG) -> bool:
        """Wait until ``count`` entries were made and nobody is inside; True if so.

        After the call under test returns, a test that looks at what its work
        recorded waits here first: work that a missing join() left running then
        ends before the test looks, so what the test sees does not depend on
        whether those threads happened to finish first.
        """
        return self.wait_for(lambda region: region.entries >= count and region.inside == 0, timeout)

    def poke(self) -> None:
        """Wake waiters so they look again at state kept outside this probe."""
        with self._cond:
            self._cond.notify_all()


class LockSpy:
    """A lock factory whose locks report who waits for them.

    Hand ``spy.factory`` to code that makes its locks with a factory. The test
    then knows for certain when a thread is blocked on a held lock, instead of
    guessing from how long it has been quiet.
    """

    def __init__(self) -> None:
        self.locks: list[SpiedLock] = []
        self._cond = threading.Condition()
        self.blocked = 0  # threads waiting right now for a spied lock that someone holds
        self.acquisitions = 0
        self.listeners: list = []  # called (with no lock held) whenever ``blocked`` changes

    def factory(self) -> SpiedLock:
        lock = SpiedLock(self)
        with self._cond:
            self.locks.append(lock)
        return lock

    def _waiting(self, delta: int) -> None:
        with self._cond:
            self.blocked += delta
            self._cond.notify_all()
        for listener in self.listeners:
            listener()

    def _acquired(self) -> None:
        with self._cond:
            self.acquisitions += 1

    def wait_blocked(self, count: int = 1, timeout: float = bounds.HANG) -> bool:
        with self._cond:
            return stall.wait_for(self._cond, lambda: self.blocked >= count, timeout,
                                  f"waits for {count} thread(s) to block on a spied lock")

    def any_held(self) -> bool:
        return any(lock.locked() for lock in self.locks)


class SpiedLock:
    """A real lock (it really excludes) that tells its spy when a thread has to wait."""

    def __init__(self, spy: LockSpy) -> None:
        self._spy = spy
        self._lock = threading.Lock()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(False)
        if not got and blocking and timeout != 0:
            self._spy._waiting(+1)
            try:
                got = self._lock.acquire(True, timeout)
            finally:
                self._spy._waiting(-1)
        if got:
            self._spy._acquired()
        return got

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    __enter__ = acquire

    def __exit__(self, *exc) -> None:
        self.release()


class Window:
    """The gap between a read and its write, held open to force the losing interleaving.

    Pass an instance as the hook that code under test calls between reading and
    writing shared state. The first thread to enter stays inside until a
    second thread either enters too (the bug) or is seen blocked on a spied
    lock (the fix). Without a spy it can only hold the gap for ``bounds.BRIEF``.
    """

    def __init__(self, spy: LockSpy | None = None) -> None:
        self.spy = spy
        self.region = Occupancy()
        self.first_inside = threading.Event()
        if spy is not None:
            spy.listeners.append(self.region.poke)

    def __call__(self) -> None:
        with self.region:
            if not self.first_inside.is_set():
                self.first_inside.set()
                self._hold_open()

    def _hold_open(self) -> None:
        if self.spy is None or not self.spy.locks:
            self.region.wait_for(lambda region: region.peak > 1, timeout=bounds.BRIEF)
        else:
            spy = self.spy
            self.region.wait_for(lambda region: region.peak > 1 or spy.blocked > 0)

    @property
    def overlapped(self) -> bool:
        return self.region.peak > 1


class SleepRecorder:
    """time.sleep() of one named thread recorded instead of slept, with ``random`` seeded meanwhile.

    Other threads sleep as usual. It works in the process where the code under
    test sleeps: the test's own in one process, the sandbox's under --sandbox.
    """

    def __init__(self, thread_name: str, seed: int) -> None:
        import random
        import time

        self._real_sleep, self._state, self.slept = time.sleep, random.getstate(), []
        name = str(thread_name)

        def spy(seconds):
            if threading.current_thread().name == name:
                self.slept.append(float(seconds))
            else:
                self._real_sleep(seconds)

        random.seed(int(seed))
        time.sleep = spy

    def stop(self) -> None:
        """Put time.sleep and the random state back as they were."""
        import random
        import time

        time.sleep = self._real_sleep
        random.setstate(self._state)
