"""A probe for work that must not outlive the call that started it.

Trivial work finishes before anyone looks, so a missing join(), a join of the
last thread only, or a join(timeout) taken as "finished" pass by luck. A
JoinGate takes the luck out: each worker that calls ``hold()`` stays inside
until the code under test is seen waiting in ``Thread.join()`` for that very
thread — or until the test says the call has returned, and then the worker is
recorded as having outlived it.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from kata import bounds, caller, stall
from kata.frames import frame_of, other_threads_frames

_JOIN = threading.Thread.join.__code__
POLL = 0.002  # how often a held worker looks at the other threads' stacks (it wakes at once on return)


def is_inside(thread: threading.Thread, *functions) -> bool:
    """Whether ``thread`` is running one of ``functions`` right now (anywhere in its stack)."""
    codes = {function.__code__ for function in functions}
    frame = frame_of(thread.ident)
    while frame is not None:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


def wait_until(predicate, timeout: float = bounds.HANG) -> bool:
    """Look at predicate() every POLL seconds until it holds (True) or timeout runs out (False)."""
    give_up = time.monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        if time.monotonic() > give_up:
            return predicate()
        pause.wait(POLL)
    return True


def joins_of(ident: int) -> list[tuple[object, bool]]:
    """The Thread.join() calls that wait right now, in any thread, for the thread ``ident``: (frame, timed)."""
    found = []
    for frame in other_threads_frames().values():
        while frame is not None:
            if frame.f_code is _JOIN:
                joined = frame.f_locals.get("self")
                if isinstance(joined, threading.Thread) and joined.ident == ident:
                    found.append((frame, frame.f_locals.get("timeout") is not None))
            frame = frame.f_back
    return found


class JoinGate:
    """Holds each worker until its thread is joined; records who was still held when the call returned.

    A worker is let go by a join() without a timeout, or by a second join() after
    a timed one (a loop that joins again until the thread is done is right); a
    single join(timeout) alone never lets it go, because a timeout that runs out
    is not the end of the thread.
    """

    def __init__(self, hang: float = bounds.HANG) -> None:
        self._hang = hang
        self._returned = threading.Event()
        self._cond = threading.Condition()
        self._held = 0
        self.entered = 0
        self.outlived: list[str] = []     # still held when the call returned
        self.timed_joins: list[str] = []  # of those, joined once with a timeout that ran out
        self.never_joined: list[str] = []  # held for the whole hang bound, and neither joined nor returned
        self.all_left = False  # every expected worker came and left (set by watching())

    def hold(self, name: str | None = None) -> None:
        name = name or caller.thread_name()
        with self._cond:
            self._held += 1
            self.entered += 1
        try:
            self._wait_for_join(name)
        finally:
            with self._cond:
                self._held -= 1
                self._cond.notify_all()

    def _wait_for_join(self, name: str) -> None:
        timed: list = []  # the join() calls with a timeout seen waiting for this thread (their keys)
        give_up = time.monotonic() + self._hang  # a hang bound, not a measurement
        while not self._returned.wait(POLL):
            joins = caller.joins_waiting()
            if any(not with_timeout for _, with_timeout in joins):
                return
            if timed and any(key not in timed for key, _ in joins):
                return
            timed.extend(key for key, _ in joins if key not in timed)
            if time.monotonic() > give_up:
                with self._cond:
                    self.never_joined.append(name)
                return
        with self._cond:
            self.outlived.append(name)
            if timed:
                self.timed_joins.append(name)

    def call_returned(self, workers: int, timeout: float = bounds.HANG) -> bool:
        """Tell the workers the call is over; wait until ``workers`` of them have come and left; True if so.

        (A worker that had not even reached hold() when the call returned counts as outliving it.)
        A kata wait: when nobody can move, no worker is left to come (the call's threads never
        reached hold(), or ended without it), and the wait ends at once.
        """
        self._returned.set()
        with self._cond:
            return stall.wait_for(self._cond, lambda: self.entered >= workers and self._held == 0, timeout,
                                  f"waits for {workers} held worker(s) to come and leave")

    @contextmanager
    def watching(self, workers):
        """Around the call under test: once it returns, let the workers go and wait for ``workers`` of them.

        ``workers`` is a count, or a function that gives it once the call has returned (when only
        then is it known how many tasks came to be held). If the call raised, nobody is waited
        for: the error is the test's verdict.
        """
        try:
            yield self
        except BaseException:
            self.call_returned(workers=0)
            raise
        self.all_left = self.call_returned(workers() if callable(workers) else workers)
