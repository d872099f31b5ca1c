"""Tests for exercises/events — one group per task in README.md.

Nothing here sleeps or times anything. A spied Condition (task 1) and a spied
Event (task 2) tell the test for certain that a thread is blocked in wait();
the retry client (task 3) and the light (task 5) get fake events that play
their waits out at once; the schedule (task 4) is plain arithmetic on a clock
that freezegun stops and moves.
"""
import threading

import pytest

from kata import bounds, caller, stall
from kata.boundary import frozen_time, is_a
from kata.seam import topic_fixture
from kata.support.events import ConditionSpy, EventSpy, FakeClock, ScriptedEvent, SteppingStop
from kata.workers import Worker, run_bounded

events = topic_fixture("events")

CARS = ("ana", "ben", "chen")
WAITERS = 4


@pytest.fixture
def condition_spy():
    spy = ConditionSpy()
    yield spy
    spy.wake_everyone()  # a failed test must not leave helper threads blocked


@pytest.fixture
def new_event(events, condition_spy):
    """Makes the test's event on the spy's condition; sets it as the test ends, so that no waiter of a
    failed test waits on (one that polls the flag would poll for the rest of the run)."""
    made = []

    def make():
        event = events.Event(condition_factory=condition_spy.factory)
        count = len(condition_spy.conditions)
        assert count, ("Event(condition_factory=f) never called f(): the test needs condition_factory to see the "
                       "condition — self._cond = condition_factory(), not threading.Condition() directly")
        assert count == 1, (
            f"Event(condition_factory=f) called f() {count} times; expected exactly once, in __init__: "
            "self._cond = condition_factory()")
        made.append(event)
        return event

    yield make
    for event in made:
        Worker(event.set, name="set() as the test ends").start().finished()


def start_waiters(event, count, timeout=None):
    args = () if timeout is None else (timeout,)
    return [Worker(event.wait, *args, name=f"waiter-{i}").start() for i in range(count)]


def expect_blocked_in_the_condition(spy, workers, what):
    """Wait until every worker is inside the condition's wait(), or fail saying what it did instead."""
    count = len(workers)
    spy.wait_until(lambda: spy.waiting >= count or any(not w.thread.is_alive() for w in workers))
    returned = [w for w in workers if not w.thread.is_alive()]
    if returned:
        worker = returned[0]
        worker.finished(0)
        outcome = repr(worker.error) if worker.error else repr(worker.result)
        pytest.fail(f"{what}: a waiter returned {outcome} although nobody had called set(); "
                    "expected it to block until set()", pytrace=False)
    if spy.waiting < count:
        pytest.fail(f"{what}: only {spy.waiting} of {count} waiters were blocked in the condition's "
                    f"wait(){stall.waited(bounds.HANG)}: wait() must block on self._cond.wait(), not poll is_set() "
                    "in a loop (busy-polling)", pytrace=False)


# -- task 1: an Event built from a Condition ------------------------------------------

@pytest.mark.task(1)
def test_a_new_event_is_clear_and_set_and_clear_flip_it(events):
    event = events.Event()
    assert event.is_set() is False, f"Event().is_set() returned {event.is_set()!r}; expected False"
    event.set()
    event.set()
    assert event.is_set() is True, f"after set() twice, is_set() returned {event.is_set()!r}; expected True"
    event.clear()
    event.clear()
    assert event.is_set() is False, f"after clear() twice, is_set() returned {event.is_set()!r}; expected False"


@pytest.mark.task(1)
def test_wait_on_a_set_event_returns_true_at_once(new_event, condition_spy):
    event = new_event()
    event.set()
    result = run_bounded(event.wait, what="wait() on an event that is already set")
    assert result is True, f"set(), then wait() returned {result!r}; expected True"
    assert not condition_spy.timeouts, (
        "wait() on an event that was already set still waited on the condition: check the flag first "
        "and return True without waiting")


@pytest.mark.task(1)
def test_waiters_block_until_set_then_every_one_wakes(new_event, condition_spy):
    event = new_event()
    waiters = start_waiters(event, WAITERS)
    expect_blocked_in_the_condition(condition_spy, waiters, f"{WAITERS} threads called wait()")
    condition_spy.look = event.is_set
    event.set()
    notes = list(condition_spy.notifications)
    if not notes:
        pytest.fail(f"{WAITERS} threads were blocked in wait(); set() changed the flag but called neither "
                    "notify() nor notify_all(): the waiters sleep on — is notify_all() missing in set()?",
                    pytrace=False)
    if "notify_all()" not in notes:
        pytest.fail(f"{WAITERS} threads were blocked in wait(); set() called {', '.join(notes)}, which wakes "
                    "fewer than all of them: use notify_all() in set(), every waiter must wake", pytrace=False)
    stuck = [w.thread.name for w in waiters if not w.finished()]
    assert not stuck, f"after set(), {stuck} were still waiting {bounds.HANG:g} s later; expected every waiter to wake"
    assert all(condition_spy.seen_at_notify), (
        f"set() called {', '.join(notes)} while is_set() was still False: it woke the waiters before it set "
        "the flag, so a woken waiter can find the event clear — set the flag first, then notify, both inside "
        "the with-block")
    results = [w.outcome() for w in waiters]
    assert results == [True] * WAITERS, f"after set(), the waiters' wait() returned {results}; expected all True"


@pytest.mark.task(1)
def test_wait_with_a_timeout_gives_up_and_returns_false(new_event, condition_spy):
    event = new_event()
    waiter = Worker(event.wait, 0.01, name="waiter").start()
    condition_spy.wait_until(lambda: condition_spy.timeouts or not waiter.thread.is_alive())
    if condition_spy.timeouts and condition_spy.timeouts[0] is None:
        pytest.fail("wait(0.01) waited on the condition with no timeout: pass it on, "
                    "self._cond.wait(timeout) — otherwise wait(0.01) on a clear event blocks forever",
                    pytrace=False)
    assert waiter.finished(), f"wait(0.01) on a clear event was still waiting{stall.waited(bounds.HANG)}"
    result = waiter.outcome()
    assert result is False, (
        f"wait(0.01) on an event nobody set returned {result!r}; expected False: return what the condition's "
        "wait() returned (False when the time ran out), or the flag, never a fixed True")


@pytest.mark.task(1)
def test_wait_with_a_timeout_returns_true_when_set_in_time(new_event, condition_spy):
    event = new_event()
    waiters = start_waiters(event, 2, timeout=bounds.HELD)
    expect_blocked_in_the_condition(condition_spy, waiters, f"2 threads called wait({bounds.HELD:g})")
    event.set()
    assert all(w.finished() for w in waiters), f"after set(), a wait(timeout) was still blocked {bounds.HANG:g} s later"
    results = [w.outcome() for w in waiters]
    assert results == [True, True], (
        f"set() while 2 threads were in wait(timeout); they returned {results}; expected True")


@pytest.mark.task(1)
def test_wait_returns_true_even_if_cleared_before_the_waiter_wakes(new_event, condition_spy):
    event = new_event()
    waiters = start_waiters(event, 2, timeout=bounds.HELD)
    expect_blocked_in_the_condition(condition_spy, waiters, "2 threads called wait(timeout)")
    condition = condition_spy.conditions[0]
    with condition:  # the waiters cannot wake before both calls are done
        event.set()
        event.clear()
    assert all(w.finished() for w in waiters), (
        f"set() then clear() at once, while 2 threads waited: they were still waiting {bounds.HANG:g} s later: "
        "a waiter woken by set() must return True, not look at the flag again and go back to sleep "
        "(wait_for(lambda: self._flag) does that)")
    results = [w.outcome() for w in waiters]
    assert results == [True, True], (
        f"set() then clear() at once, while 2 threads waited: their wait() returned {results}; expected True: "
        "return what self._cond.wait(timeout) returned (True: woken by set()), not the flag, "
        "which clear() has already turned off")


# -- task 2: cars wait for green ------------------------------------------------

def cars_through(events, green):
    crossed = []
    lock = threading.Lock()

    def cross(name):
        with lock:
            crossed.append((name, caller.thread_name(), caller.thread_key()))
        green.poke()

    threads = run_bounded(events.start_cars, CARS, green, cross,
                          what="start_cars() (the light is red, so the cars are still waiting)",
                          hint=": did it join the cars before returning? They wait for green, which nobody can "
                               "set until start_cars() has returned — start every car and return the threads")
    assert isinstance(threads, list) and len(threads) == len(CARS) and all(
        is_a(t, threading.Thread) for t in threads), (
        f"start_cars({CARS}, ...) returned {threads!r}; expected a list of {len(CARS)} started threads")
    unstarted = [t.name for t in threads if t.ident is None]
    assert not unstarted, (
        f"start_cars() returned the threads {unstarted} without starting them: call start() on each car's "
        "thread before returning")
    return threads, crossed


def join_all(threads):
    for thread in threads:
        stall.join(thread, bounds.HANG, f"waits for the car {thread.name!r} to end")
    return [t.name for t in threads if t.is_alive()]


@pytest.mark.task(2)
def test_cars_wait_while_red_and_all_cross_on_green(events):
    green = EventSpy()
    threads, crossed = [], []
    try:
        threads, crossed = cars_through(events, green)
        green.wait_until(lambda: green.waiting >= len(CARS) or crossed or green.polling)
        if crossed:
            pytest.fail(f"car {crossed[0][0]!r} crossed while the light was red (nobody had set green): "
                        "call green.wait() before cross(name)", pytrace=False)
        if green.polling:
            pytest.fail(f"the cars called green.is_set() {green.polls} times while the light was red, and "
                        "never blocked in green.wait(): that is busy-polling is_set(); wait with green.wait() "
                        "instead", pytrace=False)
        assert green.waiting >= len(CARS), (
            f"only {green.waiting} of {len(CARS)} cars were waiting in green.wait(){stall.waited(bounds.HANG)}; "
            "expected every car to block there while the light is red")
    finally:
        green.set()
        stuck = join_all(threads)
    assert not stuck, f"cars {stuck} were still waiting {bounds.HANG:g} s after the light turned green"
    names = sorted(name for name, _, _ in crossed)
    assert names == sorted(CARS), (
        f"after green, the cars that crossed were {names}; expected each car once: {sorted(CARS)}")


@pytest.mark.task(2)
def test_each_car_drives_in_its_own_thread_named_after_it(events):
    green = EventSpy()
    green.set()
    threads, crossed = cars_through(events, green)
    stuck = join_all(threads)
    assert not stuck, f"cars {stuck} did not cross within {bounds.HANG:g} s of a green light"
    wrong = {name: thread_name for name, thread_name, _ in crossed if thread_name != name}
    assert not wrong, (f"car -> thread it crossed in: {wrong}; expected each car in a thread named after it: "
                       "threading.Thread(target=..., args=(name,), name=name)")
    threads_used = {thread for _, _, thread in crossed}
    assert len(threads_used) == len(CARS), (
        f"{len(CARS)} cars crossed in {len(threads_used)} threads; expected one thread per car")


# -- task 3: a client that retries, then gives up ----------------------------------------

@pytest.mark.task(3)
def test_connect_returns_at_once_when_the_server_is_ready(events):
    ready = ScriptedEvent(already_set=True)
    run_bounded(events.connect, ready, 3, 0.5, what="connect() with ready already set")
    assert ready.timeouts == [], (
        f"ready was set before connect() began, yet it called ready.wait() {len(ready.timeouts)} times; "
        "expected no wait at all: check ready.is_set() first")


@pytest.mark.task(3)
def test_connect_tries_again_until_ready_is_set(events):
    ready = ScriptedEvent(ready_on=2)
    run_bounded(events.connect, ready, 3, 0.5, what="connect(ready, attempts=3, timeout=0.5)")
    assert None not in ready.timeouts, (
        f"connect() called ready.wait() with timeouts {ready.timeouts}: a wait() without a timeout in the "
        "retry client waits forever when the server never comes — pass timeout each time")
    assert ready.timeouts == [0.5, 0.5], (
        f"the server became ready during the 2nd wait; connect() waited with timeouts {ready.timeouts}; "
        "expected [0.5, 0.5]: stop as soon as ready is set")


@pytest.mark.task(3)
@pytest.mark.parametrize("attempts", [1, 3, 5])
def test_connect_gives_up_with_connection_error_after_n_tries(events, attempts):
    ready = ScriptedEvent(ready_on=None)
    try:
        run_bounded(events.connect, ready, attempts, 0.25,
                    what=f"connect(ready, attempts={attempts}) with a server that never comes")
    except ConnectionError:
        pass
    except NotImplementedError:
        raise
    except Exception as exc:
        pytest.fail(f"connect(ready, attempts={attempts}) with a server that never comes raised "
                    f"{type(exc).__name__}: {exc}; expected ConnectionError", pytrace=False)
    else:
        pytest.fail(f"connect(ready, attempts={attempts}) with a server that never comes returned after "
                    f"{len(ready.timeouts)} waits; expected it to give up with ConnectionError", pytrace=False)
    assert None not in ready.timeouts, (
        f"connect() called ready.wait() with timeouts {ready.timeouts}: a wait() without a timeout in the "
        "retry client waits forever when the server never comes — pass timeout each time")
    made = len(ready.timeouts)
    assert made == attempts, (
        f"connect(ready, attempts={attempts}) waited {made} times before giving up; expected exactly "
        f"{attempts} tries: is the retry count off by one?")
    assert ready.timeouts == [0.25] * attempts, f"waits had timeouts {ready.timeouts}; expected 0.25 each"



@pytest.mark.task(3)
def test_connect_left_to_its_defaults_tries_3_times_half_a_second_each(events):
    ready = ScriptedEvent(ready_on=None)
    try:
        run_bounded(events.connect, ready, what="connect(ready) with a server that never comes")
    except ConnectionError:
        pass
    assert ready.timeouts == [0.5] * 3, (
        f"connect(ready) with attempts and timeout left out waited with timeouts {ready.timeouts}; expected the "
        "defaults in its signature: 3 tries of 0.5 s each")


@pytest.mark.task(3)
def test_clients_in_threads_connect_once_a_checker_sets_ready(events):
    ready = threading.Event()
    clients = [Worker(events.connect, ready, attempts=3, timeout=bounds.HANG, name=f"client-{i}").start()
               for i in range(2)]
    checker = Worker(ready.set, name="checker").start()
    checker.finished()
    for client in clients:
        assert client.finished(bounds.HANG * 2), "a client was still trying to connect after ready was set"
        client.outcome()  # re-raises a ConnectionError here


# -- task 4: the light's schedule --------------------------------------------------

@pytest.mark.task(4)
@pytest.mark.parametrize("elapsed, expected", [
    (0, "red"), (9.999, "red"), (10, "green"), (29.999, "green"), (30, "red"), (39.5, "red"),
    (40, "green"), (3 * 30 + 10, "green"),
])
def test_the_schedule_is_red_for_10_s_then_green_for_20_s_round_and_round(events, elapsed, expected):
    schedule = events.LightSchedule(red=10, green=20, clock=FakeClock())
    state = schedule.state_at(elapsed)
    assert state == expected, (
        f"LightSchedule(red=10, green=20).state_at({elapsed}) returned {state!r}; expected {expected!r}"
        + (": the cycle is 30 s long and starts again with red — use elapsed % (red + green)"
           if elapsed >= 30 else "")
        + (": green begins at exactly 10 s — compare with <, not <=" if elapsed in (10, 40) else ""))


@pytest.mark.task(4)
def test_the_schedule_left_to_its_defaults_is_red_for_10_s_then_green_for_20_s(events):
    schedule = events.LightSchedule(clock=FakeClock())
    seen = [schedule.state_at(elapsed) for elapsed in (9.5, 10.5, 29.5, 30.5)]
    assert seen == ["red", "green", "green", "red"], (
        f"LightSchedule() at 9.5, 10.5, 29.5 and 30.5 s was {seen}; expected red, green, green, red: the "
        "defaults in its signature are red=10.0, green=20.0")


@pytest.mark.task(4)
def test_the_schedule_works_for_any_lengths_of_red_and_green(events):
    schedule = events.LightSchedule(red=3, green=5, clock=FakeClock())  # a cycle of 8 s
    seen = [(elapsed, schedule.state_at(elapsed), schedule.seconds_to_change(elapsed)) for elapsed in (2, 3, 10, 15)]
    expected = [(2, "red", 1), (3, "green", 5), (10, "red", 1), (15, "green", 1)]
    assert [(e, state, pytest.approx(left)) for e, state, left in expected] == seen, (
        f"LightSchedule(red=3, green=5): (elapsed, state_at, seconds_to_change) gave {seen}; expected {expected}: "
        "the cycle is red + green seconds long (8 here) — elapsed % (self.red + self.green)")


@pytest.mark.task(4)
@pytest.mark.parametrize("elapsed, expected", [(0, 10), (4, 6), (10, 20), (25, 5), (30, 10), (61, 9)])
def test_seconds_to_change_counts_down_to_the_next_colour(events, elapsed, expected):
    schedule = events.LightSchedule(red=10, green=20, clock=FakeClock())
    left = schedule.seconds_to_change(elapsed)
    assert left == pytest.approx(expected), (
        f"LightSchedule(red=10, green=20).seconds_to_change({elapsed}) returned {left!r}; expected {expected}")


@pytest.mark.task(4)
def test_the_schedule_follows_its_clock_under_freezegun(events):
    with frozen_time("2024-05-01 08:00:00") as frozen:
        schedule = events.LightSchedule(red=10, green=20)
        seen = [schedule.state()]
        for step in (9.5, 0.5, 19.5, 0.5, 10):
            frozen.tick(step)
            seen.append(schedule.state())
    expected = ["red", "red", "green", "green", "red", "green"]
    assert seen == expected, (
        f"under freezegun, at 0, 9.5, 10, 29.5, 30 and 40 s the light was {seen}; expected {expected}"
        + (": the schedule never saw the frozen clock move — a default argument clock=time.monotonic is "
           "bound once, when the def runs; take clock=None and pick time.monotonic inside __init__"
           if len(set(seen)) == 1 else ""))


@pytest.mark.task(4)
def test_the_schedule_reads_an_injected_clock(events):
    clock = FakeClock()
    schedule = events.LightSchedule(red=10, green=20, clock=clock)
    assert schedule.elapsed() == 0 and schedule.state() == "red", (
        f"a new LightSchedule says elapsed()={schedule.elapsed()!r}, state()={schedule.state()!r}; expected 0, 'red'")
    clock.advance(12)
    assert schedule.elapsed() == pytest.approx(12) and schedule.state() == "green", (
        f"12 s later by its clock: elapsed()={schedule.elapsed()!r}, state()={schedule.state()!r}; expected 12, "
        "'green' — read time from the clock passed in")
    clock.advance(2000)  # far past the clock's own reading when the schedule began
    assert schedule.elapsed() == pytest.approx(2012), (
        f"2012 s after it began by its clock, elapsed()={schedule.elapsed()!r}; expected 2012: elapsed is the "
        "clock now minus the clock when the schedule began (self._clock() - self.started)")


# -- task 5: the light thread -------------------------------------------------------

def run_light_for(events, steps):
    clock = FakeClock()
    schedule = events.LightSchedule(red=10, green=20, clock=clock)
    green = EventSpy()
    stop = SteppingStop(clock, steps=steps)
    seen = []
    original_wait = stop.wait

    def wait_and_look(timeout=None):
        seen.append(green._event.is_set())
        return original_wait(timeout)

    stop.wait = wait_and_look
    worker = Worker(events.run_light, green, schedule, stop, name="light").start()
    if not worker.finished():
        later = "when the kata saw why (below)" if worker.spun or worker.stalled else f"{bounds.HANG:g} s later"
        pytest.fail(f"run_light() with a stop event that is set after {steps} waits was still running "
                    f"{later}: wait between changes with stop.wait(seconds) and return when it "
                    "returns True — time.sleep() cannot be interrupted by stop", pytrace=False)
    worker.outcome()
    return green, stop, seen


@pytest.mark.task(5)
def test_the_light_sets_green_and_clears_it_on_schedule(events):
    green, stop, seen = run_light_for(events, steps=4)
    expected = [False, True, False, True]
    assert seen[:4] == expected, (
        f"run_light() with red=10, green=20: green.is_set() at each change was {seen}; expected {expected}"
        + (": the light never cleared green when it turned red — is clear() never called? call green.clear() on red"
           if "clear" not in green.history else ""))


@pytest.mark.task(5)
def test_the_light_waits_on_stop_exactly_until_the_next_change(events):
    _, stop, _ = run_light_for(events, steps=4)
    assert stop.waits[:4] == [10, 20, 10, 20], (
        f"run_light() with red=10, green=20 called stop.wait() with {stop.waits}; expected [10, 20, 10, 20, ...]: "
        "wait on stop.wait(schedule.seconds_to_change(elapsed)) between changes")


@pytest.mark.task(5)
def test_a_light_that_starts_mid_phase_waits_only_until_the_next_change(events):
    clock = FakeClock()
    schedule = events.LightSchedule(red=10, green=20, clock=clock)
    clock.advance(4)  # the light thread begins 4 s into the first red phase
    stop = SteppingStop(clock, steps=3)
    run_bounded(events.run_light, EventSpy(), schedule, stop, what="run_light() with a stop set after 3 waits")
    assert stop.waits[:3] == [6, 20, 10], (
        f"run_light() begun 4 s into red=10, green=20 called stop.wait() with {stop.waits}; expected [6, 20, 10]: "
        "a wait of a whole phase from wherever the light is now lands past the change — wait for what is "
        "left of the phase, schedule.seconds_to_change(elapsed)")


@pytest.mark.task(5)
def test_the_light_returns_as_soon_as_stop_is_set(events):
    green = EventSpy()
    stop = threading.Event()
    stop.set()
    stall.stop_is_set("stop")
    schedule = events.LightSchedule(red=10, green=20)
    run_bounded(events.run_light, green, schedule, stop, what="run_light() with stop already set")
    assert green.history and green.history[0] == "clear", (
        f"a new light starts red; green saw {green.history}; expected a clear() first")
