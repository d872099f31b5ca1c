"""Tests for exercises/timers — one group per task in README.md.

No test waits for a timer's delay to pass. A Timer keeps its Event in
``self.finished`` (as threading.Timer does); the tests swap in a GateEvent
whose wait(interval) lasts exactly until the test says "time is up", so
"after the delay" is proved by mechanism: the function has not run while the
timer sat in that wait, and runs once it ends. The repeating timer runs on a
FakeClock; deadlines and back-off plans are arithmetic under freezegun.
"""
import threading

import pytest

from kata import bounds, caller, stall
from kata.boundary import frozen_time, is_a
from kata.seam import topic_fixture
from kata.support.events import FakeClock, GateEvent, SteppingStop
from kata.workers import Worker

timers = topic_fixture("timers")


class Calls:
    """A function for a timer to call: records each call and the thread it ran in (its name and ident)."""

    def __init__(self, gate=None, after=None):
        self.calls = []
        self._gate = gate
        self._after = after
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            self.calls.append((args, kwargs, (caller.thread_name(), caller.ident())))
            count = len(self.calls)
        if self._gate is not None:
            self._gate.poke()
        if self._after is not None:
            self._after(count)

    def __len__(self):
        return len(self.calls)


def gated_timer(timers, calls, interval=0.05, args=None, kwargs=None):
    timer = timers.Timer(interval, calls, args=args, kwargs=kwargs)
    timer.daemon = True  # a broken timer must not keep the test run alive
    gate = GateEvent()
    timer.finished = gate
    return timer, gate


def start_and_see_it_wait(timer, gate, calls, interval):
    """start() from a caller thread; return once the timer sits in finished.wait(), or fail."""
    starter = Worker(timer.start, name="caller").start()
    gate.wait_until(lambda: gate.waiting or len(calls))
    if len(calls):
        pytest.fail(f"Timer({interval}, f) called f before its wait was over (the test had not yet let the "
                    f"{interval} s run out): did the Timer call the function immediately, or wait with "
                    "time.sleep()? Wait with self.finished.wait(self.interval) first, then call",
                    pytrace=False)
    if not gate.waiting:
        pytest.fail(f"{bounds.HANG:g} s after start(), the timer had neither called f nor begun "
                    "self.finished.wait(self.interval): wait on the timer's finished Event", pytrace=False)
    if gate.waiters[0] == starter.thread.ident:
        pytest.fail("the timer waited in the thread that called start(), so start() blocked its caller: "
                    "override run(), not start() — Thread.start() runs run() in the new thread",
                    pytrace=False)
    assert gate.timeouts[0] == interval, (
        f"Timer({interval}, f) waited with self.finished.wait({gate.timeouts[0]!r}); expected the interval, "
        f"{interval}")
    assert starter.finished(), f"start() had not returned {bounds.HANG:g} s later; it must return at once"
    starter.outcome()


def joined(timer):
    return stall.join(timer, bounds.HANG, f"waits for the timer {timer.name!r} to end")


# -- task 1: a timer runs its function once, later, in its own thread ----------------------

@pytest.mark.task(1)
def test_a_timer_is_a_thread_that_keeps_its_interval_function_and_finished_event(timers):
    def f():
        return None

    timer = timers.Timer(2.5, f)
    try:
        timer.name
    except (AssertionError, RuntimeError) as exc:
        pytest.fail(f"Timer(2.5, f).name raised {type(exc).__name__}: {exc}. A Thread subclass that defines "
                    "__init__ must call super().__init__() first, so that threading.Thread can set itself up",
                    pytrace=False)
    assert is_a(timer, threading.Thread), (
        f"Timer(...) made a {type(timer).__name__}; expected a threading.Thread subclass: "
        "class Timer(threading.Thread), with super().__init__() in __init__")
    assert timer.interval == 2.5 and timer.function is f, (
        "Timer(2.5, f) should keep self.interval = 2.5 and self.function = f")
    for method in ("set", "is_set", "wait"):
        assert callable(getattr(timer.finished, method, None)), (
            f"Timer().finished is {timer.finished!r}; expected a threading.Event (self.finished = threading.Event())")
    assert not timer.is_alive(), "Timer(...) must not start by itself: the caller calls start()"


@pytest.mark.task(1)
def test_the_function_runs_only_after_the_wait_and_in_the_timer_thread(timers):
    calls = Calls()
    timer, gate = gated_timer(timers, calls)
    calls._gate = gate
    start_and_see_it_wait(timer, gate, calls, 0.05)
    assert len(calls) == 0, "the timer called f while it was still waiting"
    gate.time_up()
    assert joined(timer), f"the timer thread was still running {bounds.HANG:g} s after its wait ended"
    assert len(calls) == 1, f"after its wait ran out the timer called f {len(calls)} times; expected once"
    (_, _, (name, ident)), = calls.calls
    assert ident == timer.ident, (
        f"f ran in thread {name!r}; expected the timer's own thread ({timer.name!r}): call it from run()")
    assert gate.is_set(), (
        "the timer called f and its thread ended, but self.finished was never set: set it as run() ends, "
        "as threading.Timer does, so that finished tells anyone who waits on it that the timer is done")


@pytest.mark.task(1)
def test_the_function_gets_its_args_and_kwargs(timers):
    calls = Calls()
    timer = timers.Timer(0.0, calls, args=(1, "two"), kwargs={"three": 3})
    timer.daemon = True
    timer.start()
    assert joined(timer), f"Timer(0.0, f, ...) was still running {bounds.HANG:g} s after start()"
    got = [(args, kwargs) for args, kwargs, _ in calls.calls]
    expected = [((1, "two"), {"three": 3})]
    assert got == expected, (
        f"Timer(0.0, f, args=(1, 'two'), kwargs={{'three': 3}}) called f with {got} (args, kwargs); expected "
        f"{expected}: call self.function(*self.args, **self.kwargs)")


@pytest.mark.task(1)
def test_without_args_the_function_is_called_with_none(timers):
    calls = Calls()
    timer = timers.Timer(0.0, calls)
    timer.daemon = True
    timer.start()
    assert joined(timer), f"Timer(0.0, f) was still running {bounds.HANG:g} s after start()"
    got = [(args, kwargs) for args, kwargs, _ in calls.calls]
    assert got == [((), {})], (
        f"Timer(0.0, f) called f with {got} (args, kwargs); expected one call with no arguments: "
        "default args to () or [] and kwargs to {} when they are None")


# -- task 2: cancel ---------------------------------------------------------------

@pytest.mark.task(2)
def test_cancel_while_the_timer_waits_means_it_never_runs(timers):
    calls = Calls()
    timer, gate = gated_timer(timers, calls)
    calls._gate = gate
    start_and_see_it_wait(timer, gate, calls, 0.05)
    timer.cancel()
    assert joined(timer), (
        f"cancel() while the timer waited: its thread was still running {bounds.HANG:g} s later: cancel() "
        "must set self.finished, which ends the wait at once")
    assert len(calls) == 0, (
        f"cancel() while the timer waited, yet f ran {len(calls)} time(s): the cancel doesn't stop a pending "
        "timer — after the wait, call f only if self.finished is not set")


@pytest.mark.task(2)
def test_cancel_before_start_means_it_never_runs(timers):
    calls = Calls()
    timer = timers.Timer(0.01, calls)
    timer.daemon = True
    timer.cancel()
    timer.start()
    assert joined(timer), f"a timer cancelled before start() was still running {bounds.HANG:g} s after start()"
    assert len(calls) == 0, (
        f"cancel() before start(), yet f ran {len(calls)} time(s): the cancel doesn't stop a pending timer — "
        "check self.finished.is_set() after the wait")


@pytest.mark.task(2)
def test_cancel_after_the_timer_fired_is_harmless(timers):
    calls = Calls()
    timer = timers.Timer(0.0, calls)
    timer.daemon = True
    timer.start()
    assert joined(timer), f"Timer(0.0, f) was still running {bounds.HANG:g} s after start()"
    timer.cancel()
    timer.cancel()
    assert len(calls) == 1, f"a timer that fired, then was cancelled twice, called f {len(calls)} times; expected once"


# -- task 3: a repeating timer ----------------------------------------------------------

def repeating(timers, calls, interval, clock=None, **extra):
    timer = timers.RepeatingTimer(interval, calls, clock=clock, **extra)
    timer.daemon = True
    return timer


@pytest.mark.task(3)
def test_a_repeating_timer_keeps_to_its_ticks_however_long_each_call_takes(timers):
    clock = FakeClock()
    calls = Calls(after=lambda count: clock.advance(0.3))  # each call "takes" 0.3 s
    timer = repeating(timers, calls, 1.0, clock=clock, args=("tick",))
    stop = SteppingStop(clock, steps=3, name="finished")
    timer.finished = stop
    timer.start()
    if not joined(timer) and len(calls) > 3:
        pytest.fail(f"finished was set after 3 ticks, but the timer went on calling f ({len(calls)} calls so "
                    "far): a repeating timer that never stops — end the loop when self.finished.wait() "
                    "returns True", pytrace=False)
    assert not timer.is_alive(), f"the repeating timer was still running {bounds.HANG:g} s after finished was set"
    assert len(calls) == 3, (
        f"finished was set after 3 ticks; f was called {len(calls)} times; expected 3")
    assert [args for args, _, _ in calls.calls] == [("tick",)] * 3, f"f got {calls.calls}; expected ('tick',) each time"
    waits = [round(w, 6) if w is not None else None for w in stop.waits]
    assert waits[:4] == [1.0, 0.7, 0.7, 0.7], (
        f"RepeatingTimer(1.0, f) whose calls take 0.3 s waited {waits}; expected [1.0, 0.7, 0.7, 0.7] "
        "(ticks at 1, 2, 3, ... s from the start)"
        + (": the timer drifts — each wait of a full interval starts only after the call ended; wait until "
           "the next tick by the clock: due - clock()" if waits[1:2] == [1.0] else "")
        + (": the first call came at once, not one interval after start() — the first tick is due at "
           "clock() + interval" if waits[:1] == [0.0] else ""))


@pytest.mark.task(3)
def test_a_repeating_timer_stops_when_its_function_cancels_it(timers):
    timer = None
    parked = threading.Event()

    def after(count):
        if count == 3:
            timer.cancel()
        if count > 3 + 20:
            parked.wait(bounds.HELD)  # a timer that never stops: hold it here, not spinning

    calls = Calls(after=after)
    timer = repeating(timers, calls, 0.001)
    timer.start()
    stopped = joined(timer)
    assert len(calls) == 3 and stopped, (
        f"f called cancel() on its 3rd call; the timer called f {len(calls)} times "
        f"{'and stopped' if stopped else 'and was still running'}; expected 3 calls and a stop: "
        "a repeating timer that never stops — loop only while self.finished.wait(...) returns False")


@pytest.mark.task(3)
def test_cancel_while_a_repeating_timer_waits_stops_it(timers):
    calls = Calls()
    timer = repeating(timers, calls, 0.05)
    gate = GateEvent()
    calls._gate = gate
    timer.finished = gate
    timer.start()
    gate.wait_until(lambda: gate.waiting or len(calls))
    assert gate.waiting and len(calls) == 0, (
        "a new RepeatingTimer(0.05, f) should first wait on self.finished; it "
        + ("called f before waiting" if len(calls) else f"did not begin waiting within {bounds.HANG:g} s"))
    timer.cancel()
    assert joined(timer), (
        "cancel() while the repeating timer waited; it was still running when the test stopped waiting for it "
        "to end")
    assert len(calls) == 0, f"cancel() before the first tick, yet f ran {len(calls)} time(s)"


# -- task 4: deadlines and back-off plans -------------------------------------------

@pytest.mark.task(4)
def test_a_deadline_counts_down_with_the_clock_under_freezegun(timers):
    with frozen_time("2024-05-01 08:00:00") as frozen:
        deadline = timers.Deadline(2.0)
        seen = [(deadline.remaining(), deadline.expired())]
        for step in (1.5, 0.5, 1.0):
            frozen.tick(step)
            seen.append((deadline.remaining(), deadline.expired()))
    expected = [(2.0, False), (0.5, False), (0.0, True), (0.0, True)]
    rounded = [(round(left, 6), done) for left, done in seen]
    assert rounded == expected, (
        f"Deadline(2.0) under freezegun at 0, 1.5, 2 and 3 s: (remaining(), expired()) were {rounded}; expected "
        f"{expected}"
        + (": the deadline never saw the frozen clock move — a default argument clock=time.monotonic is bound "
           "once, when the def runs; take clock=None and pick time.monotonic inside __init__"
           if rounded[1][0] != 0.5 and rounded[1][0] > 1.9 else "")
        + (": remaining() went below zero — it is 0.0 once the deadline has passed, never negative"
           if any(left < 0 for left, _ in rounded) else "")
        + (": at the deadline itself expired() said False — the deadline has come when clock() reaches it: "
           "compare with >=, not >" if rounded[2] == (0.0, False) else ""))


@pytest.mark.task(4)
def test_a_deadline_reads_an_injected_clock(timers):
    clock = FakeClock()
    deadline = timers.Deadline(5.0, clock=clock)
    clock.advance(3.0)
    assert deadline.remaining() == pytest.approx(2.0) and not deadline.expired(), (
        f"Deadline(5.0, clock=c), 3 s later by c: remaining()={deadline.remaining()!r}, "
        f"expired()={deadline.expired()!r}; expected 2.0, False — read time from the clock passed in")


@pytest.mark.task(4)
def test_backoff_delays_grow_by_the_factor_up_to_the_cap(timers):
    deadline = timers.Deadline(20.0, clock=FakeClock())
    delays = timers.backoff_delays(1.0, 2.0, 5.0, deadline)
    expected = [1.0, 2.0, 4.0, 5.0, 5.0, 3.0]
    assert delays == pytest.approx(expected), (
        f"backoff_delays(base=1, factor=2, cap=5) with 20 s left returned {delays}; expected {expected}"
        + (": a delay went over the cap — backoff ignores the cap: min(delay, cap)"
           if any(d > 5.0 for d in delays) else "")
        + (f": they add up to {sum(delays):g} s, past the deadline — the back-off overruns the deadline: cut "
           "the last delay to what is left" if sum(delays) > 20.0 + 1e-9 else "")
        + (f": they add up to {sum(delays):g} s and stop short of the deadline — the last wait is not dropped "
           "but cut short to end exactly on it: min(delay, cap, budget - total)"
           if delays and delays[0] == 1.0 and sum(delays) < 20.0 - 1e-9 else "")
        + (": the first wait is base itself, then base * factor, ... — grow the delay after each wait"
           if delays[:1] == [pytest.approx(2.0)] else ""))


@pytest.mark.task(4)
def test_backoff_delays_fit_in_what_is_left_under_freezegun(timers):
    with frozen_time("2024-05-01 08:00:00") as frozen:
        deadline = timers.Deadline(20.0)
        frozen.tick(12.0)
        later = timers.backoff_delays(1.0, 2.0, 5.0, deadline)
        frozen.tick(8.0)
        expired = timers.backoff_delays(1.0, 2.0, 5.0, deadline)
    assert later == pytest.approx([1.0, 2.0, 4.0, 1.0]), (
        f"Deadline(20) and 12 s later, backoff_delays(1, 2, 5, deadline) returned {later}; expected "
        "[1, 2, 4, 1]: the plan fits in deadline.remaining() now, the last delay cut short"
        + (": the back-off overruns the deadline" if sum(later) > 8.0 + 1e-9 else ""))
    assert expired == [], f"with the deadline passed, backoff_delays() returned {expired}; expected []"
