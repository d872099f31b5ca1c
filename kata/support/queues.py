"""Probes for the queues topic: see that a call blocked, then unblock it on purpose.

CPython's test_queue proves that a call blocks with a trigger thread: the
trigger waits a little, sets a flag, then does what should release the
blocked call; the blocked call must come back with the flag set. Waiting "a
little" is luck on a loaded machine, so here the trigger waits for evidence
instead: the blocked thread's innermost Python frame is a Condition wait in
threading.py (Condition.wait, which wait_for and Event.wait also use). A call
that never waits is never seen there and comes back with the flag unset,
every time.
"""
from __future__ import annotations

import collections
import queue
import threading

from kata import bounds, stall
from kata.frames import frame_of
from kata.workers import Worker

_THREADING_FILE = threading.__file__
POLL = 0.001  # how often we look at a thread's stack; nothing else can say it parked


def parked(thread: threading.Thread) -> bool:
    """Whether thread is asleep in threading.Condition.wait right now."""
    frame = frame_of(thread.ident)
    return (frame is not None and frame.f_code.co_filename == _THREADING_FILE
            and frame.f_code.co_name == "wait")


def asleep(thread: threading.Thread) -> bool:
    """Whether thread sleeps in a threading wait or join (not inside Thread.start's short wait)."""
    frame = frame_of(thread.ident)
    if frame is None or frame.f_code.co_filename != _THREADING_FILE or \
            frame.f_code.co_name not in ("wait", "join", "_wait_for_tstate_lock"):
        return False
    while frame is not None:
        if frame.f_code.co_filename == _THREADING_FILE and frame.f_code.co_name == "start":
            return False
        frame = frame.f_back
    return True


def wait_until(predicate, timeout: float = bounds.HANG) -> bool:
    """Look at predicate() every POLL seconds until it holds (True) or timeout runs out (False).

    A kata wait: when nobody else in the test can move, what it looks for can never come, and it
    ends at once (kata.stall.poll_until).
    """
    return stall.poll_until(predicate, timeout, "looks at another thread's stack until it gets somewhere", POLL)


class Triggered:
    """The outcome of a call made to block and then released by a trigger."""

    def __init__(self, worker: Worker, waited: bool, returned_after_trigger: bool | None) -> None:
        self.worker = worker
        self.waited = waited  # seen asleep in a Condition wait before the trigger
        self.returned_after_trigger = returned_after_trigger  # None: still running after the bound
        self.finished = returned_after_trigger is not None

    def outcome(self):
        return self.worker.outcome()


def block_then_trigger(blocking_call, trigger, *, name: str = "blocked",
                       timeout: float = bounds.HANG) -> Triggered:
    """Run blocking_call in a worker; once it sleeps in a Condition wait, run trigger() here.

    The worker notes whether the trigger had fired when its call came back. A call
    that returns (or raises) without ever waiting is never triggered.
    """
    fired = threading.Event()
    seen = {}

    def call():
        try:
            return blocking_call()
        finally:
            seen["after_trigger"] = fired.is_set()

    worker = Worker(call, name=name).start()
    waited = wait_until(lambda: parked(worker.thread) or not worker.thread.is_alive(), timeout) \
        and worker.thread.is_alive()
    if waited:
        fired.set()
        trigger()
    if not worker.finished(timeout):
        return Triggered(worker, waited, None)
    return Triggered(worker, waited, seen.get("after_trigger", False))


class SpyQueue(queue.Queue):
    """A real queue.Queue that records what was done to it, for pipeline tests."""

    def __init__(self, maxsize: int = 0, sentinel=None, after_stop=None) -> None:
        super().__init__(maxsize)
        self.sentinel = sentinel
        self.after_stop = after_stop  # called in a consumer's thread once it has marked its sentinel done
        self._got_last: dict[int, object] = {}  # thread ident -> the item it got last
        self.events: list[tuple[str, object, int]] = []  # (what, item, thread ident)
        self.peak = 0
        self.sentinels_put = 0
        self.task_done_calls = 0
        self.items_put = collections.Counter()

    def _put(self, item) -> None:  # called with the queue's mutex held
        super()._put(item)
        self.peak = max(self.peak, self._qsize())
        if item is self.sentinel:
            self.sentinels_put += 1
        else:
            self.items_put[item] += 1
        self.events.append(("put", item, threading.get_ident()))

    def _get(self):
        item = super()._get()
        self.events.append(("get", item, threading.get_ident()))
        self._got_last[threading.get_ident()] = item
        return item

    def task_done(self) -> None:
        with self.mutex:
            self.task_done_calls += 1
            self.events.append(("task_done", None, threading.get_ident()))
            stopping = self.sentinel is not None and self._got_last.get(threading.get_ident()) is self.sentinel
        super().task_done()
        if stopping and self.after_stop is not None:
            self.after_stop()

    def note(self, what: str, item) -> None:
        with self.mutex:
            self.events.append((what, item, threading.get_ident()))
