"""Probes for the events and timers topics: see who waits, and drive time by hand.

Nothing here sleeps. A spied Condition or Event tells the test for certain that
a thread is blocked inside wait(); the fakes (a clock, a stop event that moves
that clock, a scripted event, a gate) let a test play out seconds of schedule
in microseconds, on whatever thread the code under test chooses.
"""
from __future__ import annotations

import threading

from kata import bounds, caller, stall

# A thread that polls is_set() this many times while nobody set the event is
# busy-waiting: a correct waiter calls it once or twice, then blocks in wait().
POLLING = 100

# A loop that waits this many more times on a stop event that is already set
# does not look at what wait() returns: it would never stop.
RUNAWAY = 20


class _Watched:
    """A condition for the test to wait on while code under test changes counters."""

    def __init__(self) -> None:
        self._state = threading.Condition(threading.Lock())

    def _changed(self) -> None:
        with self._state:
            self._state.notify_all()

    def wait_until(self, predicate, timeout: float = bounds.HANG) -> bool:
        with self._state:
            return stall.wait_for(self._state, predicate, timeout, "waits on an event probe")

    def poke(self) -> None:
        """Wake wait_until() so it looks again (at state kept outside the probe)."""
        self._changed()


class ConditionSpy(_Watched):
    """A condition factory whose conditions report waits and notifications.

    The conditions are real (they use a reentrant lock, kata.caller.RLock, and really block); the spy
    counts the threads inside wait() and records every notify call.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conditions: list[SpiedCondition] = []
        self.waiting = 0            # threads inside wait() right now
        self.timeouts: list = []    # the timeout of each wait() call, in call order
        self.notifications: list[str] = []  # "notify(1)", "notify_all()", ...
        self.look = None  # called as each notify begins (the notifier holds the condition): what waiters will find
        self.seen_at_notify: list = []  # what look() returned, one per notify call

    def factory(self, lock=None) -> SpiedCondition:
        condition = SpiedCondition(self, lock)
        with self._state:
            self.conditions.append(condition)
        return condition

    def _entering(self, timeout) -> None:
        with self._state:
            self.waiting += 1
            self.timeouts.append(timeout)
            self._state.notify_all()

    def _leaving(self) -> None:
        with self._state:
            self.waiting -= 1
            self._state.notify_all()

    def _notified(self, what: str) -> None:
        seen = self.look() if self.look is not None else None
        with self._state:
            self.seen_at_notify.append(seen)
            self.notifications.append(what)
            self._state.notify_all()

    def wake_everyone(self) -> None:
        """Clean-up for a failed test: wake every waiter so no helper thread stays blocked."""
        for condition in self.conditions:
            with condition:
                threading.Condition.notify_all(condition)


class SpiedCondition(threading.Condition):
    def __init__(self, spy: ConditionSpy, lock=None) -> None:
        # Reentrant for the calling thread as kata.caller tells it: a test that holds the condition while
        # the code under test (in the sandbox, served by another judge thread) takes it too re-enters it.
        super().__init__(caller.RLock() if lock is None else lock)
        self._spy = spy

    def wait(self, timeout=None):
        # Counted while this thread still holds the lock: once the test can take
        # the lock (by calling set()), every counted waiter is really blocked.
        self._spy._entering(timeout)
        try:
            return super().wait(timeout)
        finally:
            self._spy._leaving()

    def notify(self, n=1):
        self._spy._notified(f"notify({n})")
        super().notify(n)

    def notify_all(self):
        self._spy._notified("notify_all()")
        super().notify_all()


class EventSpy(_Watched):
    """A real event (it really blocks) that counts waiters and is_set() calls, and keeps a history."""

    def __init__(self) -> None:
        super().__init__()
        self._event = threading.Event()
        self.waiting = 0
        self.wait_calls: list = []   # the timeout of each wait() call
        self.polls = 0               # is_set() calls made while the event was clear
        self.history: list[str] = []  # "set" / "clear", in call order

    def is_set(self) -> bool:
        flag = self._event.is_set()
        if not flag:
            with self._state:
                self.polls += 1
                self._state.notify_all()
        return flag

    def set(self) -> None:
        with self._state:
            self.history.append("set")
        self._event.set()
        self._changed()

    def clear(self) -> None:
        with self._state:
            self.history.append("clear")
        self._event.clear()
        self._changed()

    def wait(self, timeout=None) -> bool:
        with self._state:
            self.waiting += 1
            self.wait_calls.append(timeout)
            self._state.notify_all()
        try:
            return self._event.wait(timeout)
        finally:
            with self._state:
                self.waiting -= 1
                self._state.notify_all()

    @property
    def polling(self) -> bool:
        return self.polls >= POLLING


class ScriptedEvent:
    """An event-like fake that never really waits: wait() records its timeout and
    returns at once, False ("timed out") until its ``ready_on``-th call, which sets it."""

    def __init__(self, ready_on: int | None = None, already_set: bool = False) -> None:
        self.ready_on = ready_on
        self.flag = already_set
        self.timeouts: list = []

    def is_set(self) -> bool:
        return self.flag

    def set(self) -> None:
        self.flag = True

    def clear(self) -> None:
        self.flag = False

    def wait(self, timeout=None) -> bool:
        self.timeouts.append(timeout)
        if self.ready_on is not None and len(self.timeouts) >= self.ready_on:
            self.flag = True
        if len(self.timeouts) > 1000:  # a loop that never gives up: stop it, the test reports it
            raise RuntimeError("wait() called more than 1000 times: the loop never gives up")
        return self.flag


class FakeClock:
    """A clock that moves only when told to: pass it where code takes ``clock=``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class SteppingStop(_Watched):
    """A stop event whose wait(seconds) plays the wait out on a FakeClock at once.

    Each wait(t) records t, moves the clock forward by t and returns False
    ("time ran out, nobody stopped me") — until ``steps`` waits have been
    made, or set() was called: then it returns True, as a set stop event does.
    No wait on it ever blocks, so code under test that sleeps for real sleeps
    a sleep it cannot end: the stall detector is told (``name``: what the code
    under test calls it).
    """

    def __init__(self, clock: FakeClock, steps: int, name: str = "stop") -> None:
        super().__init__()
        stall.stop_is_set(name)
        self.clock = clock
        self.steps = steps
        self.flag = False
        self.waits: list = []

    def is_set(self) -> bool:
        return self.flag

    def set(self) -> None:
        self.flag = True
        self._changed()

    def clear(self) -> None:
        self.flag = False

    def wait(self, timeout=None) -> bool:
        with self._state:
            self.waits.append(timeout)
            if self.flag or len(self.waits) > self.steps:
                self.flag = True
            elif timeout is not None:
                self.clock.advance(timeout)
            self._state.notify_all()
        if len(self.waits) > self.steps + RUNAWAY:
            # A loop that ignores what wait() returns would spin for ever: park it.
            # The test has its answer already; only wrong code gets here.
            threading.Event().wait(bounds.HELD)
        return self.flag


class GateEvent(_Watched):
    """An event whose timed wait lasts until the test says time is up.

    wait(t) records t and blocks until the test calls ``time_up()`` (it then
    returns False, as a wait that ran out of time) or someone calls set() (it
    returns True). A bound keeps a forgotten gate from blocking for ever. A
    loop that waits RUNAWAY more times once it is set does not look at what
    wait() returns: it is parked, so that it waits instead of spinning (and
    the stall detector sees at once that the test's wait for it is in vain).
    """

    def __init__(self) -> None:
        super().__init__()
        self.flag = False
        self.opened = False
        self.waiting = 0
        self.timeouts: list = []
        self.waiters: list[int] = []  # the thread of each wait() call, by ident (kata.caller: the same in both modes)
        self.waits_once_set = 0

    def is_set(self) -> bool:
        return self.flag

    def set(self) -> None:
        with self._state:
            self.flag = True
            self._state.notify_all()

    def clear(self) -> None:
        with self._state:
            self.flag = False

    def time_up(self) -> None:
        with self._state:
            self.opened = True
            self._state.notify_all()

    def wait(self, timeout=None) -> bool:
        with self._state:
            self.timeouts.append(timeout)
            self.waiters.append(caller.ident())
            self.waits_once_set += self.flag
            runaway = self.waits_once_set > RUNAWAY
        if runaway:  # a loop that ignores a set event: park it; the test has its answer already
            threading.Event().wait(bounds.HELD)
            return self.flag
        with self._state:
            self.waiting += 1
            self._state.notify_all()
            try:
                stall.wait_for(self._state, lambda: self.flag or self.opened, bounds.HELD,
                               "waits on the test's gate event (until the test says time is up)")
                return self.flag
            finally:
                self.waiting -= 1
                self._state.notify_all()
