"""Probes for the semaphores topic: a Condition that reports who waits on it and who notifies.

Hand ``spy.condition`` to code that builds on a condition factory. The test
then knows for certain that a thread is blocked inside acquire() (it called
wait()), with which timeout, and how many wake-ups release() asked for —
instead of guessing from how long a thread has been quiet.

``Gate`` is the occupancy probe for "at most N, and N really": workers go
through it inside the region a semaphore guards. The first N wait in it until
the proof is in — N inside and another thread seen waiting on the semaphore
(the limit holds), or N + 1 inside (it does not) — so a correct semaphore is
proved at full occupancy without any sleep.
"""
from __future__ import annotations

import threading
import time

from kata import bounds, stall
from kata.workers import TrackedWorker, Worker


class ConditionSpy:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.conditions: list[SpiedCondition] = []
        self.waiting = 0              # threads inside wait() right now
        self.waits: list[float | None] = []  # the timeout of every wait() call
        self.waited_at: list[float] = []  # time.monotonic() when each wait() was called
        self.notified = 0             # wake-ups asked for: notify(n) adds n; notify_all() adds everyone
        self.listeners: list = []     # called, with no lock held, after every change

    def condition(self, lock=None) -> SpiedCondition:
        made = SpiedCondition(self, lock)
        with self._cond:
            self.conditions.append(made)
        return made

    def _changed(self) -> None:
        with self._cond:
            self._cond.notify_all()
        for listener in self.listeners:
            listener()

    def wait_until(self, predicate, timeout: float = bounds.HANG) -> bool:
        with self._cond:
            return stall.wait_for(self._cond, lambda: predicate(self), timeout, "waits on a semaphore probe")

    def poke(self) -> None:
        self._changed()

    def start(self, target, *args, name: str, **kwargs) -> Worker:
        """Run target in a daemon worker; ``worker.done`` turns True (and waiters wake) when it ends."""
        return TrackedWorker(self._cond, target, *args, name=name, **kwargs).start()


class SpiedCondition(threading.Condition):
    """A real threading.Condition that counts its waiters and its notifications."""

    def __init__(self, spy: ConditionSpy, lock=None) -> None:
        super().__init__(lock)
        self._spy = spy

    def wait(self, timeout=None):
        spy = self._spy
        with spy._cond:
            spy.waiting += 1
            spy.waits.append(timeout)
            spy.waited_at.append(time.monotonic())
        spy._changed()
        try:
            return super().wait(timeout)
        finally:
            with spy._cond:
                spy.waiting -= 1
            spy._changed()

    def notify(self, n=1):
        with self._spy._cond:
            self._spy.notified += n
        super().notify(n)
        self._spy._changed()

    def notify_all(self):
        with self._spy._cond:
            self._spy.notified += max(len(self._waiters), 1)
        super().notify_all()
        self._spy._changed()

    notifyAll = notify_all


class Gate:
    """Call ``gate()`` inside the guarded region. Records occupancy; holds the first ``limit`` entrants
    until ``limit`` are inside and a further thread waits on the spied condition, or ``limit + 1`` are in."""

    def __init__(self, limit: int, spy: ConditionSpy, timeout: float = bounds.OVERLAP, timeline=None) -> None:
        self.limit = limit
        self.timeline = timeline  # a kata.timeline.Timeline: who was inside when, for failure messages
        self.spy = spy
        self.timeout = timeout
        self._cond = threading.Condition()
        self.inside = 0
        self.peak = 0
        self.entered: list[str] = []
        self.open = False        # the proof is in (or the wait gave up): everyone passes
        self.gave_up = False
        spy.listeners.append(self._poke)

    def _poke(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _proved(self) -> bool:
        return self.inside > self.limit or (self.inside >= self.limit and self.spy.waiting > 0)

    def __call__(self, name: str | None = None) -> None:
        name = name or threading.current_thread().name
        with self._cond:
            if self.timeline is not None:
                self.timeline.start(name)
            self.inside += 1
            self.peak = max(self.peak, self.inside)
            self.entered.append(name)
            self._cond.notify_all()
            try:
                if not self.open:
                    if stall.wait_for(self._cond, lambda: self.open or self._proved(), self.timeout,
                                      "waits in the gate for the limit to be proven"):
                        self.open = True
                    else:
                        self.open = self.gave_up = True
                    self._cond.notify_all()
            finally:
                self.inside -= 1
                if self.timeline is not None:
                    self.timeline.end(name)
                self._cond.notify_all()
