"""Tests for exercises/semaphores — one group per task in README.md.

Your semaphore builds on a condition the test hands in (condition_factory), and
that condition reports every wait() — with its timeout — and every notify(). So
the test knows for certain that a thread is blocked inside acquire(), and
whether release() woke anybody, instead of guessing from silence. For "at most
N", the first N workers inside wait at a gate until N are inside and another
thread is seen waiting on the semaphore (the limit holds), or N + 1 get in
(it does not): a correct semaphore is proved at full occupancy, without a sleep.
"""
import time

import pytest

from kata import bounds, caller
from kata.expect import raises
from kata.probes import Occupancy
from kata.probes_join import JoinGate
from kata.seam import topic_fixture
from kata.support.semaphores import ConditionSpy, Gate
from kata.workers import Worker, run_bounded

semaphores = topic_fixture("semaphores")

JOBS = ("ada", "bo", "cy", "dee", "eli")
LIMIT = 3


@pytest.fixture
def spy():
    return ConditionSpy()


def spied(semaphores, spy, value=1, kind="Semaphore"):
    semaphore = getattr(semaphores, kind)(value, condition_factory=spy.condition)
    assert spy.conditions, (
        f"{kind}({value}, condition_factory=f) never called f(): the test needs condition_factory to see the "
        "condition — self._cond = condition_factory(), not threading.Condition() directly")
    assert len(spy.conditions) == 1, (
        f"{kind}({value}, condition_factory=f) called f() {len(spy.conditions)} times; expected once, in "
        "__init__: self._cond = condition_factory()")
    return semaphore


def start_waiting_acquire(semaphore, spy, *args, waiting=1, **kwargs):
    """Call acquire() in a worker and return once it waits in the condition (or has returned)."""
    worker = spy.start(semaphore.acquire, *args, name="acquirer", **kwargs)
    spy.wait_until(lambda s: s.waiting >= waiting or worker.done)
    return worker


def take_all(semaphore, count, spy):
    """How many places acquire(blocking=False) gets, trying count + 1 times (in a worker: never hangs the test)."""
    worker = spy.start(lambda: [semaphore.acquire(blocking=False) for _ in range(count + 1)], name="taker")
    spy.wait_until(lambda s: s.waiting > 0 or worker.done)
    if not worker.done:
        pytest.fail("acquire(blocking=False) with no place free waited on the condition: a non-blocking "
                    "acquire must return False at once instead of waiting", pytrace=False)
    return worker.outcome().count(True)


def release_and_expect_wakeup(semaphore, spy, waiting, what="release()"):
    """release() while `waiting` sits in acquire(); fail at once if nobody was notified."""
    notified_before = spy.notified
    semaphore.release()
    if spy.notified == notified_before:
        pytest.fail(f"a thread was waiting inside acquire() and {what} returned without calling notify() on the "
                    "condition: the waiter sleeps on forever — notify missing on release: add "
                    "self._cond.notify(n) after raising the value", pytrace=False)
    assert waiting.finished(), (
        f"{what} notified, but the waiting acquire() did not return within {bounds.HANG:g} s: does release() "
        "raise the value under the condition, and does acquire() look at it again after wait()?")
    assert waiting.outcome() is True, f"the woken acquire() returned {waiting.result!r}; expected True"


# -- task 1: a semaphore from a condition -----------------------------------------------

@pytest.mark.task(1)
def test_a_semaphore_hands_out_its_places(semaphores, spy):
    semaphore = spied(semaphores, spy, 2)
    results = [semaphore.acquire(), semaphore.acquire()]
    assert results == [True, True], f"Semaphore(2): two acquire() calls returned {results}; expected True, True"
    waiting = start_waiting_acquire(semaphore, spy)
    assert not waiting.done, (
        f"Semaphore(2): a third acquire() returned {waiting.result!r} without waiting; expected it to wait in "
        "the condition while the value is 0: `while self._value == 0: self._cond.wait(...)`")
    release_and_expect_wakeup(semaphore, spy, waiting)


@pytest.mark.task(1)
def test_the_default_is_one_place_and_a_negative_value_is_refused(semaphores, spy):
    semaphore = semaphores.Semaphore(condition_factory=spy.condition)
    assert semaphore.acquire() is True, "Semaphore().acquire() did not return True"
    worker = start_waiting_acquire(semaphore, spy)
    assert not worker.done, "Semaphore() let a second acquire() in; the default value is 1"
    release_and_expect_wakeup(semaphore, spy, worker)
    with raises(ValueError, "Semaphore(-1)", "a semaphore cannot start with fewer than zero places"):
        semaphores.Semaphore(-1)
    bounded_spy = ConditionSpy()
    bounded = semaphores.BoundedSemaphore(condition_factory=bounded_spy.condition)
    places = take_all(bounded, 1, bounded_spy)
    assert places == 1, (
        f"BoundedSemaphore() gave out {places} place(s) to acquire(blocking=False); expected 1: its default "
        "value is 1, as Semaphore's is")


@pytest.mark.task(1)
def test_release_wakes_a_waiting_thread(semaphores, spy):
    semaphore = spied(semaphores, spy, 0)
    waiting = start_waiting_acquire(semaphore, spy)
    assert not waiting.done, "Semaphore(0).acquire() returned at once; expected it to wait for a release()"
    release_and_expect_wakeup(semaphore, spy, waiting)
    left = take_all(semaphore, 0, spy)
    assert left == 0, (
        f"on Semaphore(0), one release() woke the waiting acquire() and still left {left} place(s) for "
        "acquire(blocking=False); expected none: release() with no argument gives back one place (n=1)")


@pytest.mark.task(1)
def test_a_with_block_gives_its_place_back_even_when_it_raises(semaphores, spy):
    semaphore = spied(semaphores, spy, 1)
    with raises(KeyError, "a with-block that raised KeyError",
                "__exit__ must let the exception go on (return None), not swallow it"):
        with semaphore:
            raise KeyError("raised inside the with-block")
    worker = Worker(semaphore.acquire, blocking=False, name="after").start()
    assert worker.finished() and worker.outcome() is True, (
        "after a with-block that raised, acquire(blocking=False) got no place: __exit__ must release")


# -- task 2: try without waiting; wait with a limit -------------------------------------------

@pytest.mark.task(2)
def test_a_non_blocking_acquire_never_waits(semaphores, spy):
    semaphore = spied(semaphores, spy, 1)
    assert semaphore.acquire(blocking=False) is True, "acquire(blocking=False) on a free place: expected True"
    worker = spy.start(semaphore.acquire, blocking=False, name="try")
    spy.wait_until(lambda s: s.waiting > 0 or worker.done)
    if spy.waits:
        semaphore.release()
        pytest.fail("acquire(blocking=False) with no place free called wait() on the condition: a "
                    "non-blocking acquire must return False at once instead of waiting", pytrace=False)
    assert worker.finished() and worker.outcome() is False, (
        f"acquire(blocking=False) with no place free returned {worker.result!r}; expected False")
    with raises(ValueError, "acquire(False, timeout=1.0)",
                "a timeout makes no sense for a call that may not wait, as in threading.Semaphore"):
        semaphore.acquire(False, timeout=1.0)


@pytest.mark.task(2)
def test_an_acquire_with_a_timeout_gives_up(semaphores, spy):
    semaphore = spied(semaphores, spy, 0)
    worker = spy.start(semaphore.acquire, timeout=0.02, name="patient")
    spy.wait_until(lambda s: None in s.waits or worker.done)
    if None in spy.waits:
        semaphore.release()
        pytest.fail("acquire(timeout=0.02) called wait() with no timeout, so it can wait forever: the timeout "
                    "was ignored — pass what is left of it to self._cond.wait(remaining)", pytrace=False)
    assert worker.finished(), f"acquire(timeout=0.02) did not return within {bounds.HANG:g} s"
    got = worker.outcome()
    assert got is not True, (
        "acquire(timeout=0.02) on Semaphore(0), where no place was ever given, returned True: once wait() "
        "returns, nothing says a place is free — wait in a while loop that looks at the value again, and "
        "return False when the time is up")
    assert got is False, f"acquire(timeout=0.02) with no place returned {got!r}; expected False"
    late = [timeout for timeout in spy.waits if timeout is not None and timeout <= 0]
    assert not late, (
        f"acquire(timeout=0.02) called wait() {len(late)} time(s) after its time was up, the first with "
        f"wait({late[0] if late else None!r}): with nothing left of the timeout, give up and return False — "
        "if remaining <= 0: return False — rather than wait again")
    semaphore.release()
    assert semaphore.acquire(timeout=1.0) is True, "acquire(timeout=1.0) with a free place did not return True"


@pytest.mark.task(2)
def test_a_wake_up_without_a_place_waits_again_for_what_is_left_of_the_timeout(semaphores, spy):
    semaphore = spied(semaphores, spy, 0)
    asked = bounds.HELD  # never runs out here: the test gives a place long before
    called = time.monotonic()
    worker = start_waiting_acquire(semaphore, spy, timeout=asked)
    if worker.done:
        pytest.fail(f"acquire(timeout={asked:g}) on Semaphore(0) returned {worker.result!r} at once; expected it "
                    "to wait on the condition", pytrace=False)
    condition = spy.conditions[0]
    with condition:
        condition.notify()  # a wake-up that brings no place: spurious, or another thread took the place first
    spy.wait_until(lambda s: len(s.waits) >= 2 or worker.done)
    try:
        if worker.done:
            pytest.fail(f"acquire(timeout={asked:g}) on Semaphore(0) was woken without a place being given and "
                        f"returned {worker.result!r}: a wake-up is only a hint to look again — wait in a while "
                        "loop (while self._value == 0: ...), not under an if", pytrace=False)
        first, second = spy.waits[:2]
        assert second is not None and second < first, (
            f"acquire(timeout={asked:g}) was woken without a place and waited again with wait({second!r}) after "
            f"wait({first!r}): it restarted its full timeout after a wake-up, so wake-ups that bring nothing "
            "can keep it waiting for ever — work out a deadline once, and wait only for what is left of it")
        # At most the time since the call has gone, so at least asked minus that is left (a little slack
        # for float rounding; a wrong sum is off by far more).
        at_least = asked - (spy.waited_at[1] - called) - 1e-3
        assert second >= at_least, (
            f"acquire(timeout={asked:g}) was woken without a place and waited again with wait({second!r}), "
            f"but at least {at_least:.3f} s of its timeout were left: it gives up too soon — work out the "
            "deadline once (deadline = time.monotonic() + timeout) and wait for deadline - time.monotonic()")
    finally:
        semaphore.release()
    assert worker.finished(), f"after release() the waiting acquire() did not return within {bounds.HANG:g} s"
    assert worker.outcome() is True, f"after release() the waiting acquire() returned {worker.result!r}; expected True"


@pytest.mark.task(2)
def test_release_n_wakes_n_waiting_threads(semaphores, spy):
    semaphore = spied(semaphores, spy, 0)
    first = start_waiting_acquire(semaphore, spy)
    second = start_waiting_acquire(semaphore, spy, waiting=2)
    assert not first.done and not second.done, "acquire() on Semaphore(0) returned at once"
    notified_before = spy.notified
    semaphore.release(2)
    asked = spy.notified - notified_before
    if asked < 2:
        semaphore.release(2)  # let the stranded thread go
        pytest.fail(f"two threads waited in acquire() and release(2) woke {asked} of them: release(n) must "
                    "wake n waiters — self._cond.notify(n)", pytrace=False)
    for worker in (first, second):
        assert worker.finished(), f"after release(2) a waiting acquire() did not return within {bounds.HANG:g} s"
        got = worker.outcome()
        assert got is True, f"after release(2) a waiting acquire() returned {got!r}; expected True"
    with raises(ValueError, "release(0)", "n must be one or more, as in threading.Semaphore"):
        semaphore.release(0)


# -- task 3: at most N at once, and N really at once ------------------------------------------

def limited_run(semaphores, spy, limit, factory_calls, timeline, make="BoundedSemaphore"):
    gate = Gate(limit, spy, timeline=timeline)

    def factory(value):
        factory_calls.append(value)
        return getattr(semaphores, make)(value, condition_factory=spy.condition)

    runner = Worker(semaphores.run_limited, JOBS[:limit + 1], gate, limit, semaphore_factory=factory,
                    name="run_limited").start()
    if not runner.finished(bounds.HANG + bounds.OVERLAP):
        pytest.fail(f"run_limited() did not return within {bounds.HANG + bounds.OVERLAP:g} s: do you release "
                    "the semaphore after each job (a with-block), and join every thread?", pytrace=False)
    runner.outcome()
    return gate


@pytest.mark.task(3)
def test_at_most_limit_jobs_work_at_once_and_limit_really_do(semaphores, spy, timeline):
    calls = []
    gate = limited_run(semaphores, spy, LIMIT, calls, timeline)
    jobs = LIMIT + 1
    if gate.peak > LIMIT and len(calls) > 1:
        pytest.fail(f"run_limited({jobs} jobs, limit={LIMIT}): {gate.peak} jobs were inside work() at once, and "
                    f"semaphore_factory was called {len(calls)} times ({calls}): a semaphore made inside each "
                    "thread has its own places, so it limits nobody — make one semaphore before starting the "
                    f"threads and share it\nwho was inside work():\n{timeline.render()}", pytrace=False)
    if gate.peak > LIMIT:
        pytest.fail(f"run_limited({jobs} jobs, limit={LIMIT}): {gate.peak} jobs were inside work() at once; "
                    f"expected at most {LIMIT} — the semaphore let one too many in: did you make it "
                    f"Semaphore(limit + 1)? (semaphore_factory was called with {calls})\n"
                    f"who was inside work():\n{timeline.render()}", pytrace=False)
    if gate.peak < LIMIT:
        made = (f"semaphore_factory was called with {calls}" if calls else
                "semaphore_factory was never called")
        pytest.fail(f"run_limited({jobs} jobs, limit={LIMIT}): at most {gate.peak} job(s) were inside work() at "
                    f"once; expected {LIMIT} at once ({made}) — a Lock in place of a Semaphore lets one in at a "
                    "time; make one semaphore_factory(limit) and start every thread before joining any\n"
                    f"who was inside work():\n{timeline.render()}", pytrace=False)
    assert calls == [LIMIT], (
        f"semaphore_factory was called with {calls}; expected once, with the limit: [{LIMIT}]")
    assert not gate.gave_up, (
        f"{LIMIT} jobs were inside at once, but the job left outside was never seen waiting in acquire(): "
        "block with the condition's wait() while no place is free")


@pytest.mark.task(3)
def test_run_limited_returns_only_after_every_thread_has_finished(semaphores):
    gate = JoinGate()
    with gate.watching(workers=len(JOBS)):
        run_bounded(semaphores.run_limited, JOBS, gate.hold, len(JOBS), timeout=bounds.HANG * (len(JOBS) + 1),
                    what="run_limited()")
    assert gate.all_left, f"run_limited() returned, but its {len(JOBS)} jobs' work never all began"
    assert not gate.timed_joins, (
        f"run_limited() returned while the threads of {sorted(gate.timed_joins)} were still running: "
        "join(timeout) gave up waiting, and a join() that times out does not mean the thread has finished — "
        "join() each thread without a timeout")
    assert not gate.outlived, (
        f"run_limited() returned while the threads of {sorted(gate.outlived)} were still running (each job's "
        "work was held until its own thread was joined): join every thread you started, not only the last "
        "one — for thread in threads: thread.join()")
    assert not gate.never_joined, (
        f"the jobs {sorted(gate.never_joined)} waited {bounds.HANG:g} s for run_limited() to join their threads")


@pytest.mark.task(3)
def test_every_job_runs_once_in_its_own_thread_named_after_it(semaphores):
    seen = {}
    occupancy = Occupancy()

    def work(name):
        with occupancy:
            seen[name] = caller.thread_name()

    runner = Worker(semaphores.run_limited, JOBS, work, 2, name="run_limited").start()
    assert runner.finished(), f"run_limited() did not return within {bounds.HANG:g} s"
    runner.outcome()
    # Work a missing join() left running ends before the verdict (that mistake is the task's first test's).
    occupancy.wait_all_left(len(JOBS))
    assert sorted(seen) == sorted(JOBS), f"work() ran for {sorted(seen)}; expected each of {sorted(JOBS)} once"
    wrong = {job: thread for job, thread in seen.items() if thread != job}
    assert not wrong, f"job -> thread name: {wrong}; expected each thread named after its job"
    assert occupancy.peak <= 2, f"with limit=2, {occupancy.peak} jobs were inside work() at once"


# -- task 4: a bounded semaphore refuses an extra release ---------------------------------------

@pytest.mark.task(4)
def test_a_bounded_semaphore_raises_on_an_extra_release_and_changes_nothing(semaphores, spy):
    semaphore = spied(semaphores, spy, 2, kind="BoundedSemaphore")
    with raises(ValueError, "BoundedSemaphore(2).release() with both places free",
                "that is a plain Semaphore where a BoundedSemaphore was needed: check value + n against the "
                "initial value before adding"):
        semaphore.release()
    free = take_all(semaphore, 3, spy)
    assert free == 2, (
        f"after the refused release() a BoundedSemaphore(2) gave out {free} places; expected 2: raise before "
        "you change the value")


@pytest.mark.task(4)
def test_a_bounded_semaphore_takes_back_what_was_taken(semaphores, spy):
    semaphore = spied(semaphores, spy, 3, kind="BoundedSemaphore")
    for _ in range(3):
        semaphore.acquire()
    semaphore.release()
    semaphore.release(2)
    with raises(ValueError, "a fourth release() on a BoundedSemaphore(3) taken three times",
                "a bounded semaphore refuses to grow past its initial value"):
        semaphore.release()
    with raises(ValueError, "release(0)", "n must be one or more, as in threading.Semaphore"):
        semaphore.release(0)
    assert take_all(semaphore, 4, spy) == 3, "a BoundedSemaphore(3), taken and given back, no longer has 3 places"


@pytest.mark.task(4)
def test_a_bounded_semaphore_refuses_a_release_n_that_would_pass_its_bound(semaphores, spy):
    semaphore = spied(semaphores, spy, 3, kind="BoundedSemaphore")
    semaphore.acquire()
    semaphore.acquire()
    with raises(ValueError, "release(3) on a BoundedSemaphore(3) with 1 place free (2 taken)",
                "it would make 4 places: a bound can be passed from below — check value + n against the "
                "initial value, not only whether it is full already"):
        semaphore.release(3)
    free = take_all(semaphore, 3, spy)
    assert free == 1, (
        f"after the refused release(3) a BoundedSemaphore(3) with 2 taken gave out {free} places; expected 1: "
        "raise before you change the value")
    semaphore.release(3)  # all three are taken now: giving back three is right
    assert take_all(semaphore, 3, spy) == 3, (
        "a BoundedSemaphore(3) with all 3 taken refused release(3), or did not give the 3 places out again")


@pytest.mark.task(4)
def test_a_bounded_semaphore_is_still_a_semaphore(semaphores, spy):
    semaphore = spied(semaphores, spy, 1, kind="BoundedSemaphore")
    assert isinstance(semaphore, semaphores.Semaphore), "BoundedSemaphore should subclass Semaphore"
    assert semaphore.acquire() is True, "BoundedSemaphore(1).acquire() did not return True"
    waiting = start_waiting_acquire(semaphore, spy)
    assert not waiting.done, "BoundedSemaphore(1) let a second acquire() in"
    release_and_expect_wakeup(semaphore, spy, waiting, what="BoundedSemaphore.release()")
