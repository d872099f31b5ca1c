"""Tests for exercises/locks — one group per task in README.md.

The tests never rely on luck or timing. A Window probe holds one thread
between its read and its write until a second thread either gets in too (the
bug) or is seen waiting for the lock (the fix). The counter's lock comes from a
factory the test hands in, so the test can see who waits for it.
"""
import threading
import time

import pytest

from kata import bounds, caller, stall
from kata.expect import raises
from kata.probes import LockSpy, Occupancy, Rendezvous, SpiedLock, Window
from kata.probes_join import JoinGate
from kata.seam import topic_fixture
from kata.workers import TrackedWorker, Worker, run_bounded

locks = topic_fixture("locks")

JOBS = ("ana", "ben", "chen", "dara")
NO_FACTORY_LOCK = ("the test needs lock_factory to see the lock: make it with lock_factory(), "
                   "not threading.Lock() directly")


class ReleaseWatch(LockSpy):
    """A LockSpy whose locks call ``look()`` just before each release: it sees what the lock leaves behind."""

    def __init__(self) -> None:
        super().__init__()
        self.look = lambda: None

    def factory(self) -> SpiedLock:
        lock = WatchedRelease(self)
        with self._cond:
            self.locks.append(lock)
        return lock


class WatchedRelease(SpiedLock):
    def release(self) -> None:
        self._spy.look()
        super().release()


def overlapping_calls(first, second, window):
    """Call first(window) and, once it is inside the window, second(window); both bounded."""
    first_worker = Worker(first, window, name="first").start()
    if not window.first_inside.wait(bounds.HANG):
        first_worker.finished()
        first_worker.outcome()
        pytest.fail("the call never reached between(): call between() after reading the value "
                    "and before writing it back", pytrace=False)
    second_worker = Worker(second, window, name="second").start()
    for worker in (first_worker, second_worker):
        if not worker.finished():
            pytest.fail(f"the {worker.thread.name} call did not return within {bounds.HANG:g} s: "
                        "is the lock released on every path?", pytrace=False)
        worker.outcome()


# -- task 1: a counter that loses no update ------------------------------------

@pytest.mark.task(1)
def test_a_new_counter_starts_at_zero_and_counts_each_increment(locks):
    counter = locks.Counter()
    assert counter.value == 0, f"Counter().value is {counter.value!r}; expected 0"
    for _ in range(3):
        counter.increment()
    assert counter.value == 3, f"called increment() 3 times; value is {counter.value!r}; expected 3"


@pytest.mark.task(1)
def test_the_counter_makes_one_lock_with_the_factory_and_uses_it(locks, lock_spy):
    counter = locks.Counter(lock_factory=lock_spy.factory)
    made = len(lock_spy.locks)
    assert made, f"Counter(lock_factory=f) never called f(): {NO_FACTORY_LOCK}"
    assert made == 1, (
        f"Counter(lock_factory=f) called f() {made} times; expected exactly once, in __init__: "
        "self._lock = lock_factory(), the one lock every method takes (increment() and decrement() must "
        "share one)")
    counter.increment()
    counter.increment()
    assert len(lock_spy.locks) == 1, (
        "increment() called lock_factory() again: a lock made inside increment() is new on every call, "
        "so no two threads ever share it — make the lock once, in __init__")
    assert lock_spy.acquisitions >= 2, (
        f"called increment() twice; the lock from lock_factory() was acquired {lock_spy.acquisitions} "
        "times; expected once per increment — did you forget the lock, or make a new one inside "
        "increment() instead of taking self._lock?")


@pytest.mark.task(1)
def test_the_write_is_done_before_the_lock_is_released(locks):
    watch = ReleaseWatch()
    counter = locks.Counter(lock_factory=watch.factory)
    left_behind = []
    watch.look = lambda: left_behind.append(counter.value)
    counter.increment()
    counter.decrement()
    assert left_behind, f"increment() and decrement() never released the lock from lock_factory(): {NO_FACTORY_LOCK}"
    assert left_behind == [1, 0], (
        f"increment() then decrement(): the value as each released the lock was {left_behind}; expected "
        "[1, 0]: the write came after the release, and in that gap another thread can take the lock and "
        "read the old value — hold the lock from the read through the write (the write goes inside the "
        "with-block)")


@pytest.mark.task(1)
def test_an_increment_waits_while_another_is_between_read_and_write(locks):
    lock_spy = ReleaseWatch()
    counter = locks.Counter(lock_factory=lock_spy.factory)
    left_behind = []
    lock_spy.look = lambda: left_behind.append(counter.value)
    window = Window(lock_spy)
    overlapping_calls(counter.increment, counter.increment, window)
    if window.overlapped:
        if lock_spy.acquisitions == 0:
            pytest.fail(
                "two increments were between their read and their write at the same time, and the lock "
                "from lock_factory() was never taken: did you forget the lock, or make a new one inside "
                "increment()?", pytrace=False)
        pytest.fail(
            "a second increment() read the value while the first was still between its read and its "
            "write, although the lock was taken: hold the lock from the read through the write "
            "(is the write, or between(), outside the with-block?)", pytrace=False)
    # The first increment's release comes before the second can read: what it leaves is certain.
    assert not left_behind or left_behind[0] == 1, (
        f"the first of two increments released the lock with value {left_behind[0]!r}; expected 1: the write "
        "came after the release, so the second increment, waiting at the lock, could read the old value — "
        "hold the lock from the read through the write (the write goes inside the with-block)")
    assert counter.value == 2, (
        f"two threads each called increment() once; value is {counter.value!r}; expected 2")


@pytest.mark.task(1)
def test_many_threads_count_exactly(locks):
    counter = locks.Counter()
    threads, rounds = 4, 50

    def work():
        for _ in range(rounds):
            counter.increment(between=lambda: time.sleep(0))  # invites a switch between read and write

    workers = [Worker(work, name=f"adder-{i}").start() for i in range(threads)]
    for worker in workers:
        assert worker.finished(), (
            f"{worker.thread.name} had not finished its {rounds} increments{stall.waited(bounds.HANG)}: "
            "is the lock released after every increment?")
        worker.outcome()
    expected = threads * rounds
    assert counter.value == expected, (
        f"{threads} threads each called increment() {rounds} times; value is {counter.value}; "
        f"expected {expected}: {expected - counter.value} updates were lost — hold the lock across "
        "the whole read-modify-write")


# -- task 2: lock the critical section, not the whole job -----------------------

def jobs_timeline_message(what, timeline, hint):
    return f"{what}\n{timeline.render()}\nhint: {hint} (README, task 2)"


class ExcludesNobody:
    """A lock that never makes anyone wait, for the test about joins, whose report touches nothing shared.

    With a real lock, work done under it (the whole job under the lock) would tie the JoinGate's holds to
    the order in which the jobs win the lock: a job that wins it out of turn waits for its join, while
    run_jobs() joins a job that waits for the lock. Whether that happens is luck; this test judges joins.
    """

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return True

    def release(self) -> None:
        pass

    def locked(self) -> bool:
        return False

    __enter__ = acquire

    def __exit__(self, *exc) -> None:
        self.release()


@pytest.mark.task(2)
def test_run_jobs_returns_only_after_every_thread_has_finished(locks):
    gate = JoinGate()

    def work(name):
        gate.hold(name)
        return name

    with gate.watching(workers=len(JOBS)):
        run_bounded(locks.run_jobs, JOBS, work, lambda name, result: None, lock_factory=ExcludesNobody,
                    timeout=bounds.HANG * (len(JOBS) + 1), what="run_jobs()")
    assert gate.all_left, f"run_jobs() returned, but its {len(JOBS)} jobs' work never all began"
    assert not gate.timed_joins, (
        f"run_jobs() returned while the threads of {sorted(gate.timed_joins)} were still running: "
        "join(timeout) gave up waiting, and a join() that times out does not mean the thread has "
        "finished — join() each thread without a timeout")
    assert not gate.outlived, (
        f"run_jobs() returned while the threads of {sorted(gate.outlived)} were still running (each job's "
        "work was held until its own thread was joined): join every thread you started, not only the "
        "last one — for thread in threads: thread.join()")
    assert not gate.never_joined, (
        f"the jobs {sorted(gate.never_joined)} waited {bounds.HANG:g} s for run_jobs() to join their threads")


@pytest.mark.task(2)
def test_jobs_do_their_work_at_the_same_time(locks, lock_spy, timeline):
    meeting = Rendezvous(len(JOBS))
    working = Occupancy()
    alive_at_start = {}
    lock_held_during_work = []

    def work(name):
        with working:
            alive_at_start[name] = sum(thread in JOBS for thread in caller.live_thread_names())
            lock_held_during_work.append(lock_spy.any_held())
            with timeline.span(name):
                meeting.meet(name)
        return name.upper()

    run_bounded(locks.run_jobs, JOBS, work, lambda name, result: None, lock_factory=lock_spy.factory,
                timeout=bounds.HANG + bounds.OVERLAP * len(JOBS), what="run_jobs()")
    # Work a missing join() left running ends before the verdict (that mistake is the task's first test's).
    working.wait_all_left(len(JOBS))
    if meeting.tripped:
        return
    if any(lock_held_during_work):
        pytest.fail(jobs_timeline_message(
            "the jobs' work ran one after another, and the lock was held while it ran: the whole job is "
            "under the lock, so the threads took turns", timeline,
            "only report() needs the lock; call work(name) before taking it"), pytrace=False)
    if max(alive_at_start.values(), default=0) <= 1:
        pytest.fail(jobs_timeline_message(
            f"{len(JOBS)} workers ran one after another; expected them to overlap — each thread was the "
            "only one alive when its work began: did you call join() inside the start loop?", timeline,
            "start every thread first, then join them all"), pytrace=False)
    pytest.fail(jobs_timeline_message(
        f"the jobs' work did not overlap: {len(meeting.met)} of {len(JOBS)} met at once", timeline,
        "run every job in its own thread, all started before any is joined"), pytrace=False)


@pytest.mark.task(2)
def test_reports_run_one_at_a_time_under_the_lock(locks, lock_spy):
    window = Window(lock_spy)
    run_bounded(locks.run_jobs, JOBS, str.upper, lambda name, result: window(), lock_factory=lock_spy.factory,
                timeout=bounds.HANG + bounds.HANG, what="run_jobs()")
    assert lock_spy.locks, f"run_jobs() never called lock_factory(): {NO_FACTORY_LOCK}"
    assert len(lock_spy.locks) == 1, (
        f"run_jobs() called lock_factory() {len(lock_spy.locks)} times; expected once: one lock shared "
        "by every thread (a lock made inside each thread protects nothing)")
    assert not window.overlapped, (
        "two report() calls ran at the same time: call report() while holding the shared lock")


@pytest.mark.task(2)
def test_every_job_reports_its_own_result_once(locks):
    reports = []
    run_bounded(locks.run_jobs, JOBS, str.upper, lambda name, result: reports.append((name, result)),
                what="run_jobs()")
    expected = sorted((name, name.upper()) for name in JOBS)
    assert sorted(reports) == expected, (
        f"run_jobs({JOBS}, work=str.upper, ...) reported {sorted(reports)}; expected {expected}: "
        "one report(name, work(name)) per job")


@pytest.mark.task(2)
def test_each_job_runs_in_its_own_thread_named_after_it(locks):
    seen = {}

    def work(name):
        seen[name] = (caller.thread_name(), caller.thread_key())

    run_bounded(locks.run_jobs, JOBS, work, lambda name, result: None, what="run_jobs()")
    assert sorted(seen) == sorted(JOBS), f"work() ran for {sorted(seen)}; expected every job: {sorted(JOBS)}"
    wrong_names = {job: thread for job, (thread, _) in seen.items() if thread != job}
    assert not wrong_names, (
        f"job -> thread name: {wrong_names}; expected each thread named after its job: "
        "threading.Thread(target=..., args=(name,), name=name)")
    threads = {thread for _, thread in seen.values()}
    assert len(threads) == len(JOBS), (
        f"work() ran in {len(threads)} threads for {len(JOBS)} jobs; expected one thread per job")


# -- task 3: release the lock when the critical section raises -------------------

@pytest.mark.task(3)
def test_an_exception_between_read_and_write_releases_the_lock(locks, lock_spy):
    counter = locks.Counter(lock_factory=lock_spy.factory)

    def fail():
        raise ValueError("raised by between()")

    with raises(ValueError, "increment(between=f), where f raises ValueError",
                "the error belongs to the caller: release the lock and let it go on, never swallow it") as caught:
        counter.increment(between=fail)
    assert "raised by between" in str(caught.value), (
        f"increment() raised ValueError({caught.value}); expected the one between() raised to go on unchanged")
    assert not lock_spy.any_held(), (
        "increment() let the exception from between() escape and left the lock held: every later "
        "increment() would wait forever — use `with self._lock:` (or try/finally around release())")
    assert counter.value == 0, (
        f"the increment() that raised before its write changed value to {counter.value!r}; expected 0")
    run_bounded(counter.increment, what="increment() after a failed one")
    assert counter.value == 1, f"an increment() after the failed one left value at {counter.value!r}; expected 1"


# -- task 4: give up after a timeout; look without touching ---------------------

def the_lock(lock_spy):
    assert len(lock_spy.locks) == 1, (
        f"Counter(lock_factory=f) made {len(lock_spy.locks)} locks with f(); expected one (task 1)")
    return lock_spy.locks[0]


@pytest.mark.task(4)
def test_try_increment_gives_up_while_another_thread_holds_the_lock(locks, lock_spy):
    counter = locks.Counter(lock_factory=lock_spy.factory)
    lock = the_lock(lock_spy)
    lock.acquire()
    try:
        attempt = Worker(counter.try_increment, 0.05, name="attempt").start()
        returned = attempt.finished()
        waited = stall.waited(bounds.HANG)
        still_held = lock.locked()
    finally:
        if lock.locked():
            lock.release()
    assert returned, (
        f"try_increment(0.05) was still waiting{waited} while another thread held the "
        "lock: pass the timeout to acquire(), e.g. self._lock.acquire(timeout=timeout)")
    result = attempt.outcome()
    assert result is False and counter.value == 0, (
        f"try_increment(0.05) while the lock was held returned {result!r} and left value at "
        f"{counter.value!r}; expected False and 0: check acquire()'s return value, and only add one "
        "(and release) when it is True")
    assert still_held, (
        "try_increment(0.05) failed to get the lock, which another thread held, and then released it "
        "anyway: that frees the other thread's lock in the middle of its critical section — release only "
        "a lock you acquired (when acquire() returned False, return False and touch nothing)")


@pytest.mark.task(4)
def test_try_increment_waits_up_to_its_timeout_for_the_lock(locks, lock_spy):
    counter = locks.Counter(lock_factory=lock_spy.factory)
    lock = the_lock(lock_spy)
    seen = threading.Condition()

    def look_again():
        with seen:
            seen.notify_all()

    lock_spy.listeners.append(look_again)
    lock.acquire()
    try:
        attempt = TrackedWorker(seen, counter.try_increment, bounds.HANG, name="attempt").start()
        with seen:
            seen.wait_for(lambda: lock_spy.blocked or attempt.done, bounds.HANG)
        waited = lock_spy.blocked > 0
    finally:
        lock.release()
    assert attempt.finished(), (
        f"try_increment({bounds.HANG:g}) had not returned {bounds.HANG:g} s after the lock was freed")
    result = attempt.outcome()
    assert waited, (
        f"try_increment({bounds.HANG:g}) returned {result!r} at once while another thread held the lock, "
        "without waiting for it: acquire(blocking=False) never waits, whatever the timeout — pass the timeout "
        "to acquire(), e.g. self._lock.acquire(timeout=timeout)")
    assert result is True and counter.value == 1, (
        f"try_increment({bounds.HANG:g}) waited for a held lock that was then freed; it returned {result!r} "
        f"with value {counter.value!r}; expected True and 1")


@pytest.mark.task(4)
def test_try_increment_adds_one_when_the_lock_is_free(locks, lock_spy):
    counter = locks.Counter(lock_factory=lock_spy.factory)
    result = run_bounded(counter.try_increment, 1.0, what="try_increment(1.0) on a free lock")
    assert result is True and counter.value == 1, (
        f"try_increment(1.0) on a free lock returned {result!r} with value {counter.value!r}; "
        "expected True and 1")
    assert not lock_spy.any_held(), "try_increment() returned but kept the lock: release it when done"


@pytest.mark.task(4)
def test_busy_tells_whether_the_lock_is_held_without_taking_it(locks, lock_spy):
    counter = locks.Counter(lock_factory=lock_spy.factory)
    lock = the_lock(lock_spy)
    assert counter.busy() is False, f"busy() on a free lock returned {counter.busy()!r}; expected False"
    lock.acquire()
    try:
        held = counter.busy()
    finally:
        lock.release()
    assert held is True, f"busy() while another thread held the lock returned {held!r}; expected True"
    assert lock_spy.acquisitions == 1, (
        "busy() acquired the lock to find out whether it was free; use lock.locked(), which only looks "
        "(acquiring would make the lock look busy to everyone else for that moment)")


# -- task 5: one lock shared by several methods ---------------------------------

@pytest.mark.task(5)
def test_decrement_counts_down(locks):
    counter = locks.Counter()
    counter.increment()
    counter.decrement()
    counter.decrement()
    assert counter.value == -1, (
        f"increment() once, then decrement() twice; value is {counter.value!r}; expected -1")


@pytest.mark.task(5)
def test_decrement_waits_while_an_increment_is_between_read_and_write(locks):
    lock_spy = ReleaseWatch()
    counter = locks.Counter(lock_factory=lock_spy.factory)
    left_behind = []
    lock_spy.look = lambda: left_behind.append(counter.value)
    window = Window(lock_spy)
    overlapping_calls(counter.increment, counter.decrement, window)
    assert lock_spy.locks, f"Counter(lock_factory=f) never called f(): {NO_FACTORY_LOCK}"
    assert len(lock_spy.locks) == 1, (
        f"the counter made {len(lock_spy.locks)} locks; increment() and decrement() must share one: "
        "two locks let them run over each other")
    assert not window.overlapped, (
        "decrement() read the value while increment() was between its read and its write: both must "
        "take the counter's one lock (self._lock) around their whole read-modify-write")
    assert not left_behind or left_behind[0] == 1, (
        f"increment() released the lock with value {left_behind[0]!r}; expected 1: the write came after the "
        "release, so decrement(), waiting at the lock, could read the old value — hold the lock from the read "
        "through the write (the write goes inside the with-block)")
    assert counter.value == 0, f"one increment() and one decrement() left value at {counter.value!r}; expected 0"
