"""Tests for exercises/deadlocks — one group per task in README.md.

No test hopes for a deadlock, and none waits to see whether one happens. The
accounts' locks come from a WaitGraph: each lock knows who holds it and who is
waiting for it. A hook between the first and the second acquire keeps the
first thread there until the second thread holds its first lock too (the
interleaving that deadlocks) or is seen waiting for a lock (your order kept it
out). When threads wait without a timeout, in a circle, for locks the next one
holds, the test names the deadlock at once; the stuck threads are daemons, and
the test frees their locks before it fails.
"""
import threading

import pytest

from kata import bounds
from kata.boundary import recorded_sleeps
from kata.expect import raises
from kata.seam import topic_fixture
from kata.support.deadlocks import BetweenAcquires, WaitGraph
from kata.workers import run_bounded

deadlocks = topic_fixture("deadlocks")


@pytest.fixture
def graph():
    graph = WaitGraph()
    yield graph
    graph.release_all()  # a failed test leaves nobody stuck on a lock it could free


def accounts(deadlocks, graph, *names, balance=100):
    made = []
    for name in names:
        before = len(graph.locks)
        account = deadlocks.Account(name, balance, lock_factory=graph.factory)
        assert len(graph.locks) > before and account.lock is graph.locks[-1], (
            f"Account({name!r}, lock_factory=f) did not keep a lock made by f() as account.lock: the test needs "
            "lock_factory to see the lock — self.lock = lock_factory(), not threading.Lock() directly")
        account.lock.label = f"{name}'s lock"
        made.append(account)
    return made


def cycle_message(what, graph, hint):
    lines = "\n".join(f"  {line}" for line in graph.deadlock() or ())
    return f"{what}:\n{lines}\nhint: {hint}"


def settle_or_fail(graph, workers, what, hint, also=lambda g: False, moving=False):
    """Wait for the workers; fail with the cycle if they deadlock, or with a hang message.

    With ``moving``, a bound that runs out while the workers still take locks is waited
    again, up to bounds.HELD in all: many transfers (each several calls across the
    sandbox under --sandbox) may take longer than one bound on a loaded machine, and
    workers that stopped moving still fail after one.
    """
    seen, waited = graph.acquisitions, bounds.HANG
    state = graph.settle(workers, also=also)
    while moving and state == "hung" and graph.acquisitions != seen and waited < bounds.HELD:
        seen, waited = graph.acquisitions, waited + bounds.HANG
        state = graph.settle(workers, also=also)
    if state == "deadlock":
        message = cycle_message(f"{what} deadlocked", graph, hint)
        graph.release_all()
        pytest.fail(message, pytrace=False)
    if state == "hung":
        stuck = [w.thread.name for w in workers if w.thread.is_alive()]
        graph.release_all()
        pytest.fail(f"{what}: {', '.join(stuck)} did not finish within {waited:g} s — is something "
                    f"waiting forever? ({hint})", pytrace=False)
    return state


def wait_until_inside(graph, gap, worker, call):
    """Wait until the first transfer is inside between(); fail if it ends or stalls before that."""
    graph.wait_until(lambda g: gap.calls > 0 or worker.done)
    if gap.calls == 0:
        if worker.done:
            worker.outcome()  # its own exception first (a stub's "not implemented yet")
        graph.release_all()
        pytest.fail(f"{call} never called f: call between() after taking the first lock and before taking "
                    "the second", pytrace=False)


# -- task 1: take two locks in one global order ----------------------------------

@pytest.mark.task(1)
def test_a_transfer_moves_the_amount_and_frees_both_locks(deadlocks, graph):
    ana, ben = accounts(deadlocks, graph, "ana", "ben")
    deadlocks.transfer(ana, ben, 30)
    assert (ana.balance, ben.balance) == (70, 130), (
        f"transfer(ana, ben, 30) with 100 each left ana={ana.balance}, ben={ben.balance}; expected 70 and 130")
    assert graph.acquisitions >= 2, (
        f"transfer() took the accounts' locks {graph.acquisitions} times; expected both locks, once each")
    held = [lock.label for lock in graph.locks if lock.locked()]
    assert not held, f"transfer() returned still holding {held}: release both locks (with-blocks do it for you)"


def balances_at_each_release(graph, *accounts):
    """Have every lock note the accounts' balances just before it is given back."""
    seen = []
    for lock in graph.locks:
        lock.before_release = lambda lock: seen.append((lock.label, tuple(a.balance for a in accounts)))
    return seen


def assert_moved_before_any_release(seen, what, expected):
    early = [(label, balances) for label, balances in seen if balances != expected]
    assert not early, (
        f"{what}: the balances as each lock was given back were {seen}; expected {expected} at every release: "
        f"{early[0][0]} was released before the money moved, and in that gap another transfer can take it "
        "and read the old balance — change both balances while both locks are held")


@pytest.mark.task(1)
def test_the_money_moves_while_both_locks_are_held(deadlocks, graph):
    ana, ben = accounts(deadlocks, graph, "ana", "ben")
    seen = balances_at_each_release(graph, ana, ben)
    deadlocks.transfer(ana, ben, 30)
    assert len(seen) >= 2, f"transfer(ana, ben, 30) gave back {len(seen)} lock(s); expected both accounts' locks"
    assert_moved_before_any_release(seen, "transfer(ana, ben, 30) with 100 each", (70, 130))


@pytest.mark.task(1)
def test_between_runs_with_exactly_the_first_lock_held(deadlocks, graph):
    ana, ben = accounts(deadlocks, graph, "ana", "ben")
    seen = []

    def between():
        seen.append([lock.label for lock in graph.held_by(graph.me())])

    deadlocks.transfer(ben, ana, 5, between=between)
    assert len(seen) == 1, f"transfer(..., between=f) called f {len(seen)} times; expected once"
    assert len(seen[0]) == 1, (
        f"when between() ran, the transfer held {seen[0] or 'no lock'}; expected exactly one lock: call it "
        "after taking the first lock and before taking the second")


@pytest.mark.task(1)
def test_transfers_in_opposite_directions_never_deadlock(deadlocks, graph):
    ana, ben = accounts(deadlocks, graph, "ana", "ben")
    gap = BetweenAcquires(graph)
    first = graph.start(deadlocks.transfer, ana, ben, 10, between=gap, name="ana->ben")
    wait_until_inside(graph, gap, first, "transfer(ana, ben, 10, between=f)")
    second = graph.start(deadlocks.transfer, ben, ana, 20, between=gap, name="ben->ana")
    settle_or_fail(
        graph, [first, second],
        "transfer(ana, ben) and transfer(ben, ana) ran at once; the test let each take its first lock before "
        "either took its second, and they",
        "opposite lock order deadlocks — take the two locks in one global order (sort the two accounts by "
        "name) so that both transfers want the same lock first")
    first.outcome()
    second.outcome()
    assert (ana.balance, ben.balance) == (110, 90), (
        f"ana->ben 10 and ben->ana 20 from 100 each left ana={ana.balance}, ben={ben.balance}; "
        "expected 110 and 90")


@pytest.mark.task(1)
def test_many_transfers_around_a_circle_all_finish(deadlocks, graph):
    people = accounts(deadlocks, graph, "ana", "ben", "chen")
    rounds = 100

    def circle(source, target):
        for _ in range(rounds):
            deadlocks.transfer(source, target, 1, between=lambda: None)

    deadlocks.transfer(people[0], people[1], 0)  # a stub fails here, on the test's own thread
    pairs = list(zip(people, people[1:] + people[:1]))
    workers = [graph.start(circle, s, t, name=f"{s.name}->{t.name}") for s, t in pairs]
    settle_or_fail(graph, workers, "three threads passing money around a circle",
                   "take the locks in one global order (by name): a circle of waits needs someone to "
                   "take them against the order", moving=True)
    for worker in workers:
        worker.outcome()
    balances = [p.balance for p in people]
    assert balances == [100, 100, 100], (
        f"each of ana, ben, chen gave 1 to the next {rounds} times; balances are {balances}; expected 100 each")


# -- task 2: detect with a timeout, and back off --------------------------------------

@pytest.mark.task(2)
def test_a_transfer_with_timeout_takes_one_attempt_when_nobody_else_holds_the_locks(deadlocks, graph):
    ana, ben = accounts(deadlocks, graph, "ana", "ben")
    attempts = deadlocks.transfer_with_timeout(ana, ben, 30, timeout=1.0)
    assert (ana.balance, ben.balance) == (70, 130), (
        f"transfer_with_timeout(ana, ben, 30, ...) left ana={ana.balance}, ben={ben.balance}; expected 70, 130")
    assert attempts == 1, f"with both locks free it returned {attempts!r}; expected 1 (the number of attempts)"
    held = [lock.label for lock in graph.locks if lock.locked()]
    assert not held, f"transfer_with_timeout() returned still holding {held}: release both locks"


@pytest.mark.task(2)
def test_the_money_moves_while_both_locks_are_held_with_timeouts_too(deadlocks, graph):
    ana, ben = accounts(deadlocks, graph, "ana", "ben")
    seen = balances_at_each_release(graph, ana, ben)
    run_bounded(deadlocks.transfer_with_timeout, ana, ben, 30, 1.0, what="transfer_with_timeout(ana, ben, 30, 1.0)")
    assert len(seen) >= 2, (
        f"transfer_with_timeout(ana, ben, 30, 1.0) gave back {len(seen)} lock(s); expected both accounts' locks")
    assert_moved_before_any_release(seen, "transfer_with_timeout(ana, ben, 30, 1.0) with 100 each", (70, 130))


@pytest.mark.task(2)
def test_it_gives_the_first_lock_back_and_backs_off_when_the_second_times_out(deadlocks, graph):
    ana, ben = accounts(deadlocks, graph, "ana", "ben")
    held_at_backoff = []

    def backoff(attempt):
        held_at_backoff.append([lock.label for lock in graph.held_by(graph.me())])
        if ben.lock.locked() and ben.lock.holder == graph.main:
            ben.lock.release()  # the test stops holding ben's lock: the next attempt can finish

    ben.lock.acquire()  # the test holds the second lock, so the first attempt must time out
    worker = graph.start(deadlocks.transfer_with_timeout, ana, ben, 30, timeout=0.02, backoff=backoff,
                         name="ana->ben")
    forever = graph.settle([worker], also=lambda g: bool(g.forever_waits()) or bool(held_at_backoff))
    if forever == "also" and not held_at_backoff:
        graph.release_all()
        pytest.fail("while the test held ben's lock, transfer_with_timeout() waited for it with no timeout: "
                    "pass the timeout to the second acquire — target.lock.acquire(timeout=timeout) — and "
                    "check what it returns", pytrace=False)
    settle_or_fail(graph, [worker], "transfer_with_timeout() after its back-off",
                   "release the first lock before backing off")
    if held_at_backoff and held_at_backoff[0]:
        pytest.fail(f"backoff() was called while the transfer still held {held_at_backoff[0]}: back-off "
                    "that never releases the first lock keeps the other thread stuck — give the first lock "
                    "back, then back off", pytrace=False)
    attempts = worker.outcome()
    assert held_at_backoff, (
        "the test held ben's lock and transfer_with_timeout(..., timeout=0.02, backoff=f) never called f: when "
        "acquire(timeout=...) returns False, release the first lock and call backoff(attempt)")
    assert attempts == 2 and (ana.balance, ben.balance) == (70, 130), (
        f"the first attempt timed out, the second could finish; it returned {attempts!r} with "
        f"ana={ana.balance}, ben={ben.balance}; expected 2 attempts, 70 and 130 (move the money once, "
        "only after getting both locks)")


@pytest.mark.task(2)
def test_without_backoff_it_sleeps_a_random_moment_no_longer_than_the_timeout(deadlocks, graph):
    ana, ben = accounts(deadlocks, graph, "ana", "ben")
    timeout, attempts_held = 0.02, 5
    entered = []

    def between():
        entered.append(1)
        if len(entered) > attempts_held and ben.lock.locked():
            ben.lock.release()  # the test stops holding ben's lock: this attempt can finish

    # The worker's sleeps are recorded, not slept: the verdict reads their length, never a clock; and the
    # random draws are the same every run: a verdict never rests on luck.
    with recorded_sleeps("ana->ben", seed=20261202) as sleeps:
        ben.lock.acquire()  # the test holds the second lock: the first attempts must time out
        worker = graph.start(deadlocks.transfer_with_timeout, ana, ben, 30, timeout=timeout, between=between,
                             name="ana->ben")
        settle_or_fail(graph, [worker], f"transfer_with_timeout(..., timeout={timeout}) with no backoff=",
                       "after a timed-out attempt, give the first lock back, sleep, and try again")
        slept = sleeps.seen()
    worker.outcome()
    wrong = [seconds for seconds in slept if not 0 <= seconds <= timeout]
    assert not wrong, (
        f"with no backoff=, transfer_with_timeout(..., timeout={timeout}) slept {wrong} s after timed-out "
        f"attempts; expected a random moment between 0 and the timeout: time.sleep(random.uniform(0, timeout))")


@pytest.mark.task(2)
def test_opposite_transfers_with_timeouts_both_finish(deadlocks, graph):
    ana, ben = accounts(deadlocks, graph, "ana", "ben")
    gap = BetweenAcquires(graph)
    state = {"first_backoff": None, "held": []}
    done = {}

    def backoff(attempt):
        me = graph.me()
        with graph._cond:
            state["held"].append((graph.name_of(me), [lock.label for lock in graph.held_by(me)]))
            if state["first_backoff"] is None:
                state["first_backoff"] = me
        if state["first_backoff"] == me and attempt == 1:
            # The first to back off lets the other one finish first: no livelock, whatever the timing.
            graph.wait_until(lambda g: len(done) == 1 or any(held for _, held in state["held"]))

    def run(source, target, amount):
        try:
            return deadlocks.transfer_with_timeout(source, target, amount, timeout=0.02, between=gap,
                                                   backoff=backoff)
        finally:
            with graph._cond:
                done[source.name] = True

    first = graph.start(run, ana, ben, 10, name="ana->ben")
    wait_until_inside(graph, gap, first, "transfer_with_timeout(ana, ben, 10, ..., between=f)")
    second = graph.start(run, ben, ana, 20, name="ben->ana")
    settle_or_fail(graph, [first, second],
                   "transfer_with_timeout(ana, ben) and (ben, ana) ran at once, each holding its first lock, "
                   "and they",
                   "pass the timeout to the second acquire — target.lock.acquire(timeout=timeout) — so that a "
                   "deadlock is detected and broken",
                   also=lambda g: any(held for _, held in state["held"]))
    kept = [(who, held) for who, held in state["held"] if held]
    if kept:
        graph.release_all()
        who, held = kept[0]
        pytest.fail(f"{who} called backoff() while still holding {held}: back-off that never releases the "
                    "first lock leaves the other transfer waiting for it — release the first lock, then "
                    "back off", pytrace=False)
    attempts = (first.outcome(), second.outcome())
    assert max(attempts) >= 2, (
        f"both transfers held their first lock, so at least one had to time out and try again; they "
        f"reported {attempts} attempts: return the number of attempts, counting from 1")
    assert (ana.balance, ben.balance) == (110, 90), (
        f"ana->ben 10 and ben->ana 20 from 100 each left ana={ana.balance}, ben={ben.balance}; expected 110 "
        "and 90: move the money once, and only while holding both locks")


# -- task 3: an RLock from a Lock: owner and count ---------------------------------------

def rlock_with_watched_lock(deadlocks, graph):
    rlock = deadlocks.RLock(lock_factory=graph.factory)
    assert graph.locks, (
        "RLock(lock_factory=f) never called f(): the test needs lock_factory to see the underlying lock — "
        "self._lock = lock_factory(), not threading.Lock() directly")
    assert len(graph.locks) == 1, (
        f"RLock(lock_factory=f) called f() {len(graph.locks)} times; expected once, in __init__")
    graph.locks[0].label = "the RLock's underlying lock"
    return rlock


def require_reentry(graph, rlock):
    """Acquire twice and release twice in a worker first: the test's own thread must never hang on it."""
    def twice():
        rlock.acquire()
        rlock.acquire()
        rlock.release()
        rlock.release()

    settle_or_fail(graph, [graph.start(twice, name="owner")],
                   "one thread calling acquire() twice on the same RLock",
                   "the thread that holds the RLock waited for its own lock — check the owner first: if "
                   "threading.get_ident() is the owner, add one to the count and return True")


def try_from_another_thread(graph, call, name="other thread"):
    worker = graph.start(call, name=name)
    if not worker.finished():
        graph.release_all()
        pytest.fail(f"a non-blocking call from another thread did not return within {bounds.HANG:g} s",
                    pytrace=False)
    return worker.outcome()


@pytest.mark.task(3)
def test_the_owner_acquires_again_without_waiting(deadlocks, graph):
    rlock = rlock_with_watched_lock(deadlocks, graph)

    def three_deep():
        results = [rlock.acquire() for _ in range(3)]
        for done in range(3):
            try:
                rlock.release()
            except RuntimeError as exc:
                return results, done, exc
        return results, 3, None

    worker = graph.start(three_deep, name="owner")
    settle_or_fail(graph, [worker], "one thread calling acquire() three times on the same RLock",
                   "the thread that holds the RLock waited for its own lock — check the owner first: if "
                   "threading.get_ident() is the owner, add one to the count and return True")
    results, released, error = worker.outcome()
    assert results == [True, True, True], f"acquire() three times by the owner returned {results}; expected True each"
    if error is not None:
        pytest.fail(f"one thread acquired the RLock 3 times; release() number {released + 1} raised "
                    f"RuntimeError: {error} — after {released} release(s) the lock was released while its owner "
                    f"still held it {3 - released} time(s): add one to the count on every acquire() by the "
                    "owner, count down on every release(), and free the lock only at zero", pytrace=False)
    assert not graph.locks[0].locked(), (
        "after three acquire() and three release() the underlying lock is still held: is the count "
        "decremented on every release(), and the lock freed when it reaches zero?")


@pytest.mark.task(3)
def test_the_owner_that_comes_back_after_freeing_it_takes_the_lock_again(deadlocks, graph):
    rlock = rlock_with_watched_lock(deadlocks, graph)

    def take_free_take():
        rlock.acquire()
        rlock.release()
        got = rlock.acquire()
        held = graph.locks[0].locked()
        if held:
            rlock.release()
        return got, held

    worker = graph.start(take_free_take, name="owner")
    settle_or_fail(graph, [worker], "acquire(), release(), acquire() on one thread",
                   "a thread that freed the RLock takes the underlying lock again like anybody else")
    got, held = worker.outcome()
    assert got is True, f"acquire() after acquire() and release() returned {got!r}; expected True"
    assert held, (
        "a thread acquired the RLock, released it, and acquired it again; the second acquire() returned True "
        "without taking the underlying lock, so any other thread could take it too: the owner was kept "
        "after the lock was freed — set the owner back to None when the count reaches zero")


@pytest.mark.task(3)
def test_another_thread_waits_while_the_rlock_is_held(deadlocks, graph):
    rlock = rlock_with_watched_lock(deadlocks, graph)
    assert rlock.acquire() is True, "RLock().acquire() on a free lock did not return True"
    other = graph.start(rlock.acquire, name="other thread")
    state = graph.settle([other], also=lambda g: g.waiting() > 0)
    if state == "done":
        result = other.outcome()
        if result:
            pytest.fail("while the test's thread held the RLock, another thread's acquire() returned "
                        f"{result!r} at once: only the owner may re-enter — compare the owner with "
                        "threading.get_ident(); anybody else takes the underlying lock", pytrace=False)
        pytest.fail(f"another thread's blocking acquire() returned {result!r} instead of waiting", pytrace=False)
    rlock.release()
    if not other.finished():
        graph.release_all()
        pytest.fail("the owner released the RLock, and the waiting thread's acquire() did not return within "
                    f"{bounds.HANG:g} s: release the underlying lock when the count reaches zero", pytrace=False)
    assert other.outcome() is True, "the waiting thread's acquire() returned something other than True"


@pytest.mark.task(3)
def test_it_is_free_only_after_as_many_releases_as_acquires(deadlocks, graph):
    rlock = rlock_with_watched_lock(deadlocks, graph)
    require_reentry(graph, rlock)
    if graph.locks[0].locked():
        pytest.fail("after two acquire() and two release() on one thread the RLock is still held: is the count "
                    "decremented on every release(), and the lock freed at zero?", pytrace=False)
    for _ in range(3):
        rlock.acquire()
    for done in (1, 2):
        rlock.release()
        got = try_from_another_thread(graph, lambda: rlock.acquire(blocking=False))
        assert got is False, (
            f"acquired 3 times, released {done} times: another thread's acquire(blocking=False) returned "
            f"{got!r}; expected False — the lock was released while its owner still held it "
            f"{3 - done} time(s): count down, and free it only at zero")
    rlock.release()

    def take_and_give_back():
        got = rlock.acquire(blocking=False)
        if got:
            rlock.release()
        return got

    got = try_from_another_thread(graph, take_and_give_back)
    assert got is True, (
        f"after 3 acquire() and 3 release() another thread's acquire(blocking=False) returned {got!r}; "
        "expected True: is the count decremented on every release(), and the lock freed at zero?")


@pytest.mark.task(3)
def test_with_blocks_nest_and_release_on_the_way_out(deadlocks, graph):
    rlock = rlock_with_watched_lock(deadlocks, graph)

    def nested():
        with rlock:
            with rlock:
                raise KeyError("raised inside two with-blocks")

    worker = graph.start(nested, name="owner")
    settle_or_fail(graph, [worker], "`with rlock:` inside `with rlock:` on one thread",
                   "__enter__ should call acquire(), which lets the owner in again")
    with raises(KeyError, "two nested `with rlock:` blocks around a raise KeyError",
                "__exit__ must let the exception go on (return None), not swallow it"):
        worker.outcome()
    assert not graph.locks[0].locked(), (
        "two nested with-blocks ended by an exception and left the RLock held: __exit__ must release once "
        "per block, however the block ends")


@pytest.mark.task(3)
def test_locked_says_whether_anybody_holds_it(deadlocks, graph):
    rlock = rlock_with_watched_lock(deadlocks, graph)
    seen = [rlock.locked()]
    rlock.acquire()
    rlock.acquire()
    seen.append(rlock.locked())
    rlock.release()
    seen.append(rlock.locked())
    rlock.release()
    seen.append(rlock.locked())
    assert seen == [False, True, True, False], (
        f"locked() before acquire(), after two acquire(), after one release() and after the second "
        f"returned {seen}; expected [False, True, True, False]: the RLock is locked until the count is "
        "back at zero")

    let_go = threading.Event()

    def hold():
        with rlock:
            let_go.wait(bounds.HANG)

    holder = graph.start(hold, name="holder")
    try:
        if not graph.wait_until(lambda g: g.locks[0].holder is not None or holder.done):
            pytest.fail(f"another thread's `with rlock:` did not take the lock within {bounds.HANG:g} s",
                        pytrace=False)
        if holder.done:
            holder.outcome()  # its own exception first
        elsewhere = rlock.locked()
    finally:
        let_go.set()
    settle_or_fail(graph, [holder], "a thread holding the RLock in a with-block",
                   "__exit__ should release once")
    assert elsewhere is True, (
        f"while another thread held the RLock, locked() on the test's thread returned {elsewhere!r}; "
        "expected True: locked() says whether anybody holds the lock, not whether you do — the owner "
        "was compared with threading.get_ident(); ask the underlying lock instead")


# -- task 4: only the owner releases ------------------------------------------------------

@pytest.mark.task(4)
def test_releasing_an_rlock_nobody_holds_raises_runtime_error(deadlocks, graph):
    rlock = rlock_with_watched_lock(deadlocks, graph)
    with raises(RuntimeError, "release() on an RLock nobody holds",
                "only the owner may release, as with threading.RLock — check the owner first"):
        rlock.release()
    rlock.acquire()
    rlock.release()
    with raises(RuntimeError, "a second release() after one acquire()",
                "the count is back at zero and nobody owns the lock — check the owner first"):
        rlock.release()


@pytest.mark.task(4)
def test_only_the_owner_may_release(deadlocks, graph):
    rlock = rlock_with_watched_lock(deadlocks, graph)
    rlock.acquire()

    def release_from_elsewhere():
        try:
            rlock.release()
        except RuntimeError:
            return "RuntimeError"
        return "returned"

    outcome = try_from_another_thread(graph, release_from_elsewhere, name="not the owner")
    assert outcome == "RuntimeError", (
        "the test's thread acquired the RLock; another thread called release() and it returned normally; "
        "expected RuntimeError — the owner was not checked on release: compare the owner with "
        "threading.get_ident() before counting down")
    assert graph.locks[0].locked(), "a release() by a thread that does not own the RLock freed it"
    rlock.release()
    assert not graph.locks[0].locked(), "the owner's own release() after the refused one did not free the RLock"


@pytest.mark.task(4)
def test_a_thread_that_does_not_own_it_can_try_or_wait_with_a_timeout(deadlocks, graph):
    rlock = rlock_with_watched_lock(deadlocks, graph)
    rlock.acquire()
    try:
        tried = try_from_another_thread(graph, lambda: rlock.acquire(blocking=False))
        assert tried is False, (
            f"while the test's thread held the RLock, another thread's acquire(blocking=False) returned "
            f"{tried!r}; expected False")
        other = graph.start(rlock.acquire, timeout=0.02, name="other thread")
        state = graph.settle([other], also=lambda g: bool(g.forever_waits()))
        if state == "also":
            pytest.fail("acquire(timeout=0.02) from another thread waited for the underlying lock with no "
                        "timeout: pass blocking and timeout on — self._lock.acquire(blocking, timeout)",
                        pytrace=False)
        settle_or_fail(graph, [other], "acquire(timeout=0.02) while another thread held the RLock",
                       "pass the timeout on to the underlying lock")
        assert other.outcome() is False, "acquire(timeout=0.02) while another thread held the RLock: expected False"
    finally:
        if graph.locks[0].locked():
            rlock.release()


# -- task 5: a recursive function guarded by one lock ----------------------------------------

NESTED = [1, [2, [3, 4]], 5]


@pytest.mark.task(5)
def test_the_ledger_lock_lets_a_recursive_call_reenter(deadlocks):
    ledger = deadlocks.Ledger()
    ledger.add(0)  # a stub fails here, on the test's own thread
    worker = WaitGraph().start(ledger.add_nested, NESTED, name="add_nested")
    if not worker.finished():
        pytest.fail(f"Ledger().add_nested({NESTED}) did not return within {bounds.HANG:g} s: the recursive "
                    "call takes the lock its caller already holds, and with a plain Lock a thread waits for "
                    "itself forever — did you guard it with a Lock instead of an RLock?", pytrace=False)
    worker.outcome()
    assert ledger.entries == [0, 1, 2, 3, 4, 5], (
        f"add(0), then add_nested({NESTED}) left entries={ledger.entries}; expected [0, 1, 2, 3, 4, 5]")


@pytest.mark.task(5)
def test_a_nested_add_is_one_critical_section(deadlocks, graph):
    ledger = deadlocks.Ledger(lock_factory=lambda: deadlocks.RLock(lock_factory=graph.factory))
    others = []

    def visit():
        if not others:  # the outermost call: another thread tries to add in the middle
            others.append(graph.start(ledger.add, 99, name="other adder"))
            graph.settle(others, also=lambda g: g.waiting() > 0)

    worker = graph.start(ledger.add_nested, [1, [2], 3], visit=visit, name="add_nested")
    settle_or_fail(graph, [worker], "add_nested() with a re-entrant lock",
                   "take the ledger's lock in add_nested() and in add()")
    worker.outcome()
    if not others:
        pytest.fail("add_nested(..., visit=f) never called f: call visit() at the start of every call",
                    pytrace=False)
    if graph.settle(others, also=lambda g: g.locks[0].holder == worker.key) == "also":
        pytest.fail("add_nested() returned but its thread still holds the ledger's lock, so another thread's "
                    "add() waits forever: release once per acquire (with-blocks do it for you)", pytrace=False)
    settle_or_fail(graph, others, "another thread's add()", "release the lock once add_nested() is done")
    others[0].outcome()
    assert ledger.entries == [1, 2, 3, 99], (
        f"while add_nested([1, [2], 3]) ran, another thread called add(99); entries={ledger.entries}; "
        "expected [1, 2, 3, 99]: hold the lock for the whole of add_nested(), and take it in add() too")
